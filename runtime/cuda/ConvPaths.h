//===- ConvPaths.h - the implementations behind conv2d* --------------------===//
//
// conv2dForward/BackwardData/BackwardWeight (CudaKernels.h) pick one of
// these per shape (Conv.cu): cuDNN for dense convs (groups == 1; or the
// cuBLAS GEMMs for unpadded 1x1s, by timing), the direct grouped
// kernel otherwise (cuDNN for all with Context::cudnnOnly). Tests and
// benchmarks call them directly to compare. Bias handling and db are done
// by the conv2d* entry points, not here.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_CONVPATHS_H
#define CARDINAL_RUNTIME_CUDA_CONVPATHS_H

#include "runtime/cuda/ConvChoice.h"
#include "runtime/cuda/CudaKernels.h"

namespace cardinal::rt::cuda {

/// cuDNN (legacy cudnnConvolution* API), algorithm autotuned on the first
/// call of each shape (cudnnFind*, fastest that fits ctx.workspace; only
/// deterministic ones if CARDINAL_CUDNN_DETERMINISTIC=1), cached in
/// ctx.convAlgos. fp32: FMA math (no TF32); bf16: tensor-op math with fp32
/// accumulation. The bf16 weight gradient is produced in bf16 by cuDNN and
/// widened to fp32.
template <typename T>
void cudnnConvForward(Context &ctx, const ConvShape &s, const T *x,
                      const T *w, T *y);
template <typename T>
void cudnnConvBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                           const T *w, T *dx, bool accumulate);
template <typename T>
void cudnnConvBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                             const T *dy, float *dw);

/// A dense unpadded 1x1 conv (math/Gemm1x1.h's fitsGemm1x1) as one cuBLAS
/// strided-batched GEMM on the NCHW tensors (GemmConv.cu; a strided conv
/// on the kept pixels, gathered into the workspace); fp32 compute; forward,
/// backward data and backward weight. Throws std::invalid_argument for any
/// other shape, std::runtime_error if the workspace is smaller than
/// gemmConv1x1WorkspaceBytes.
template <typename T>
size_t gemmConv1x1WorkspaceBytes(const ConvShape &s, ConvDirection dir);
template <typename T>
void gemmConv1x1Forward(Context &ctx, const ConvShape &s, const T *x,
                        const T *w, T *y);
template <typename T>
void gemmConv1x1BackwardData(Context &ctx, const ConvShape &s, const T *dy,
                             const T *w, T *dx, bool accumulate);
/// Per-sample partials in the workspace after x' (as many samples at a time
/// as fit; at least one must), summed in sample order.
template <typename T>
void gemmConv1x1BackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                               const T *dy, float *dw);

/// Direct kernels over runtime shapes (math/ConvMath.h, one output element
/// per thread; the weight gradient split over sample slices and summed in
/// order). The fallback for grouped shapes without a generated
/// specialization (GroupedConv.cuh).
template <typename T>
void directConvForward(Context &ctx, const ConvShape &s, const T *x,
                       const T *w, T *y);
template <typename T>
void directConvBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                            const T *w, T *dx, bool accumulate);
template <typename T>
void directConvBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                              const T *dy, float *dw);

/// Whether GroupedConv.cuh has kernels for s (what an emitter checks
/// before instantiating groupedConv3x3*<...>): a grouped 3x3 conv with
/// padding 1, no dilation, the same stride 1 or 2 on both axes, and rows
/// of at most 512 pixels. Other shapes use conv2d*.
inline bool fitsGroupedConv3x3(const ConvShape &s) {
  return s.valid() && s.groups > 1 && s.kh == 3 && s.kw == 3 &&
         s.padH == 1 && s.padW == 1 && s.dilationH == 1 &&
         s.dilationW == 1 && s.strideH == s.strideW &&
         (s.strideH == 1 || s.strideH == 2) && s.w <= 512;
}

/// The conv's algorithm choice as the library makes it (cuDNN for
/// everything when cudnnOnly, i.e. Context::cudnnOnly).
enum class ConvPath { Cudnn, Direct };
ConvPath chooseConvPath(const ConvShape &s, bool cudnnOnly = false);

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_CONVPATHS_H
