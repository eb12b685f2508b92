//===- Conv2d.h - 2-D convolution forward and backward ---------------------===//
//
// Dense and grouped NCHW/OIHW convolution in two implementations:
//  - Gemm: im2col (skipped for 1x1 stride-1 unpadded convs) + one BLAS GEMM
//    per (sample, group); good when each group is wide.
//  - Direct: loops over output rows with the weights of one group in
//    registers/L1; wins when the group width d is small (ResNeXt's 32x4d
//    bottleneck 3x3), where per-group GEMMs are tiny and im2col dominates.
// ConvAlgo::Auto picks by chooseConvAlgo(). Both accept any valid shape, so
// tests can run the same shape through both.
//
// All kernels overwrite their outputs unless `accumulate` says otherwise.
// Template instantiations: float (trainers) and double (gradient checks).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_CONV2D_H
#define CARDINAL_RUNTIME_KERNELS_CONV2D_H

#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

enum class ConvAlgo { Auto, Gemm, Direct };

/// Group widths up to this use the direct kernel under ConvAlgo::Auto.
constexpr int64_t kDirectConvMaxGroupWidth = 16;
/// ... and output rows at least this wide (the kernels' SIMD runs along
/// them). 8 would be a little faster still on resnext_small, but its 4-wide
/// stage would then round each sample differently at batch 16 and 32, and
/// comm.dp.sync_bn's 2-rank vs one-process runs, equal to 1e-6 for six
/// steps, part at the seventh (a discontinuity such as a ReLU mask flips).
constexpr int64_t kDirectConvMinOutputWidth = 4;

/// Direct for grouped convs whose per-group input and output widths are both
/// at most kDirectConvMaxGroupWidth and whose output rows are at least
/// kDirectConvMinOutputWidth wide; Gemm otherwise.
ConvAlgo chooseConvAlgo(const ConvShape &s);

/// y = conv(x, w) (+ bias[o] if bias is non-null).
template <typename T>
void conv2dForward(const ConvShape &s, const T *x, const T *w, const T *bias,
                   T *y, ConvAlgo algo = ConvAlgo::Auto);

/// y = maybe_relu(conv(x, w) + bias[o] + residual), the epilogue applied to
/// each output tile as soon as the GEMM or direct kernel has produced it
/// (while it is in cache) rather than in a second pass over y. bias and
/// residual may be null; residual has y's shape and may not alias y.
template <typename T>
void conv2dBiasActForward(const ConvShape &s, const T *x, const T *w,
                          const T *bias, const T *residual, bool relu, T *y,
                          ConvAlgo algo = ConvAlgo::Auto);

/// dx = conv^T(dy, w); with accumulate, dx += instead.
template <typename T>
void conv2dBackwardData(const ConvShape &s, const T *dy, const T *w, T *dx,
                        bool accumulate = false,
                        ConvAlgo algo = ConvAlgo::Auto);

/// dw = d(loss)/dw given x and dy; db (if non-null) = sum of dy over n, h, w.
template <typename T>
void conv2dBackwardWeight(const ConvShape &s, const T *x, const T *dy, T *dw,
                          T *db, ConvAlgo algo = ConvAlgo::Auto);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_CONV2D_H
