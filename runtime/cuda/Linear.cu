//===- Linear.cu - fully connected layer on cuBLAS ------------------------===//
//
// Row-major [n, in] x [out, in]^T is the column-major product
// (W^T)^T x^T, so each GEMM below is one cublasGemmEx call with no copies:
//   y^T  (out x n)  = op_T(W: in x out) * (x^T: in x n)
//   dx^T (in x n)   = (W: in x out) * (dy^T: out x n)
//   dW^T (in x out) = (x^T: in x n) * op_T(dy^T: out x n)
// fp32 compute everywhere (tensor cores for bf16 inputs); dW is written in
// fp32 directly from bf16 operands (mixed-precision GEMM), no rounding step.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/DataType.h"
#include "runtime/cuda/Epilogue.cuh"

namespace cardinal::rt::cuda {
namespace {

/// C (m x n, ldc) = op(A) op(B) in column-major terms; C of type CT.
template <typename T, typename CT>
void gemm(Context &ctx, cublasOperation_t ta, cublasOperation_t tb, int64_t m,
          int64_t n, int64_t k, const T *a, int64_t lda, const T *b,
          int64_t ldb, CT *c, int64_t ldc, const char *what) {
  const float alpha = 1.f, beta = 0.f;
  checkCublas(cublasGemmEx(ctx.cublas, ta, tb, static_cast<int>(m),
                         static_cast<int>(n), static_cast<int>(k), &alpha, a,
                         DataType<T>::cuda, static_cast<int>(lda), b,
                         DataType<T>::cuda, static_cast<int>(ldb), &beta, c,
                         DataType<CT>::cuda, static_cast<int>(ldc),
                         CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            what);
}

} // namespace

template <typename T>
void linearForward(Context &ctx, const LinearShape &s, const T *x, const T *w,
                   const T *b, T *y) {
  gemm<T, T>(ctx, CUBLAS_OP_T, CUBLAS_OP_N, s.out, s.n, s.in, w, s.in, x, s.in,
             y, s.out, "linearForward");
  detail::addChannelBias(ctx, s.n, s.out, 1, b, y);
}

template <typename T>
void linearBackward(Context &ctx, const LinearShape &s, const T *x,
                    const T *w, const T *dy, T *dx, float *dw, float *db) {
  if (dx)
    gemm<T, T>(ctx, CUBLAS_OP_N, CUBLAS_OP_N, s.in, s.n, s.out, w, s.in, dy,
               s.out, dx, s.in, "linearBackward(dx)");
  if (dw)
    gemm<T, float>(ctx, CUBLAS_OP_N, CUBLAS_OP_T, s.in, s.out, s.n, x, s.in,
                   dy, s.out, dw, s.in, "linearBackward(dw)");
  if (db)
    biasGrad(ctx, s.n, s.out, 1, dy, db);
}

#define INSTANTIATE(T)                                                         \
  template void linearForward<T>(Context &, const LinearShape &, const T *,   \
                                 const T *, const T *, T *);                   \
  template void linearBackward<T>(Context &, const LinearShape &, const T *,  \
                                  const T *, const T *, T *, float *,         \
                                  float *);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
