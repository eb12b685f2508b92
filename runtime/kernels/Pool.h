//===- Pool.h - max pooling and global average pooling ---------------------===//
//
// Max pooling follows PyTorch: padding never wins, the first maximum in
// window order is taken, NaN propagates. Its backward either reads the
// argmax saved by the forward (int32 index into the sample-channel plane,
// ih * w + iw; -1 if a window saw only padding) or recomputes it from x.
// One plane per thread iteration: results never depend on the thread count.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_POOL_H
#define CARDINAL_RUNTIME_KERNELS_POOL_H

#include "runtime/kernels/Shapes.h"

#include <cstdint>

namespace cardinal::rt {

/// y = max over each window; argmax (may be null) gets the winners.
template <typename T>
void maxPool2dForward(const PoolShape &s, const T *x, T *y, int32_t *argmax);

/// dx[argmax] += dy per window; dx is zeroed first unless `accumulate`.
template <typename T>
void maxPool2dBackward(const PoolShape &s, const int32_t *argmax, const T *dy,
                       T *dx, bool accumulate = false);

/// As maxPool2dBackward, finding each window's winner again from x.
template <typename T>
void maxPool2dBackwardRecompute(const PoolShape &s, const T *x, const T *dy,
                                T *dx, bool accumulate = false);

/// y[n, c] = mean of x[n, c, :, :].
template <typename T>
void globalAvgPoolForward(const ActShape &s, const T *x, T *y);

/// dx[n, c, :, :] = dy[n, c] / (h * w) (added if `accumulate`).
template <typename T>
void globalAvgPoolBackward(const ActShape &s, const T *dy, T *dx,
                           bool accumulate = false);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_POOL_H
