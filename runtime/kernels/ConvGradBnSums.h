//===- ConvGradBnSums.h - conv backward-data with BN-grad reductions -------===//
//
// The kernel of nn.conv2d_grad_input_bn_sums (--nn-fuse-conv-bn-relu): the
// conv's input gradient dx = conv^T(dy, w), which is the output gradient of
// the BN + ReLU the conv read in its prologue, and that BN backward's two
// reductions per channel,
//   dshift = Σdz,  dscale = Σdz·(x - mean)·invstd,  dz = dx·[BN(x) > 0]
// (x the BN's input, the mask recomputed from it as bnReluApplyBackward
// does), without a separate reductions pass over dx: the transposed conv
// runs on chunks of images (detail::imagesPerChunk, ~4 MiB, as ConvStats)
// and each chunk's sums are accumulated right after, while the chunk is in
// cache. Sums are in double, per channel, over image rows in image order
// (detail::channelGradSums, bnReluApplyBackward's arithmetic and order):
// deterministic and independent of the thread count. The sums are local
// to this replica: with synchronized BN, bnReluApplyBackwardInput does the
// all-reduce (as dscale/dshift stay local gradients).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_CONVGRADBNSUMS_H
#define CARDINAL_RUNTIME_KERNELS_CONVGRADBNSUMS_H

#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

/// `s` is the forward conv's shape (its input is the BN + ReLU's output);
/// dy has s.output()'s shape, dx and bnInput s.input()'s.
template <typename T>
void conv2dBackwardDataBnSums(const ConvShape &s, const T *dy, const T *w,
                              const T *bnInput, const T *mean,
                              const T *invstd, const T *scale, const T *shift,
                              T *dx, T *dscale, T *dshift);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_CONVGRADBNSUMS_H
