//===- Linear.h - fully connected layer ------------------------------------===//
//
// y = x W^T + b with x [n, in], W [out, in] (PyTorch nn.Linear layout).
// Each thread runs a single-threaded BLAS GEMM on its own slice of output
// columns (forward, dW) or input columns (dx), so every output element is
// one GEMM dot product and no partial sums cross threads.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_LINEAR_H
#define CARDINAL_RUNTIME_KERNELS_LINEAR_H

#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

/// y = x W^T (+ b if non-null).
template <typename T>
void linearForward(const LinearShape &s, const T *x, const T *w, const T *b,
                   T *y);

/// dx = dy W, dW = dy^T x, db = sum over n of dy; any output may be null.
template <typename T>
void linearBackward(const LinearShape &s, const T *x, const T *w, const T *dy,
                    T *dx, T *dw, T *db);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_LINEAR_H
