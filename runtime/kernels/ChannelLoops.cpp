//===- ChannelLoops.cpp ---------------------------------------------------===//
//
// ChannelLoopsBody.inc compiled three times, for the direct conv's vector
// levels (DirectConvIsa.h: AVX-512, AVX2+FMA, baseline SSE2), and picked at
// run time from the same level, so tests can force each one.
//
// Built with -ffp-contract=off (CMakeLists.txt): the AVX2/AVX-512 versions
// would otherwise fuse (x - mean)·a + b into an FMA, and the backward's
// recomputed ReLU mask must round exactly like the forward's.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/ChannelLoops.h"
#include "runtime/kernels/DirectConvIsa.h"

#include <algorithm>

namespace cardinal::rt::detail {

namespace baseline {
#define CARDINAL_ISA_ATTR
#include "runtime/kernels/ChannelLoopsBody.inc"
#undef CARDINAL_ISA_ATTR
} // namespace baseline

#if defined(__x86_64__) || defined(__i386__)
#define CARDINAL_CHANNEL_LOOPS_X86 1
namespace avx2 {
#define CARDINAL_ISA_ATTR __attribute__((target("avx2,fma")))
#include "runtime/kernels/ChannelLoopsBody.inc"
#undef CARDINAL_ISA_ATTR
} // namespace avx2
namespace avx512 {
#define CARDINAL_ISA_ATTR                                                      \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#include "runtime/kernels/ChannelLoopsBody.inc"
#undef CARDINAL_ISA_ATTR
} // namespace avx512
#endif

// Calls `fn` (a function of the body, with its arguments) at the current
// vector level.
#ifdef CARDINAL_CHANNEL_LOOPS_X86
#define CARDINAL_AT_LEVEL(...)                                                 \
  switch (directConvIsa()) {                                                   \
  case VectorIsa::Avx512:                                                      \
    return avx512::__VA_ARGS__;                                                \
  case VectorIsa::Avx2:                                                        \
    return avx2::__VA_ARGS__;                                                  \
  case VectorIsa::Baseline:                                                    \
    break;                                                                     \
  }                                                                            \
  return baseline::__VA_ARGS__
#else
#define CARDINAL_AT_LEVEL(...) return baseline::__VA_ARGS__
#endif

template <typename T> double channelSum(ChannelRows r, const T *x) {
  CARDINAL_AT_LEVEL(channelSum(r, x));
}

template <typename T>
double channelSquaredDeviation(ChannelRows r, const T *x, double mean) {
  CARDINAL_AT_LEVEL(channelSquaredDeviation(r, x, mean));
}

template <typename T>
void channelAffine(ChannelRows r, const T *x, T mean, T a, T b,
                   const T *residual, bool relu, T *y) {
  CARDINAL_AT_LEVEL(channelAffine(r, x, mean, a, b, residual, relu, y));
}

template <typename T>
void channelGradSums(ChannelRows r, const T *x, const T *dy,
                     const ReluMask<T> &mask, double mean, double &sumDy,
                     double &sumDyXmu, T *gOut) {
  CARDINAL_AT_LEVEL(
      channelGradSums(r, x, dy, mask, mean, sumDy, sumDyXmu, gOut));
}

template <typename T>
void channelGradInput(ChannelRows r, const T *x, const T *dy,
                      const ReluMask<T> &mask, T mean, T meanDy, T proj, T k,
                      T *dx) {
  CARDINAL_AT_LEVEL(
      channelGradInput(r, x, dy, mask, mean, meanDy, proj, k, dx));
}

template <typename T>
void maskPositive(int64_t n, const T *m, const T *g, T *out) {
  CARDINAL_AT_LEVEL(maskPositive(n, m, g, out));
}

#undef CARDINAL_AT_LEVEL

#define CARDINAL_INSTANTIATE(T)                                                \
  template double channelSum<T>(ChannelRows, const T *);                      \
  template double channelSquaredDeviation<T>(ChannelRows, const T *, double); \
  template void channelAffine<T>(ChannelRows, const T *, T, T, T, const T *,  \
                                 bool, T *);                                   \
  template void channelGradSums<T>(ChannelRows, const T *, const T *,         \
                                   const ReluMask<T> &, double, double &,      \
                                   double &, T *);                             \
  template void channelGradInput<T>(ChannelRows, const T *, const T *,        \
                                    const ReluMask<T> &, T, T, T, T, T *);     \
  template void maskPositive<T>(int64_t, const T *, const T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt::detail
