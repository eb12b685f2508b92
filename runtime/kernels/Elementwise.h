//===- Elementwise.h - pointwise kernels and buffer helpers ----------------===//
//
// Flat loops over n elements. Each element is written by one thread, so the
// results never depend on the thread count. In-place use (y == x, dx == dy)
// is allowed wherever an output has the shape of an input.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_ELEMENTWISE_H
#define CARDINAL_RUNTIME_KERNELS_ELEMENTWISE_H

#include <cstdint>

namespace cardinal::rt {

/// y = max(x, 0).
template <typename T> void reluForward(int64_t n, const T *x, T *y);

/// dx = yOrX > 0 ? dy : 0. Pass the relu's output or its input: both have the
/// same sign pattern (x > 0 iff relu(x) > 0).
template <typename T>
void reluBackward(int64_t n, const T *yOrX, const T *dy, T *dx);

/// y = a + b.
template <typename T> void add(int64_t n, const T *a, const T *b, T *y);

/// x = 0.
template <typename T> void zero(int64_t n, T *x);
/// x = value.
template <typename T> void fill(int64_t n, T *x, T value);
/// dst = src.
template <typename T> void copy(int64_t n, const T *src, T *dst);
/// y += alpha * x.
template <typename T> void axpy(int64_t n, T alpha, const T *x, T *y);
/// x *= alpha.
template <typename T> void scale(int64_t n, T alpha, T *x);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_ELEMENTWISE_H
