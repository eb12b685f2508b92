//===- GpuGrouped.cu - grouped 3x3 instantiations for the GPU test --------===//
#include "GpuGrouped.h"

#include "runtime/cuda/GroupedConv.cuh"

namespace cardinal::rt::cuda::test {

// (groups, in/out width per group, input H, W, stride): ResNeXt 32x4d
// stride 1 and 2 (odd extent too), wider groups, and CIFAR-like d = 64
// where the channel chunking kicks in.
#define CARDINAL_GROUPED_TEST_SHAPES(X)                                        \
  X(32, 4, 4, 8, 8, 1)                                                         \
  X(32, 4, 4, 9, 9, 2)                                                         \
  X(4, 8, 8, 14, 14, 2)                                                        \
  X(2, 16, 16, 7, 7, 1)                                                        \
  X(2, 64, 64, 6, 6, 1)                                                        \
  X(3, 4, 8, 5, 6, 1)

std::vector<ConvShape> groupedTestShapes(int64_t n) {
  std::vector<ConvShape> out;
#define X(G, CI, CO, H, W, S)                                                  \
  out.push_back(ConvShape::make(n, G * CI, H, W, G * CO, 3, 3, S, 1, 1, G));
  CARDINAL_GROUPED_TEST_SHAPES(X)
#undef X
  return out;
}

template <typename T>
bool groupedForward(Context &ctx, const ConvShape &s, const T *x, const T *w,
                    const T *bias, T *y) {
#define X(G, CI, CO, H, W, S)                                                  \
  if (matchesGrouped3x3(s, G, CI, CO, H, W, S)) {                              \
    groupedConv3x3Forward<G, CI, CO, H, W, S, T>(ctx, s.n, x, w, bias, y);     \
    return true;                                                               \
  }
  CARDINAL_GROUPED_TEST_SHAPES(X)
#undef X
  return false;
}

template <typename T>
bool groupedBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                         const T *w, T *dx, bool accumulate) {
#define X(G, CI, CO, H, W, S)                                                  \
  if (matchesGrouped3x3(s, G, CI, CO, H, W, S)) {                              \
    groupedConv3x3BackwardData<G, CI, CO, H, W, S, T>(ctx, s.n, dy, w, dx,     \
                                                      accumulate);             \
    return true;                                                               \
  }
  CARDINAL_GROUPED_TEST_SHAPES(X)
#undef X
  return false;
}

template <typename T>
bool groupedBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                           const T *dy, float *dw, float *db) {
#define X(G, CI, CO, H, W, S)                                                  \
  if (matchesGrouped3x3(s, G, CI, CO, H, W, S)) {                              \
    groupedConv3x3BackwardWeight<G, CI, CO, H, W, S, T>(ctx, s.n, x, dy, dw,   \
                                                        db);                   \
    return true;                                                               \
  }
  CARDINAL_GROUPED_TEST_SHAPES(X)
#undef X
  return false;
}

#define INSTANTIATE(T)                                                         \
  template bool groupedForward<T>(Context &, const ConvShape &, const T *,    \
                                  const T *, const T *, T *);                  \
  template bool groupedBackwardData<T>(Context &, const ConvShape &,          \
                                       const T *, const T *, T *, bool);      \
  template bool groupedBackwardWeight<T>(Context &, const ConvShape &,        \
                                         const T *, const T *, float *,       \
                                         float *);
INSTANTIATE(float)
INSTANTIATE(__nv_bfloat16)

} // namespace cardinal::rt::cuda::test
