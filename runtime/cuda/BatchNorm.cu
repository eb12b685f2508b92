//===- BatchNorm.cu - training/eval BN, fused BN+ReLU, and their backward --===//
//
// Training forward = three launches:
//  1. partial statistics: grid (splits, channels); each block Welford-reduces
//     one contiguous slice of its channel's n*h*w elements (slices run along
//     whole hw rows, so reads are coalesced) into a (count, mean, m2) triple
//     in the workspace. Splitting a channel over several blocks keeps all SMs
//     busy when there are few channels with large planes (the stem: 64
//     channels x 32*112*112 elements).
//  2. finalize: one thread per channel Chan-merges its slices in slice order
//     (deterministic), writes saveMean/saveInvStd, updates running stats.
//  3. apply (+ ReLU): elementwise.
// The backward has the same shape: partial sum(dy), sum(dy * (x - mean))
// (dy masked by y > 0 when fused with ReLU), finalize to dscale/dshift and
// the per-channel coefficients, then the elementwise dx.
// With Context::bnSync (--sync-bn) each finalize becomes the synchronized
// one of SyncedBn.h (defined here): merge per channel, exchange, finalize.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/BatchNormKernels.cuh"
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/SyncedBn.h"
#include "runtime/cuda/Workspace.h"

namespace cardinal::rt::cuda {
namespace {

using detail::kThreads;
using namespace bn;

unsigned channelBlocks(int64_t c) {
  return static_cast<unsigned>((c + kThreads - 1) / kThreads);
}

template <typename T>
void trainForward(Context &ctx, const ActShape &s, const T *x,
                  const float *scale, const float *shift, float eps,
                  float momentum, T *y, float *saveMean, float *saveInvStd,
                  float *runningMean, float *runningVar, bool relu,
                  const char *what) {
  if (s.size() == 0)
    return;
  const int64_t splits = bnSplits(s);
  auto *partial = workspaceAs<Welford>(ctx, s.c * splits, what);
  bnPartialStatsKernel<<<dim3(static_cast<unsigned>(splits),
                              static_cast<unsigned>(s.c)),
                         kThreads, 0, ctx.stream>>>(s, x, partial);
  if (ctx.bnSync)
    detail::finalizeSyncedStats(ctx, s.c, splits, partial,
                                sizeof(Welford) * s.c * splits, eps, momentum,
                                saveMean, saveInvStd, runningMean, runningVar,
                                what);
  else
    bnFinalizeStatsKernel<<<channelBlocks(s.c), kThreads, 0, ctx.stream>>>(
        s.c, splits, splits, 1, partial, eps, momentum, saveMean, saveInvStd,
        runningMean, runningVar);
  bnApplyKernel<<<detail::blocksFor(s.size()), kThreads, 0, ctx.stream>>>(
      s, x, saveMean, saveInvStd, scale, shift, relu, y);
  detail::checkLaunch(what);
}

template <typename T>
void backward(Context &ctx, const ActShape &s, const T *x, const T *y,
              const T *dy, const float *scale, const float *saveMean,
              const float *saveInvStd, T *dx, float *dscale, float *dshift,
              const char *what) {
  if (s.size() == 0)
    return;
  const int64_t splits = bnSplits(s);
  // Partial sums first, then the per-channel coefficients after them.
  const int64_t partialFloats = 2 * s.c * splits;
  const int64_t coefFloats = 3 * s.c;
  float *base = workspaceAs<float>(ctx, partialFloats + coefFloats, what);
  auto *partial = reinterpret_cast<BnGradSums *>(base);
  auto *coefs = reinterpret_cast<BnBackwardCoefs *>(base + partialFloats);
  bnPartialGradKernel<<<dim3(static_cast<unsigned>(splits),
                             static_cast<unsigned>(s.c)),
                        kThreads, 0, ctx.stream>>>(s, x, y, dy, saveMean,
                                                   partial);
  const float count = static_cast<float>(s.n * s.hw());
  if (ctx.bnSync)
    detail::finalizeSyncedGrad(ctx, s.c, splits, count, partial,
                               sizeof(float) * (partialFloats + coefFloats),
                               scale, saveInvStd, dscale, dshift, coefs, what);
  else
    bnFinalizeGradKernel<<<channelBlocks(s.c), kThreads, 0, ctx.stream>>>(
        s.c, splits, count, partial, scale, saveInvStd, dscale, dshift,
        coefs);
  bnApplyGradKernel<<<detail::blocksFor(s.size()), kThreads, 0, ctx.stream>>>(
      s, x, y, dy, saveMean, coefs, dx);
  detail::checkLaunch(what);
}

} // namespace

namespace detail {

void finalizeSyncedStats(Context &ctx, int64_t channels, int64_t parts,
                         const Welford *partial, size_t usedBytes, float eps,
                         float momentum, float *mean, float *invStd,
                         float *runningMean, float *runningVar,
                         const char *what) {
  const int64_t ranks = ctx.bnSync->ranks();
  // local at usedBytes, gathered after it (workspaceAs aligns both).
  auto *local = workspaceAs<Welford>(ctx, channels, what, usedBytes);
  auto *gathered = workspaceAs<Welford>(
      ctx, ranks * channels, what,
      (usedBytes + 255) / 256 * 256 + sizeof(Welford) * channels);
  bnMergePartsKernel<void><<<channelBlocks(channels), kThreads, 0,
                             ctx.stream>>>(channels, parts, partial, local);
  detail::checkLaunch(what);
  static_assert(sizeof(Welford) == 3 * sizeof(float), "Welford is 3 floats");
  ctx.bnSync->allGather(ctx, reinterpret_cast<const float *>(local),
                        reinterpret_cast<float *>(gathered), 3 * channels);
  bnFinalizeStatsKernel<<<channelBlocks(channels), kThreads, 0, ctx.stream>>>(
      channels, ranks, 1, channels, gathered, eps, momentum, mean, invStd,
      runningMean, runningVar);
  detail::checkLaunch(what);
}

void finalizeSyncedGrad(Context &ctx, int64_t channels, int64_t parts,
                        float localCount, const BnGradSums *partial,
                        size_t usedBytes, const float *scale,
                        const float *invStd, float *dscale, float *dshift,
                        BnBackwardCoefs *coefs, const char *what) {
  auto *sums = workspaceAs<BnGradSums>(ctx, 2 * channels, what, usedBytes);
  BnGradSums *local = sums, *global = sums + channels;
  bnSumGradPartsKernel<void><<<channelBlocks(channels), kThreads, 0,
                               ctx.stream>>>(channels, parts, partial, local,
                                             global);
  detail::checkLaunch(what);
  static_assert(sizeof(BnGradSums) == 2 * sizeof(float), "two floats");
  ctx.bnSync->allReduceSum(ctx, reinterpret_cast<float *>(global),
                           2 * channels);
  bnFinalizeSyncedGradKernel<void><<<channelBlocks(channels), kThreads, 0,
                                     ctx.stream>>>(
      channels, syncedCount(ctx, localCount), local, global, scale, invStd,
      dscale, dshift, coefs);
  detail::checkLaunch(what);
}

const float *syncedGradSums(Context &ctx, int64_t channels,
                            const float *dscale, const float *dshift,
                            size_t usedBytes, const char *what) {
  float *sums = workspaceAs<float>(ctx, 2 * channels, what, usedBytes);
  const size_t bytes = sizeof(float) * static_cast<size_t>(channels);
  checkCuda(cudaMemcpyAsync(sums, dscale, bytes, cudaMemcpyDeviceToDevice,
                            ctx.stream),
            what);
  checkCuda(cudaMemcpyAsync(sums + channels, dshift, bytes,
                            cudaMemcpyDeviceToDevice, ctx.stream),
            what);
  ctx.bnSync->allReduceSum(ctx, sums, 2 * channels);
  return sums;
}

} // namespace detail

template <typename T>
void batchNormForwardTrain(Context &ctx, const ActShape &s, const T *x,
                           const float *scale, const float *shift, float eps,
                           float momentum, T *y, float *saveMean,
                           float *saveInvStd, float *runningMean,
                           float *runningVar) {
  trainForward(ctx, s, x, scale, shift, eps, momentum, y, saveMean,
               saveInvStd, runningMean, runningVar, false,
               "batchNormForwardTrain");
}

template <typename T>
void bnTrainReluForward(Context &ctx, const ActShape &s, const T *x,
                        const float *scale, const float *shift, float eps,
                        float momentum, T *y, float *saveMean,
                        float *saveInvStd, float *runningMean,
                        float *runningVar) {
  trainForward(ctx, s, x, scale, shift, eps, momentum, y, saveMean,
               saveInvStd, runningMean, runningVar, true,
               "bnTrainReluForward");
}

template <typename T>
void batchNormForwardEval(Context &ctx, const ActShape &s, const T *x,
                          const float *scale, const float *shift,
                          const float *runningMean, const float *runningVar,
                          float eps, T *y) {
  if (s.size() == 0)
    return;
  float *invStd = workspaceAs<float>(ctx, s.c, "batchNormForwardEval");
  invStdFromVarKernel<<<channelBlocks(s.c), kThreads, 0, ctx.stream>>>(
      s.c, runningVar, eps, invStd);
  bnApplyKernel<<<detail::blocksFor(s.size()), kThreads, 0, ctx.stream>>>(
      s, x, runningMean, invStd, scale, shift, false, y);
  detail::checkLaunch("batchNormForwardEval");
}

template <typename T>
void batchNormBackward(Context &ctx, const ActShape &s, const T *x,
                       const T *dy, const float *scale, const float *saveMean,
                       const float *saveInvStd, T *dx, float *dscale,
                       float *dshift) {
  backward<T>(ctx, s, x, nullptr, dy, scale, saveMean, saveInvStd, dx, dscale,
              dshift, "batchNormBackward");
}

template <typename T>
void bnReluBackward(Context &ctx, const ActShape &s, const T *x, const T *y,
                    const T *dy, const float *scale, const float *saveMean,
                    const float *saveInvStd, T *dx, float *dscale,
                    float *dshift) {
  backward<T>(ctx, s, x, y, dy, scale, saveMean, saveInvStd, dx, dscale,
              dshift, "bnReluBackward");
}

#define INSTANTIATE(T)                                                         \
  template void batchNormForwardTrain<T>(                                     \
      Context &, const ActShape &, const T *, const float *, const float *,   \
      float, float, T *, float *, float *, float *, float *);                 \
  template void bnTrainReluForward<T>(                                        \
      Context &, const ActShape &, const T *, const float *, const float *,   \
      float, float, T *, float *, float *, float *, float *);                 \
  template void batchNormForwardEval<T>(                                      \
      Context &, const ActShape &, const T *, const float *, const float *,   \
      const float *, const float *, float, T *);                              \
  template void batchNormBackward<T>(Context &, const ActShape &, const T *,  \
                                     const T *, const float *, const float *, \
                                     const float *, T *, float *, float *);   \
  template void bnReluBackward<T>(Context &, const ActShape &, const T *,     \
                                  const T *, const T *, const float *,        \
                                  const float *, const float *, T *, float *, \
                                  float *);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
