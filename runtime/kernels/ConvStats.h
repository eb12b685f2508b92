//===- ConvStats.h - conv with a batch-statistics epilogue -----------------===//
//
// The kernel of nn.conv2d_stats (--nn-fuse-conv-bn-relu, DESIGN §5): y =
// conv(x, w), and the per-channel batch mean and 1/sqrt(biased var + eps)
// of y for the training BN it feeds, without a separate pass over y: the
// conv runs on chunks of a few images (detail::imagesPerChunk, ~4 MiB) and
// each chunk's moments (mean, sum of squared deviations; double, two passes
// over the chunk while it is in cache, detail::channelMoments) are taken
// right after, then merged across chunks in a fixed order (Chan et al.'s
// pairwise update): deterministic, as exact as the unfused two-pass
// statistics, and bit-identical to them when the batch is one chunk. Updates the running statistics exactly as
// batchNormForwardTrain (momentum; unbiased variance). With a
// synchronized-BN reducer installed it falls back to conv + the unfused BN
// (whose statistics are all-reduced).
// bnReluConv2dStatsForward is the same with nn.bn_relu_conv2d's prologue:
// the conv reads relu((x - inMean)·inScale·inInvstd + inShift) formed per
// chunk in cache (the conv between two training BNs).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_CONVSTATS_H
#define CARDINAL_RUNTIME_KERNELS_CONVSTATS_H

#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

template <typename T>
void conv2dStatsForward(const ConvShape &s, const T *x, const T *w, T eps,
                        T momentum, T *y, T *mean, T *invstd, T *runningMean,
                        T *runningVar);

template <typename T>
void bnReluConv2dStatsForward(const ConvShape &s, const T *x, const T *inMean,
                              const T *inInvstd, const T *inScale,
                              const T *inShift, const T *w, T eps, T momentum,
                              T *y, T *mean, T *invstd, T *runningMean,
                              T *runningVar);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_CONVSTATS_H
