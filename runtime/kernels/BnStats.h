//===- BnStats.h - per-channel batch moments (internal) --------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_BNSTATS_H
#define CARDINAL_RUNTIME_KERNELS_BNSTATS_H

#include "runtime/kernels/Shapes.h"

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

} // namespace cardinal::rt::detail

#endif
