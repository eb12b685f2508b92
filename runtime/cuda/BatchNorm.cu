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
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/Workspace.h"

namespace cardinal::rt::cuda {
namespace {

using detail::kThreads;

/// Slices per channel: enough blocks for ~4 waves of 132 SMs, each slice at
/// least 4096 elements, at most 64.
int64_t bnSplits(const ActShape &s) {
  const int64_t count = s.n * s.hw();
  int64_t splits = (4 * 132 + s.c - 1) / s.c;
  splits = splits < count / 4096 ? splits : count / 4096;
  return splits < 1 ? 1 : (splits > 64 ? 64 : splits);
}

__device__ inline void sliceBounds(int64_t count, int64_t splits,
                                   int64_t split, int64_t &lo, int64_t &hi) {
  const int64_t per = (count + splits - 1) / splits;
  lo = split * per;
  hi = lo + per < count ? lo + per : count;
}

template <typename T>
__global__ void bnPartialStatsKernel(ActShape s, const T *x,
                                     Welford *partial) {
  __shared__ Welford scratch[kThreads / 32];
  const int64_t c = blockIdx.y, splits = gridDim.x, hw = s.h * s.w;
  int64_t lo, hi;
  sliceBounds(s.n * hw, splits, blockIdx.x, lo, hi);
  Welford w;
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    const int64_t n = i / hw, p = i - n * hw;
    w.add(load(x[(n * s.c + c) * hw + p]));
  }
  w = detail::blockWelford(w, scratch);
  if (threadIdx.x == 0)
    partial[c * splits + blockIdx.x] = w;
}

__global__ void bnFinalizeStatsKernel(int64_t channels, int64_t splits,
                                      const Welford *partial, float eps,
                                      float momentum, float *saveMean,
                                      float *saveInvStd, float *runningMean,
                                      float *runningVar) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= channels)
    return;
  Welford w;
  for (int64_t k = 0; k < splits; ++k)
    w.merge(partial[c * splits + k]);
  const float var = w.variance();
  saveMean[c] = w.mean;
  saveInvStd[c] = bnInvStd(var, eps);
  if (runningMean && runningVar) {
    runningMean[c] = bnRunningMean(runningMean[c], w.mean, momentum);
    runningVar[c] = bnRunningVar(runningVar[c], var, w.count, momentum);
  }
}

/// y = bnApply(x) with per-channel mean and invStd (batch or running).
template <typename T>
__global__ void bnApplyKernel(ActShape s, const T *x, const float *mean,
                              const float *invStd, const float *scale,
                              const float *shift, bool relu, T *y) {
  const int64_t hw = s.h * s.w;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * hw) {
    const int64_t c = (i / hw) % s.c;
    const float a = (scale ? scale[c] : 1.f) * invStd[c];
    const float b = shift ? shift[c] : 0.f;
    y[i] = store<T>(bnApply(load(x[i]), mean[c], a, b, relu));
  }
}

__global__ void invStdFromVarKernel(int64_t channels, const float *var,
                                    float eps, float *invStd) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c < channels)
    invStd[c] = bnInvStd(var[c], eps);
}

/// Partial (sum dy', sum dy' * (x - mean)) of one slice, dy' = dy masked by
/// y > 0 when y is given (fused ReLU).
template <typename T>
__global__ void bnPartialGradKernel(ActShape s, const T *x, const T *y,
                                    const T *dy, const float *saveMean,
                                    float2 *partial) {
  __shared__ float scratch[kThreads / 32];
  const int64_t c = blockIdx.y, splits = gridDim.x, hw = s.h * s.w;
  int64_t lo, hi;
  sliceBounds(s.n * hw, splits, blockIdx.x, lo, hi);
  const float mean = saveMean[c];
  float sumDy = 0.f, sumDyXmu = 0.f;
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    const int64_t n = i / hw, p = i - n * hw, at = (n * s.c + c) * hw + p;
    float g = load(dy[at]);
    if (y)
      g = reluGrad(load(y[at]), g);
    sumDy += g;
    sumDyXmu += g * (load(x[at]) - mean);
  }
  sumDy = detail::blockSum(sumDy, scratch);
  sumDyXmu = detail::blockSum(sumDyXmu, scratch);
  if (threadIdx.x == 0)
    partial[c * splits + blockIdx.x] = make_float2(sumDy, sumDyXmu);
}

__global__ void bnFinalizeGradKernel(int64_t channels, int64_t splits,
                                     float count, const float2 *partial,
                                     const float *scale,
                                     const float *saveInvStd, float *dscale,
                                     float *dshift, BnBackwardCoefs *coefs) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= channels)
    return;
  float sumDy = 0.f, sumDyXmu = 0.f;
  for (int64_t k = 0; k < splits; ++k) {
    sumDy += partial[c * splits + k].x;
    sumDyXmu += partial[c * splits + k].y;
  }
  const float invStd = saveInvStd[c];
  coefs[c] = bnBackwardCoefs(scale ? scale[c] : 1.f, invStd, sumDy, sumDyXmu,
                             count);
  if (dscale)
    dscale[c] = sumDyXmu * invStd;
  if (dshift)
    dshift[c] = sumDy;
}

template <typename T>
__global__ void bnApplyGradKernel(ActShape s, const T *x, const T *y,
                                  const T *dy, const float *saveMean,
                                  const BnBackwardCoefs *coefs, T *dx) {
  const int64_t hw = s.h * s.w;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * hw) {
    const int64_t c = (i / hw) % s.c;
    float g = load(dy[i]);
    if (y)
      g = reluGrad(load(y[i]), g);
    dx[i] = store<T>(bnBackwardElement(coefs[c], g, load(x[i]), saveMean[c]));
  }
}

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
  bnFinalizeStatsKernel<<<channelBlocks(s.c), kThreads, 0, ctx.stream>>>(
      s.c, splits, partial, eps, momentum, saveMean, saveInvStd, runningMean,
      runningVar);
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
  auto *partial = reinterpret_cast<float2 *>(base);
  auto *coefs = reinterpret_cast<BnBackwardCoefs *>(base + partialFloats);
  bnPartialGradKernel<<<dim3(static_cast<unsigned>(splits),
                             static_cast<unsigned>(s.c)),
                        kThreads, 0, ctx.stream>>>(s, x, y, dy, saveMean,
                                                   partial);
  bnFinalizeGradKernel<<<channelBlocks(s.c), kThreads, 0, ctx.stream>>>(
      s.c, splits, static_cast<float>(s.n * s.hw()), partial, scale,
      saveInvStd, dscale, dshift, coefs);
  bnApplyGradKernel<<<detail::blocksFor(s.size()), kThreads, 0, ctx.stream>>>(
      s, x, y, dy, saveMean, coefs, dx);
  detail::checkLaunch(what);
}

} // namespace

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
