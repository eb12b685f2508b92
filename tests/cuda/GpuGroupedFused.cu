//===- GpuGroupedFused.cu - fused grouped 3x3 instantiations (GPU test) ---===//
//
// GroupedConv.cuh's conv-level training fusion templates for a few layers
// (ResNeXt 32x4d at stride 1 and 2, wider groups at stride 2, two wide
// groups), as a generated trainer instantiates them. Separate from
// GpuGrouped.cu so the two compile in parallel; few shapes, to keep nvcc's
// time in CI modest.
//
//===----------------------------------------------------------------------===//
#include "GpuGrouped.h"

#include "runtime/cuda/GroupedConv.cuh"

namespace cardinal::rt::cuda::test {

#define CARDINAL_GROUPED_FUSED_TEST_SHAPES(X)                                  \
  X(32, 4, 4, 8, 8, 1)                                                         \
  X(32, 4, 4, 9, 9, 2)                                                         \
  X(4, 8, 8, 14, 14, 2)                                                        \
  X(2, 16, 16, 7, 7, 1)

std::vector<ConvShape> groupedFusedTestShapes(int64_t n) {
  std::vector<ConvShape> out;
#define X(G, CI, CO, H, W, S)                                                  \
  out.push_back(ConvShape::make(n, G * CI, H, W, G * CO, 3, 3, S, 1, 1, G));
  CARDINAL_GROUPED_FUSED_TEST_SHAPES(X)
#undef X
  return out;
}

template <typename T>
bool groupedFusedForward(Context &ctx, const ConvShape &s, const T *x,
                         const float *inMean, const float *inInvstd,
                         const float *inScale, const float *inShift,
                         const T *w, float eps, float momentum, T *y,
                         float *mean, float *invstd, float *runningMean,
                         float *runningVar) {
#define X(G, CI, CO, H, W, S)                                                  \
  if (matchesGrouped3x3(s, G, CI, CO, H, W, S)) {                              \
    if (!inMean)                                                               \
      groupedConv3x3StatsForward<G, CI, CO, H, W, S, T>(                       \
          ctx, s.n, x, w, eps, momentum, y, mean, invstd, runningMean,         \
          runningVar);                                                         \
    else if (mean)                                                             \
      groupedConv3x3BnReluStatsForward<G, CI, CO, H, W, S, T>(                 \
          ctx, s.n, x, inMean, inInvstd, inScale, inShift, w, eps, momentum,   \
          y, mean, invstd, runningMean, runningVar);                           \
    else                                                                       \
      groupedConv3x3BnReluForward<G, CI, CO, H, W, S, T>(                      \
          ctx, s.n, x, inMean, inInvstd, inScale, inShift, w, y);              \
    return true;                                                               \
  }
  CARDINAL_GROUPED_FUSED_TEST_SHAPES(X)
#undef X
  return false;
}

template <typename T>
bool groupedBnReluBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                                 const float *mean, const float *invstd,
                                 const float *scale, const float *shift,
                                 const T *dy, float *dw) {
#define X(G, CI, CO, H, W, S)                                                  \
  if (matchesGrouped3x3(s, G, CI, CO, H, W, S)) {                              \
    groupedConv3x3BnReluBackwardWeight<G, CI, CO, H, W, S, T>(                 \
        ctx, s.n, x, mean, invstd, scale, shift, dy, dw);                      \
    return true;                                                               \
  }
  CARDINAL_GROUPED_FUSED_TEST_SHAPES(X)
#undef X
  return false;
}

#define INSTANTIATE(T)                                                         \
  template bool groupedFusedForward<T>(                                       \
      Context &, const ConvShape &, const T *, const float *, const float *,  \
      const float *, const float *, const T *, float, float, T *, float *,    \
      float *, float *, float *);                                              \
  template bool groupedBnReluBackwardWeight<T>(                               \
      Context &, const ConvShape &, const T *, const float *, const float *,  \
      const float *, const float *, const T *, float *);
INSTANTIATE(float)
INSTANTIATE(__nv_bfloat16)

} // namespace cardinal::rt::cuda::test
