//===- BnStats.h - per-channel batch moments (internal) --------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_BNSTATS_H
#define CARDINAL_RUNTIME_KERNELS_BNSTATS_H

#include "runtime/kernels/Shapes.h"

#include <cmath>

namespace cardinal::rt::detail {

/// Mean and biased variance of channel c over N, H, W: two passes in double,
/// as PyTorch's CPU kernels, so float inputs with |mean| >> std stay exact.
template <typename T>
inline void channelMoments(const ActShape &s, const T *x, int64_t c,
                           double &mean, double &var) {
  const int64_t hw = s.hw(), count = s.n * hw;
  double sum = 0;
  for (int64_t n = 0; n < s.n; ++n) {
    const T *row = x + (n * s.c + c) * hw;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < hw; ++i)
      sum += row[i];
  }
  mean = sum / count;
  double sq = 0;
  for (int64_t n = 0; n < s.n; ++n) {
    const T *row = x + (n * s.c + c) * hw;
#pragma omp simd reduction(+ : sq)
    for (int64_t i = 0; i < hw; ++i) {
      const double d = row[i] - mean;
      sq += d * d;
    }
  }
  var = sq / count;
}

/// The rest of a training-mode BN forward for channel c once its batch
/// moments are known (locally or all-reduced): y = (x − mean)·a + b (then
/// ReLU when fused), the saved mean and 1/std for backward, and the running
/// statistics (momentum; unbiased variance, as PyTorch).
template <bool Relu, typename T>
inline void normalizeChannel(const ActShape &s, const T *x, int64_t c,
                             double mean, double var, double count,
                             const T *scale, const T *shift, T eps,
                             T momentum, T *y, T *saveMean, T *saveInvStd,
                             T *runningMean, T *runningVar) {
  const int64_t hw = s.hw();
  const double invStd = 1.0 / std::sqrt(var + eps);
  // (x - mean) * a + b rather than x * a + (b - mean * a): no cancellation
  // when |mean| >> std.
  const T meanT = static_cast<T>(mean);
  const T a = static_cast<T>((scale ? scale[c] : 1.0) * invStd);
  const T b = shift ? shift[c] : T(0);
  for (int64_t n = 0; n < s.n; ++n) {
    const T *row = x + (n * s.c + c) * hw;
    T *out = y + (n * s.c + c) * hw;
#pragma omp simd
    for (int64_t i = 0; i < hw; ++i) {
      const T v = (row[i] - meanT) * a + b;
      out[i] = Relu ? (v > T(0) ? v : T(0)) : v;
    }
  }
  saveMean[c] = meanT;
  saveInvStd[c] = static_cast<T>(invStd);
  if (runningMean && runningVar) {
    const double unbiased = count > 1 ? var * count / (count - 1) : var;
    runningMean[c] =
        static_cast<T>((1 - momentum) * runningMean[c] + momentum * mean);
    runningVar[c] =
        static_cast<T>((1 - momentum) * runningVar[c] + momentum * unbiased);
  }
}

} // namespace cardinal::rt::detail

#endif
