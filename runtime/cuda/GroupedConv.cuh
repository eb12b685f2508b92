//===- GroupedConv.cuh - shape-specialized grouped 3x3 conv kernels -------===//
//
// The ResNeXt hot spot: a 3x3 conv, padding 1, with C groups of narrow width
// d (32x4d: d = 4..32 at 56..7 pixels, stride 1 or 2). cuDNN's grouped
// convolutions run such shapes as many tiny GEMMs or fall back to slow
// paths; a direct kernel whose loops are all compile-time constants does
// better. Generated .cu files instantiate, with the plan's constants,
//
//   groupedConv3x3Forward     <Groups, CinG, CoutG, H, W, Stride, T>
//   groupedConv3x3BackwardData<Groups, CinG, CoutG, H, W, Stride, T>
//   groupedConv3x3BackwardWeight<Groups, CinG, CoutG, H, W, Stride, T>
//
// and the conv-level training fusion's kernels (nn.conv2d_stats,
// nn.bn_relu_conv2d_stats, nn.bn_relu_conv2d, nn.bn_relu_conv2d_grad_weight;
// same parameters as the CPU's ConvStats.h / BnPrologueConv.h with the
// batch n for the shape, BN parameters and statistics fp32):
//
//   groupedConv3x3StatsForward        y = conv(x), batch stats of y
//   groupedConv3x3BnReluStatsForward  y = conv(relu(BN(x))), stats of y
//   groupedConv3x3BnReluForward       y = conv(relu(BN(x)))
//   groupedConv3x3BnReluBackwardWeight dw of conv(relu(BN(x)))
//
// (H, W: input extent; CinG/CoutG: channels per group; T: float or
// __nv_bfloat16; weights of type T, weight gradients fp32). Same results as
// conv2d* on ConvShape::make(n, Groups*CinG, H, W, Groups*CoutG, 3, 3,
// Stride, 1, 1, Groups). Only the instantiated shapes are compiled: the
// library itself instantiates none.
//
// Design (all three kernels):
//  - A block owns one (sample, group, chunk of output channels, tile of
//    rows). The rows of the group's input it needs (with the zero halo of
//    the padding) are staged in shared memory once and then read 9 x
//    CoutChunk times; the group's weights for the chunk are staged too and
//    read as warp-wide broadcasts (every thread uses the same weight at the
//    same time), so they cost no bank conflicts.
//  - Threads map to output pixels along a row, so every global load and
//    store is a run of consecutive addresses in NCHW (coalesced), and the
//    shared-memory reads of neighbouring threads hit neighbouring banks
//    (stride 2 layers: a 2-way conflict, still cheaper than a transpose).
//  - Staging converts to fp32 once; all accumulation is fp32 in registers
//    (one accumulator per output channel of the chunk, chunk <= 16 so
//    register use stays bounded for CIFAR's d = 64..256).
//  - Input channels are processed in chunks sized so shared memory stays
//    under 40 KB per block (several blocks per SM for latency hiding).
//  - Backward-weight reduces over samples and pixels without atomics: each
//    block sums a slice of samples into an fp32 partial in the workspace and
//    a second kernel adds the slices in order (deterministic).
//  - Fusion (cuDNN's ConvBNfprop pattern): the BN + ReLU of the layer
//    before is applied to x while it is staged (prologue; the halo stays
//    zero), so relu(BN(x)) never goes through memory, forward or weight
//    gradient (which recomputes it from x). The statistics epilogue reduces
//    each block's outputs (as stored) per channel to a Welford state in the
//    workspace; a second kernel Chan-merges a channel's states in a fixed
//    order (FusedStats.h), so the batch statistics are deterministic and
//    free of E[x^2] - E[x]^2 cancellation.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH
#define CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/FusedStats.h"
#include "runtime/cuda/GroupedConvKernels.cuh"
#include "runtime/cuda/Workspace.h"

#include <cstdint>

