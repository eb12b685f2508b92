//===- GpuGrouped.h - the grouped 3x3 specializations the GPU test runs ---===//
//
// GpuGrouped.cu instantiates GroupedConv.cuh for a fixed list of shapes (as
// a generated trainer would) and dispatches a ConvShape to the matching
// instantiation.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_CUDA_GPUGROUPED_H
#define CARDINAL_TESTS_CUDA_GPUGROUPED_H

#include "runtime/cuda/CudaKernels.h"

#include <vector>

namespace cardinal::rt::cuda::test {

/// Whether s is the grouped 3x3 layer (groups, in/out width per group,
/// input extent, stride) that a test instantiation was made for.
inline bool matchesGrouped3x3(const ConvShape &s, int g, int ci, int co,
                              int h, int w, int stride) {
  return s.groups == g && s.c == g * ci && s.o == g * co && s.h == h &&
         s.w == w && s.kh == 3 && s.kw == 3 && s.strideH == stride &&
         s.strideW == stride && s.padH == 1 && s.padW == 1 &&
         s.dilationH == 1 && s.dilationW == 1;
}

/// The instantiated layers, for batch n.
std::vector<ConvShape> groupedTestShapes(int64_t n);

/// Run the specialization of s; false if s is not in the list.
template <typename T>
bool groupedForward(Context &ctx, const ConvShape &s, const T *x, const T *w,
                    const T *bias, T *y);
template <typename T>
bool groupedBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                         const T *w, T *dx, bool accumulate);
template <typename T>
bool groupedBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                           const T *dy, float *dw, float *db);

/// The conv-level training fusion's grouped templates (GpuGroupedFused.cu),
/// for the shapes groupedFusedTestShapes lists. inMean null: no prologue
/// (groupedConv3x3StatsForward); mean null: no statistics
/// (groupedConv3x3BnReluForward).
std::vector<ConvShape> groupedFusedTestShapes(int64_t n);
template <typename T>
bool groupedFusedForward(Context &ctx, const ConvShape &s, const T *x,
                         const float *inMean, const float *inInvstd,
                         const float *inScale, const float *inShift,
                         const T *w, float eps, float momentum, T *y,
                         float *mean, float *invstd, float *runningMean,
                         float *runningVar);
template <typename T>
bool groupedBnReluBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                                 const float *mean, const float *invstd,
                                 const float *scale, const float *shift,
                                 const T *dy, float *dw);

} // namespace cardinal::rt::cuda::test

#endif // CARDINAL_TESTS_CUDA_GPUGROUPED_H
