//===- Blas.h - row-major GEMM overloaded on float / double ----------------===//
//
// Internal to the kernels. Lets templated kernels call one name for sgemm and
// dgemm. Callers invoke it from inside their own OpenMP loops, after
// detail::ensureSequentialBlas().
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_BLAS_H
#define CARDINAL_RUNTIME_KERNELS_BLAS_H

#include <cblas.h>
#include <cstdint>

namespace cardinal::rt::detail {

/// C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, all row-major.
inline void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 float alpha, const float *a, int64_t lda, const float *b,
                 int64_t ldb, float beta, float *c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
              alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
inline void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 double alpha, const double *a, int64_t lda, const double *b,
                 int64_t ldb, double beta, double *c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
              alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

} // namespace cardinal::rt::detail

#endif // CARDINAL_RUNTIME_KERNELS_BLAS_H
