//===- ChannelLoops.cpp -----------------------------------------------------===//
//
// Built with -ffp-contract=off (CMakeLists.txt): the AVX2/AVX-512 clones
// would otherwise fuse (x - mean)·a + b into an FMA, and the backward's
// recomputed ReLU mask must round exactly like the forward's.
//
//===----------------------------------------------------------------------===//
#include "runtime/kernels/ChannelLoops.h"

#include <algorithm>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define CARDINAL_ISA_CLONES                                                    \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CARDINAL_ISA_CLONES
#endif

namespace cardinal::rt::detail {

namespace {

/// The masked gradient of one element; both loads happen before the call,
/// so the select is branch-free.
/// The mask's coefficients as values: read through the reference, GCC
/// kept them in the loop and left it scalar ("control flow in loop").
template <typename T> struct Coeffs {
  T mean, a, b;
};

template <typename T, int Kind>
[[gnu::always_inline]] inline T masked(T xv, T yv, T gv, Coeffs<T> m) {
  if constexpr (Kind == ReluMask<T>::Output) {
    return yv > T(0) ? gv : T(0);
  } else if constexpr (Kind == ReluMask<T>::Recompute) {
    const T v = (xv - m.mean) * m.a + m.b;
    return v > T(0) ? gv : T(0);
  } else {
    return gv;
  }
}

template <typename T, int Kind>
[[gnu::always_inline]] inline void
gradSums(ChannelRows r, const T *x, const T *dy, const ReluMask<T> &mask,
         double mean, double &sumDy, double &sumDyXmu, T *gOut) {
  double a = sumDy, b = sumDyXmu;
  const Coeffs<T> k{mask.mean, mask.a, mask.b};
  // Two loops per block of a row: the masked gradient into an L1 buffer
  // (or gOut), then the reductions. In one loop GCC turned the select of the
  // Recompute mask back into a branch and left the loop scalar.
  constexpr int64_t kBlock = 512;
  T buf[kBlock];
  for (int64_t i = 0; i < r.n; ++i) {
    const T *xr = x + i * r.stride, *gr = dy + i * r.stride;
    const T *yr = Kind == ReluMask<T>::Output ? mask.y + i * r.stride : xr;
    for (int64_t j0 = 0; j0 < r.hw; j0 += kBlock) {
      const int64_t len = std::min(kBlock, r.hw - j0);
      T *g = gOut ? gOut + i * r.stride + j0 : buf;
      const T *xb = xr + j0, *yb = yr + j0, *gb = gr + j0;
#pragma omp simd
      for (int64_t j = 0; j < len; ++j) {
        const T xv = xb[j], yv = yb[j], gv = gb[j];
        g[j] = masked<T, Kind>(xv, yv, gv, k);
      }
#pragma omp simd reduction(+ : a, b)
      for (int64_t j = 0; j < len; ++j) {
        const T gv = g[j];
        a += gv;
        b += gv * (xb[j] - mean);
      }
    }
  }
  sumDy = a;
  sumDyXmu = b;
}

template <typename T, int Kind>
[[gnu::always_inline]] inline void
gradInput(ChannelRows r, const T *x, const T *dy, const ReluMask<T> &mask,
          T mean, T meanDy, T proj, T k, T *dx) {
  const Coeffs<T> mk{mask.mean, mask.a, mask.b};
  for (int64_t i = 0; i < r.n; ++i) {
    const T *xr = x + i * r.stride, *gr = dy + i * r.stride;
    const T *yr = Kind == ReluMask<T>::Output ? mask.y + i * r.stride : xr;
    T *o = dx + i * r.stride;
#pragma omp simd
    for (int64_t j = 0; j < r.hw; ++j) {
      const T xv = xr[j], yv = yr[j], gv = gr[j];
      const T g = masked<T, Kind>(xv, yv, gv, mk);
      o[j] = (g - meanDy - (xv - mean) * proj) * k;
    }
  }
}

} // namespace

template <typename T>
CARDINAL_ISA_CLONES double channelSum(ChannelRows r, const T *x) {
  double sum = 0;
  for (int64_t i = 0; i < r.n; ++i) {
    const T *row = x + i * r.stride;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < r.hw; ++j)
      sum += row[j];
  }
  return sum;
}

