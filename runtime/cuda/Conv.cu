//===- Conv.cu - conv2d* entry points: path choice, bias, fused BN epilogue
//
// Dense convs (groups == 1) are GEMM-shaped and go to cuDNN's autotuned
// algorithms (tensor cores for bf16), except that unpadded 1x1s run on
// cuDNN or cuBLAS GEMMs, whichever the shape's first call times faster,
// per direction (DenseConvChoice.h); grouped convs go to the direct
// kernel, which has no per-group GEMM overhead. The generated trainers call
// the shape-specialized grouped 3x3 kernels (GroupedConv.cuh) instead of
// conv2d* for their ResNeXt 3x3 layers. With Context::cudnnOnly (the
// --cudnn-only baseline) cuDNN runs every conv.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/ConvAlgoCache.h"
#include "runtime/cuda/ConvPaths.h"
#include "runtime/cuda/DataType.h"
#include "runtime/cuda/Epilogue.cuh"
#include "runtime/cuda/math/Gemm1x1.h"

#include <stdexcept>

namespace cardinal::rt::cuda {

ConvPath chooseConvPath(const ConvShape &s, bool cudnnOnly) {
  return s.groups == 1 || cudnnOnly ? ConvPath::Cudnn : ConvPath::Direct;
}

namespace {
void requireValid(const ConvShape &s, const char *what) {
  if (!s.valid())
    throw std::invalid_argument(std::string(what) + ": invalid ConvShape");
}

/// Runs `cudnn` or `gemm` (DenseConvChoice.h), or `cudnn` alone where the
/// GEMM does not apply (shape, or scratch beyond the workspace) or the
/// baseline wants cuDNN only. `restored`: what the call accumulates into,
/// put back between trial runs.
template <typename T>
void denseConv(Context &ctx, const ConvShape &s, ConvDirection dir,
               RunRef cudnn, RunRef gemm, DeviceBytes restored) {
  if (ctx.cudnnOnly || !fitsGemm1x1(s) ||
      gemmConv1x1WorkspaceBytes<T>(s, dir) > ctx.workspaceBytes) {
    cudnn();
    return;
  }
  runFasterConv(ctx, ctx.convAlgos->dense, convKey(s, DataType<T>::cudnn, dir),
                "dense 1x1 conv", denseConvOpName(static_cast<int64_t>(dir)),
                {cudnn, gemm}, {restored}); // (null data: nothing to restore)
}
} // namespace

template <typename T>
void conv2dForward(Context &ctx, const ConvShape &s, const T *x, const T *w,
                   const T *bias, T *y) {
  requireValid(s, "conv2dForward");
  if (chooseConvPath(s, ctx.cudnnOnly) == ConvPath::Cudnn)
    denseConv<T>(
        ctx, s, ConvDirection::Forward, [&] { cudnnConvForward(ctx, s, x, w, y); },
        [&] { gemmConv1x1Forward(ctx, s, x, w, y); }, {nullptr, 0});
  else
    directConvForward(ctx, s, x, w, y);
  detail::addChannelBias(ctx, s.n, s.o, s.oh * s.ow, bias, y);
}

template <typename T>
void conv2dBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                        const T *w, T *dx, bool accumulate) {
  requireValid(s, "conv2dBackwardData");
  if (chooseConvPath(s, ctx.cudnnOnly) == ConvPath::Cudnn)
    denseConv<T>(
        ctx, s, ConvDirection::BackwardData,
        [&] { cudnnConvBackwardData(ctx, s, dy, w, dx, accumulate); },
        [&] { gemmConv1x1BackwardData(ctx, s, dy, w, dx, accumulate); },
        {accumulate ? dx : nullptr,
         accumulate ? sizeof(T) * static_cast<size_t>(s.inputSize()) : 0});
  else
    directConvBackwardData(ctx, s, dy, w, dx, accumulate);
}

template <typename T>
void conv2dBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                          const T *dy, float *dw, float *db) {
  requireValid(s, "conv2dBackwardWeight");
  if (chooseConvPath(s, ctx.cudnnOnly) == ConvPath::Cudnn)
    denseConv<T>(
        ctx, s, ConvDirection::BackwardWeight,
        [&] { cudnnConvBackwardWeight(ctx, s, x, dy, dw); },
        [&] { gemmConv1x1BackwardWeight(ctx, s, x, dy, dw); }, {nullptr, 0});
  else
    directConvBackwardWeight(ctx, s, x, dy, dw);
  if (db)
    biasGrad(ctx, s.n, s.o, s.oh * s.ow, dy, db);
}

template <typename T>
void conv2dBnActForward(Context &ctx, const ConvShape &s, const T *x,
                        const T *w, const float *scale, const float *shift,
                        const float *runningMean, const float *runningVar,
                        float eps, const T *residual, bool relu, T *y) {
  conv2dForward<T>(ctx, s, x, w, nullptr, y);
  if (s.outputSize() == 0)
    return;
  detail::bnActEpilogueKernel<<<detail::blocksFor(s.outputSize()),
                                detail::kThreads, 0, ctx.stream>>>(
      s.n, s.o, s.oh * s.ow, scale, shift, runningMean, runningVar, eps,
      residual, relu, y);
  detail::checkLaunch("conv2dBnActForward");
}

#define INSTANTIATE(T)                                                         \
  template void conv2dForward<T>(Context &, const ConvShape &, const T *,     \
                                 const T *, const T *, T *);                   \
  template void conv2dBackwardData<T>(Context &, const ConvShape &,           \
                                      const T *, const T *, T *, bool);       \
  template void conv2dBackwardWeight<T>(Context &, const ConvShape &,         \
                                        const T *, const T *, float *,        \
                                        float *);                              \
  template void conv2dBnActForward<T>(                                        \
      Context &, const ConvShape &, const T *, const T *, const float *,      \
      const float *, const float *, const float *, float, const T *, bool,    \
      T *);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
