//===- GroupedConvChoice.cuh - the calls generated trainers make -----------===//
//
// Why: one call per grouped 3x3 layer that runs the faster of the generated
// kernel (GroupedConv.cuh) and cuDNN, chosen by timing on its first call
// (GroupedConvChoice.h). Each faster* template takes exactly the
// parameters of the GroupedConv.cuh template it wraps; the cuDNN candidate
// is the library entry point with the same semantics (conv2d*, or the
// conv-level fusion's decomposition, ConvBn.cu) under a CudnnOnlyScope.
// Generated .cu files with grouped layers include this header.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_GROUPEDCONVCHOICE_CUH
#define CARDINAL_RUNTIME_CUDA_GROUPEDCONVCHOICE_CUH

#include "runtime/cuda/DataType.h"
#include "runtime/cuda/GroupedConv.cuh"
#include "runtime/cuda/GroupedConvChoice.h"

#include <cstdint>

namespace cardinal::rt::cuda {
namespace grouped3x3 {
/// The ConvShape of a GroupedConv.cuh instantiation.
template <int Groups, int CinG, int CoutG, int H, int W, int Stride>
ConvShape shapeOf(int64_t n) {
  return ConvShape::make(n, int64_t(Groups) * CinG, H, W,
                         int64_t(Groups) * CoutG, 3, 3, Stride, 1, 1, Groups);
}

/// The running statistics a statistics epilogue updates in place (the
/// trials put them back between runs).
inline DeviceBytes runningStat(float *p, int64_t channels) {
  return {p, p ? sizeof(float) * static_cast<size_t>(channels) : 0};
}
} // namespace grouped3x3

#define CARDINAL_GROUPED_ARGS Groups, CinG, CoutG, H, W, Stride
#define CARDINAL_GROUPED_PARAMS                                                \
  int Groups, int CinG, int CoutG, int H, int W, int Stride, typename T

template <CARDINAL_GROUPED_PARAMS>
void fasterGroupedConv3x3Forward(Context &ctx, int64_t n, const T *x,
                                 const T *w, const T *bias, T *y) {
  const ConvShape s = grouped3x3::shapeOf<CARDINAL_GROUPED_ARGS>(n);
  runFasterGroupedConv(
      ctx, s, DataType<T>::cudnn, GroupedConvOp::Forward,
      [&] {
        groupedConv3x3Forward<CARDINAL_GROUPED_ARGS, T>(ctx, n, x, w, bias, y);
      },
      [&] {
        CudnnOnlyScope cudnn(ctx);
        conv2dForward<T>(ctx, s, x, w, bias, y);
      });
}

template <CARDINAL_GROUPED_PARAMS>
void fasterGroupedConv3x3BackwardData(Context &ctx, int64_t n, const T *dy,
                                      const T *w, T *dx,
                                      bool accumulate = false) {
  const ConvShape s = grouped3x3::shapeOf<CARDINAL_GROUPED_ARGS>(n);
  // dx += ... is not idempotent: the trials restore dx.
  const DeviceBytes sum = {accumulate ? dx : nullptr,
                           accumulate ? sizeof(T) * s.inputSize() : 0};
  runFasterGroupedConv(
      ctx, s, DataType<T>::cudnn, GroupedConvOp::BackwardData,
      [&] {
        groupedConv3x3BackwardData<CARDINAL_GROUPED_ARGS, T>(ctx, n, dy, w, dx,
                                                             accumulate);
      },
      [&] {
        CudnnOnlyScope cudnn(ctx);
        conv2dBackwardData<T>(ctx, s, dy, w, dx, accumulate);
      },
      {sum});
}

template <CARDINAL_GROUPED_PARAMS>
void fasterGroupedConv3x3BackwardWeight(Context &ctx, int64_t n, const T *x,
                                        const T *dy, float *dw, float *db) {
  const ConvShape s = grouped3x3::shapeOf<CARDINAL_GROUPED_ARGS>(n);
  runFasterGroupedConv(
      ctx, s, DataType<T>::cudnn, GroupedConvOp::BackwardWeight,
      [&] {
        groupedConv3x3BackwardWeight<CARDINAL_GROUPED_ARGS, T>(ctx, n, x, dy,
                                                               dw, db);
      },
      [&] {
        CudnnOnlyScope cudnn(ctx);
        conv2dBackwardWeight<T>(ctx, s, x, dy, dw, db);
      });
}

template <CARDINAL_GROUPED_PARAMS>
void fasterGroupedConv3x3StatsForward(Context &ctx, int64_t n, const T *x,
                                      const T *w, float eps, float momentum,
                                      T *y, float *mean, float *invStd,
                                      float *runningMean, float *runningVar) {
  const ConvShape s = grouped3x3::shapeOf<CARDINAL_GROUPED_ARGS>(n);
  runFasterGroupedConv(
      ctx, s, DataType<T>::cudnn, GroupedConvOp::StatsForward,
      [&] {
        groupedConv3x3StatsForward<CARDINAL_GROUPED_ARGS, T>(
            ctx, n, x, w, eps, momentum, y, mean, invStd, runningMean,
            runningVar);
      },
      [&] {
        CudnnOnlyScope cudnn(ctx);
        conv2dStatsForward<T>(ctx, s, x, w, eps, momentum, y, mean, invStd,
                              runningMean, runningVar);
      },
      {grouped3x3::runningStat(runningMean, s.o),
       grouped3x3::runningStat(runningVar, s.o)});
}

template <CARDINAL_GROUPED_PARAMS>
void fasterGroupedConv3x3BnReluStatsForward(
    Context &ctx, int64_t n, const T *x, const float *inMean,
    const float *inInvStd, const float *inScale, const float *inShift,
    const T *w, float eps, float momentum, T *y, float *mean, float *invStd,
    float *runningMean, float *runningVar) {
  const ConvShape s = grouped3x3::shapeOf<CARDINAL_GROUPED_ARGS>(n);
  runFasterGroupedConv(
      ctx, s, DataType<T>::cudnn, GroupedConvOp::BnReluStatsForward,
      [&] {
        groupedConv3x3BnReluStatsForward<CARDINAL_GROUPED_ARGS, T>(
            ctx, n, x, inMean, inInvStd, inScale, inShift, w, eps, momentum,
            y, mean, invStd, runningMean, runningVar);
      },
      [&] {
        CudnnOnlyScope cudnn(ctx);
        bnReluConv2dStatsForward<T>(ctx, s, x, inMean, inInvStd, inScale,
                                    inShift, w, eps, momentum, y, mean,
                                    invStd, runningMean, runningVar);
      },
      {grouped3x3::runningStat(runningMean, s.o),
       grouped3x3::runningStat(runningVar, s.o)});
}

template <CARDINAL_GROUPED_PARAMS>
void fasterGroupedConv3x3BnReluForward(Context &ctx, int64_t n, const T *x,
                                       const float *mean, const float *invStd,
                                       const float *scale, const float *shift,
                                       const T *w, T *y) {
  const ConvShape s = grouped3x3::shapeOf<CARDINAL_GROUPED_ARGS>(n);
  runFasterGroupedConv(
      ctx, s, DataType<T>::cudnn, GroupedConvOp::BnReluForward,
      [&] {
        groupedConv3x3BnReluForward<CARDINAL_GROUPED_ARGS, T>(
            ctx, n, x, mean, invStd, scale, shift, w, y);
      },
      [&] {
        CudnnOnlyScope cudnn(ctx);
        bnReluConv2dForward<T>(ctx, s, x, mean, invStd, scale, shift, w, y);
      });
}

template <CARDINAL_GROUPED_PARAMS>
void fasterGroupedConv3x3BnReluBackwardWeight(
    Context &ctx, int64_t n, const T *x, const float *mean,
    const float *invStd, const float *scale, const float *shift, const T *dy,
    float *dw) {
  const ConvShape s = grouped3x3::shapeOf<CARDINAL_GROUPED_ARGS>(n);
  runFasterGroupedConv(
      ctx, s, DataType<T>::cudnn, GroupedConvOp::BnReluBackwardWeight,
      [&] {
        groupedConv3x3BnReluBackwardWeight<CARDINAL_GROUPED_ARGS, T>(
            ctx, n, x, mean, invStd, scale, shift, dy, dw);
      },
      [&] {
        CudnnOnlyScope cudnn(ctx);
        bnReluConv2dBackwardWeight<T>(ctx, s, x, mean, invStd, scale, shift,
                                      dy, dw);
      });
}

#undef CARDINAL_GROUPED_PARAMS
#undef CARDINAL_GROUPED_ARGS

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_GROUPEDCONVCHOICE_CUH