namespace cardinal::rt::cuda {
namespace grouped3x3 {
inline void checkLaunch(const char *what) {
  checkCuda(cudaGetLastError(), what);
}

/// The forward launches, plain or fused (forwardKernel's Bn, Stats).
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T, bool Bn, bool Stats>
void forward(Context &ctx, int64_t n, const T *x, InputBn bn, const T *w,
             const T *bias, float eps, float momentum, T *y, float *mean,
             float *invStd, float *runningMean, float *runningVar,
             const char *what) {
  using G = Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const int64_t parts = n * G::FwdTiles;
  Welford *partial =
      Stats ? workspaceAs<Welford>(ctx, int64_t(Groups) * CoutG * parts, what)
            : nullptr;
  const dim3 grid(G::FwdGridX, G::FwdGridY, static_cast<unsigned>(n));
  forwardKernel<Groups, CinG, CoutG, H, W, Stride, T, Bn, Stats>
      <<<grid, G::FwdThreads, 0, ctx.stream>>>(x, w, bias, y, bn, partial);
  checkLaunch(what);
  if constexpr (Stats)
    detail::finalizeChannelStats(ctx, int64_t(Groups) * CoutG, parts, partial,
                                 eps, momentum, mean, invStd, runningMean,
                                 runningVar, what);
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T, bool Bn>
void backwardWeight(Context &ctx, int64_t n, const T *x, InputBn bn,
                    const T *dy, float *dw, const char *what) {
  using G = Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const WeightSplit split = weightSplit(n, int64_t(G::WgtGridX) * G::WgtGridY,
                                        G::Weights, ctx.workspaceBytes);
  float *partial = workspaceAs<float>(ctx, split.slices * G::Weights, what);
  const dim3 grid(G::WgtGridX, G::WgtGridY,
                  static_cast<unsigned>(split.slices));
  backwardWeightKernel<Groups, CinG, CoutG, H, W, Stride, T, Bn>
      <<<grid, G::WgtThreads, 0, ctx.stream>>>(n, split.perSlice, x, dy,
                                               partial, bn);
  const unsigned sumBlocks = static_cast<unsigned>((G::Weights + 255) / 256);
  detail::sumSlicesKernel<T><<<sumBlocks, 256, 0, ctx.stream>>>(
      G::Weights, split.slices, partial, dw);
  checkLaunch(what);
}
} // namespace grouped3x3

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3Forward(Context &ctx, int64_t n, const T *x, const T *w,
                           const T *bias, T *y) {
  grouped3x3::forward<Groups, CinG, CoutG, H, W, Stride, T, false, false>(
      ctx, n, x, {}, w, bias, 0.f, 0.f, y, nullptr, nullptr, nullptr, nullptr,
      "groupedConv3x3Forward");
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BackwardData(Context &ctx, int64_t n, const T *dy,
                                const T *w, T *dx, bool accumulate = false) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const dim3 grid(G::BwdGridX, G::BwdGridY, static_cast<unsigned>(n));
  grouped3x3::backwardDataKernel<Groups, CinG, CoutG, H, W, Stride, T>
      <<<grid, G::BwdThreads, 0, ctx.stream>>>(dy, w, dx, accumulate);
  grouped3x3::checkLaunch("groupedConv3x3BackwardData");
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BackwardWeight(Context &ctx, int64_t n, const T *x,
                                  const T *dy, float *dw, float *db) {
  grouped3x3::backwardWeight<Groups, CinG, CoutG, H, W, Stride, T, false>(
      ctx, n, x, {}, dy, dw, "groupedConv3x3BackwardWeight");
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (db && n > 0)
    biasGrad(ctx, n, Groups * CoutG, int64_t(G::OH) * G::OW, dy, db);
}

// --- the conv-level training fusion ------------------------------------------

/// nn.conv2d_stats: y = conv(x, w) and the batch mean / 1/sqrt(var + eps) of
/// y per channel; running statistics updated (momentum, unbiased var).
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3StatsForward(Context &ctx, int64_t n, const T *x,
                                const T *w, float eps, float momentum, T *y,
                                float *mean, float *invStd,
                                float *runningMean, float *runningVar) {
  grouped3x3::forward<Groups, CinG, CoutG, H, W, Stride, T, false, true>(
      ctx, n, x, {}, w, nullptr, eps, momentum, y, mean, invStd, runningMean,
      runningVar, "groupedConv3x3StatsForward");
}

/// nn.bn_relu_conv2d_stats: y = conv(relu(BN_in(x)), w) (BN_in with the
/// given statistics, formed while staging x), and y's batch statistics.
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BnReluStatsForward(
    Context &ctx, int64_t n, const T *x, const float *inMean,
    const float *inInvStd, const float *inScale, const float *inShift,
    const T *w, float eps, float momentum, T *y, float *mean, float *invStd,
    float *runningMean, float *runningVar) {
  grouped3x3::forward<Groups, CinG, CoutG, H, W, Stride, T, true, true>(
      ctx, n, x, {inMean, inInvStd, inScale, inShift}, w, nullptr, eps,
      momentum, y, mean, invStd, runningMean, runningVar,
      "groupedConv3x3BnReluStatsForward");
}

/// nn.bn_relu_conv2d: y = conv(relu(BN(x)), w).
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BnReluForward(Context &ctx, int64_t n, const T *x,
                                 const float *mean, const float *invStd,
                                 const float *scale, const float *shift,
                                 const T *w, T *y) {
  grouped3x3::forward<Groups, CinG, CoutG, H, W, Stride, T, true, false>(
      ctx, n, x, {mean, invStd, scale, shift}, w, nullptr, 0.f, 0.f, y,
      nullptr, nullptr, nullptr, nullptr, "groupedConv3x3BnReluForward");
}

/// nn.bn_relu_conv2d_grad_weight: dw (fp32) of conv(relu(BN(x)), w) given
/// dy, relu(BN(x)) recomputed from x while staging.
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BnReluBackwardWeight(Context &ctx, int64_t n, const T *x,
                                        const float *mean,
                                        const float *invStd,
                                        const float *scale,
                                        const float *shift, const T *dy,
                                        float *dw) {
  grouped3x3::backwardWeight<Groups, CinG, CoutG, H, W, Stride, T, true>(
      ctx, n, x, {mean, invStd, scale, shift}, dy, dw,
      "groupedConv3x3BnReluBackwardWeight");
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH
