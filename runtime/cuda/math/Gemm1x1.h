//===- Gemm1x1.h - a 1x1 conv in NCHW as cuBLAS strided-batched GEMMs -----===//
//
// Why: in NCHW a dense 1x1 conv with stride 1 and no padding is, per
// sample n, the matrix product y_n[O x HW] = w[O x C] · x_n[C x HW], and
// its data gradient dx_n[C x HW] = w^T · dy_n[O x HW]. cuBLAS runs that as
// one strided-batched GEMM on the tensors as they lie, with tensor cores
// for bf16, where cuDNN's NCHW tensor-core paths transpose to NHWC and
// back. ResNeXt's 1x1 convs carry about two thirds of its FLOPs, so the
// library times this against cuDNN per layer (ConvChoice.h).
//
// A strided 1x1 (the projection shortcuts that halve the map) is the same
// product over the pixels the stride keeps: those are gathered into a
// compact x' [N, C, OH, OW] first (a quarter of x at stride 2), the
// plans below run on x' (they read x and dx as x' [N, C, OH, OW]), and the data gradient
// of x' is scattered back onto x's grid, zero elsewhere.
//
// cuBLAS is column-major: a row-major R x K matrix is a column-major
// K x R one. Hence y_n^T[HW x O] = x_n^T[HW x C] · w^T[C x O] with every
// operand as it lies (forward), and dx_n^T[HW x C] = dy_n^T[HW x O] ·
// (w^T)^T (backward data: B transposed). The weight gradient sums over the
// samples, which a batched GEMM does not: per sample,
// dw_n^T[C x O] = (x_n^T)^T · dy_n^T (A transposed) into a partial, then
// the partials are summed in sample order. The plans below are that
// mapping; tests/cuda/MathGemm1x1Test.cpp runs them through a column-major
// reference GEMM against the CPU conv kernels.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_GEMM1X1_H
#define CARDINAL_RUNTIME_CUDA_MATH_GEMM1X1_H

#include "runtime/cuda/HostDevice.h"
#include "runtime/kernels/Shapes.h"

#include <cstdint>

namespace cardinal::rt::cuda {

/// C_i = alpha · op(A_i) · op(B_i) + beta · C_i for i < batch,
/// column-major: op(A_i) m x k from a + i * strideA (lda; stored k x m when
/// transA), op(B_i) k x n from b + i * strideB (ldb; stored n x k when
/// transB; strideB 0: one B for all), C_i m x n at c + i * strideC (ldc).
struct Gemm1x1Plan {
  bool transA = false, transB = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;
  int64_t strideA = 0, strideB = 0, strideC = 0, batch = 0;
};

/// A dense unpadded 1x1 conv, any stride: a per-sample matrix product
/// over the pixels the stride keeps.
inline bool fitsGemm1x1(const ConvShape &s) {
  return s.valid() && s.groups == 1 && s.kh == 1 && s.kw == 1 &&
         s.padH == 0 && s.padW == 0;
}

/// Whether the GEMMs run on a gathered copy of the kept pixels.
inline bool gemm1x1Gathers(const ConvShape &s) {
  return s.strideH != 1 || s.strideW != 1;
}

/// Where x' element i (NCHW over N, C, OH, OW) lies in x. (Device code
/// reads ConvShape's fields only: its member functions are host-only.)
CARDINAL_HD inline int64_t gemm1x1KeptOffset(const ConvShape &s, int64_t i) {
  const int64_t ow = i % s.ow, oh = i / s.ow % s.oh, nc = i / (s.ow * s.oh);
  return (nc * s.h + oh * s.strideH) * s.w + ow * s.strideW;
}

/// The x' element that x element i (NCHW) was gathered into, or -1 for a
/// pixel the stride skips (its gradient is zero).
CARDINAL_HD inline int64_t gemm1x1KeptIndex(const ConvShape &s, int64_t i) {
  const int64_t iw = i % s.w, ih = i / s.w % s.h, nc = i / (s.w * s.h);
  if (ih % s.strideH != 0 || iw % s.strideW != 0)
    return -1;
  const int64_t oh = ih / s.strideH, ow = iw / s.strideW;
  if (oh >= s.oh || ow >= s.ow)
    return -1;
  return (nc * s.oh + oh) * s.ow + ow;
}

/// y = conv(x, w): A = x, B = w, C = y.
inline Gemm1x1Plan gemm1x1Forward(const ConvShape &s) {
  const int64_t hw = s.oh * s.ow; // x, dx: x' if gemm1x1Gathers(s)
  Gemm1x1Plan p;
  p.m = hw, p.n = s.o, p.k = s.c;
  p.lda = hw, p.ldb = s.c, p.ldc = hw;
  p.strideA = s.c * hw, p.strideC = s.o * hw, p.batch = s.n;
  return p;
}

/// dx = conv^T(dy, w): A = dy, B = w (transposed), C = dx.
inline Gemm1x1Plan gemm1x1BackwardData(const ConvShape &s) {
  const int64_t hw = s.oh * s.ow; // x, dx: x' if gemm1x1Gathers(s)
  Gemm1x1Plan p;
  p.transB = true;
  p.m = hw, p.n = s.c, p.k = s.o;
  p.lda = hw, p.ldb = s.c, p.ldc = hw;
  p.strideA = s.o * hw, p.strideC = s.c * hw, p.batch = s.n;
  return p;
}

/// dw = sum over n of C_n: A = x (transposed), B = dy, C_n = sample n's
/// partial dw (fp32, O x C row-major = C x O column-major, s.weightSize()
/// floats apart).
inline Gemm1x1Plan gemm1x1BackwardWeight(const ConvShape &s) {
  const int64_t hw = s.oh * s.ow; // x, dx: x' if gemm1x1Gathers(s)
  Gemm1x1Plan p;
  p.transA = true;
  p.m = s.c, p.n = s.o, p.k = hw;
  p.lda = hw, p.ldb = hw, p.ldc = s.c;
  p.strideA = s.c * hw, p.strideB = s.o * hw, p.strideC = s.o * s.c;
  p.batch = s.n;
  return p;
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_GEMM1X1_H
