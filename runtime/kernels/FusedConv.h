//===- FusedConv.h - conv + eval BN + residual + ReLU in one call ----------===//
//
// The kernel of nn.conv2d_bn_act (--nn-fold-bn, inference):
//   y = maybe_relu((conv(x, w) - mean) * scale / sqrt(var + eps) + shift
//                  + residual)
// This entry point folds BN at call time into a per-thread scratch copy of
// the weights, per output channel o:
//   a_o = scale_o / sqrt(var_o + eps)        (in double)
//   W'[o] = W[o] * a_o,  b'_o = shift_o - mean_o * a_o
// then runs conv2dBiasActForward (either algorithm), whose epilogue adds b',
// the residual and the ReLU to each output tile while it is in cache.
// Generated predict() code instead folds once per weight version into a
// cache it owns (foldBatchNorm) and calls conv2dBiasActForward directly.
// `residual` may be null; it may not alias `y`.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_FUSEDCONV_H
#define CARDINAL_RUNTIME_KERNELS_FUSEDCONV_H

#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

/// Folds eval BN into per-output-channel weights and bias: wOut has
/// s.weightSize() elements, biasOut s.o.
template <typename T>
void foldBatchNorm(const ConvShape &s, const T *w, const T *scale,
                   const T *shift, const T *runningMean, const T *runningVar,
                   T eps, T *wOut, T *biasOut);

/// y = maybe_relu(batch_norm_eval(conv(x, w)) + residual).
template <typename T>
void conv2dBnActForward(const ConvShape &s, const T *x, const T *w,
                        const T *scale, const T *shift, const T *runningMean,
                        const T *runningVar, T eps, const T *residual,
                        bool relu, T *y, ConvAlgo algo = ConvAlgo::Auto);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_FUSEDCONV_H
