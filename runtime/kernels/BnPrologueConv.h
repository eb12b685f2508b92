//===- BnPrologueConv.h - conv reading relu(BN(x)) formed on the fly -------===//
//
// cuDNN's ConvBNfprop pattern on the CPU (--nn-fuse-conv-bn-relu): the
// conv after a training BN + ReLU reads the raw conv output x of the layer
// before and forms relu((x - mean)·scale·invstd + shift) for a chunk of a
// few images (detail::imagesPerChunk, ~4 MiB) in a scratch that stays in
// cache, then convolves the chunk, so the normalized activation of the batch
// is never written to (or re-read from) memory:
//  - bnReluConv2dForward: y = conv(relu(BN(x)), w)          (nn.bn_relu_conv2d)
//  - bnReluConv2dBackwardWeight: dw = conv_grad_weight(relu(BN(x)), dy)
//    (nn.bn_relu_conv2d_grad_weight), the activation recomputed the same way
//    instead of stored by the forward; the chunks' dw are summed in order
//    (deterministic).
// Dense and grouped convs alike; `s` is the conv's shape (s.c = x's channels).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_BNPROLOGUECONV_H
#define CARDINAL_RUNTIME_KERNELS_BNPROLOGUECONV_H

#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

template <typename T>
void bnReluConv2dForward(const ConvShape &s, const T *x, const T *mean,
                         const T *invstd, const T *scale, const T *shift,
                         const T *w, T *y);

template <typename T>
void bnReluConv2dBackwardWeight(const ConvShape &s, const T *x, const T *mean,
                                const T *invstd, const T *scale,
                                const T *shift, const T *dy, T *dw);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_BNPROLOGUECONV_H
