//===- BnStats.h - per-channel batch moments (internal) --------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_BNSTATS_H
#define CARDINAL_RUNTIME_KERNELS_BNSTATS_H

#include "runtime/kernels/ChannelLoops.h"
#include "runtime/kernels/Shapes.h"

#include <cmath>

namespace cardinal::rt::detail {

/// Mean and biased variance of channel c over N, H, W: two passes in double,
/// as PyTorch's CPU kernels, so float inputs with |mean| >> std stay exact.
template <typename T>
inline void channelMoments(const ActShape &s, const T *x, int64_t c,
                           double &mean, double &var) {
  const int64_t count = s.n * s.hw();
  const ChannelRows rows{s.n, s.hw(), s.c * s.hw()};
  const T *first = x + c * s.hw();
  mean = channelSum(rows, first) / count;
  var = channelSquaredDeviation(rows, first, mean) / count;
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
  channelAffine(ChannelRows{s.n, hw, s.c * hw}, x + c * hw, meanT, a, b,
                static_cast<const T *>(nullptr), Relu, y + c * hw);
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