template <typename T>
CARDINAL_ISA_CLONES double channelSquaredDeviation(ChannelRows r, const T *x,
                                                   double mean) {
  double sq = 0;
  for (int64_t i = 0; i < r.n; ++i) {
    const T *row = x + i * r.stride;
#pragma omp simd reduction(+ : sq)
    for (int64_t j = 0; j < r.hw; ++j) {
      const double d = row[j] - mean;
      sq += d * d;
    }
  }
  return sq;
}

template <typename T>
CARDINAL_ISA_CLONES void channelAffine(ChannelRows r, const T *x, T mean, T a,
                                       T b, const T *residual, bool relu,
                                       T *y) {
  for (int64_t i = 0; i < r.n; ++i) {
    const T *row = x + i * r.stride;
    T *out = y + i * r.stride;
    if (residual) {
      const T *res = residual + i * r.stride;
      if (relu) {
#pragma omp simd
        for (int64_t j = 0; j < r.hw; ++j) {
          const T v = (row[j] - mean) * a + b + res[j];
          out[j] = v > T(0) ? v : T(0);
        }
      } else {
#pragma omp simd
        for (int64_t j = 0; j < r.hw; ++j)
          out[j] = (row[j] - mean) * a + b + res[j];
      }
    } else if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < r.hw; ++j) {
        const T v = (row[j] - mean) * a + b;
        out[j] = v > T(0) ? v : T(0);
      }
    } else {
#pragma omp simd
      for (int64_t j = 0; j < r.hw; ++j)
        out[j] = (row[j] - mean) * a + b;
    }
  }
}

template <typename T>
CARDINAL_ISA_CLONES void channelGradSums(ChannelRows r, const T *x,
                                         const T *dy, const ReluMask<T> &mask,
                                         double mean, double &sumDy,
                                         double &sumDyXmu, T *gOut) {
  switch (mask.kind) {
  case ReluMask<T>::None:
    return gradSums<T, ReluMask<T>::None>(r, x, dy, mask, mean, sumDy,
                                          sumDyXmu, gOut);
  case ReluMask<T>::Output:
    return gradSums<T, ReluMask<T>::Output>(r, x, dy, mask, mean, sumDy,
                                            sumDyXmu, gOut);
  case ReluMask<T>::Recompute:
    return gradSums<T, ReluMask<T>::Recompute>(r, x, dy, mask, mean, sumDy,
                                               sumDyXmu, gOut);
  }
}

template <typename T>
CARDINAL_ISA_CLONES void channelGradInput(ChannelRows r, const T *x,
                                          const T *dy, const ReluMask<T> &mask,
                                          T mean, T meanDy, T proj, T k,
                                          T *dx) {
  switch (mask.kind) {
  case ReluMask<T>::None:
    return gradInput<T, ReluMask<T>::None>(r, x, dy, mask, mean, meanDy, proj,
                                           k, dx);
  case ReluMask<T>::Output:
    return gradInput<T, ReluMask<T>::Output>(r, x, dy, mask, mean, meanDy,
                                             proj, k, dx);
  case ReluMask<T>::Recompute:
    return gradInput<T, ReluMask<T>::Recompute>(r, x, dy, mask, mean, meanDy,
                                                proj, k, dx);
  }
}

template <typename T>
CARDINAL_ISA_CLONES void maskPositive(int64_t n, const T *m, const T *g,
                                      T *out) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const T mv = m[i], gv = g[i];
    out[i] = mv > T(0) ? gv : T(0);
  }
}

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
