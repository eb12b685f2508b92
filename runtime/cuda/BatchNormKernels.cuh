//===- BatchNormKernels.cuh - device code of the batch-norm kernels -------===//
//
// The kernels BatchNorm.cu launches (see there for the three-launch
// structure), kept free of launches and of the runtime API so tests can
// run them on the host under tests/cuda/CudaEmulation.h.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_BATCHNORMKERNELS_CUH
#define CARDINAL_RUNTIME_CUDA_BATCHNORMKERNELS_CUH

#include "runtime/cuda/BlockReduce.cuh"
#include "runtime/cuda/math/BnMath.h"
#include "runtime/cuda/math/Scalar.h"
#include "runtime/kernels/Shapes.h"

#include <cstdint>

namespace cardinal::rt::cuda::bn {

using detail::kThreads;

/// One slice's sum(dy) and sum(dy * (x - mean)).
struct BnGradSums {
  float sumDy, sumDyXmu;
};

/// Slices per channel: enough blocks for ~4 waves of 132 SMs, each slice at
/// least 4096 elements, at most 64.
inline int64_t bnSplits(const ActShape &s) {
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

/// Channel c's `parts` Welford states merged in order, state p at
/// partial[c * channelStride + p * partStride].
__device__ inline Welford mergeChannel(const Welford *partial, int64_t c,
                                       int64_t parts, int64_t channelStride,
                                       int64_t partStride) {
  Welford w;
  for (int64_t p = 0; p < parts; ++p)
    w.merge(partial[c * channelStride + p * partStride]);
  return w;
}

/// Channel c's batch mean and invStd from its merged state, and its running
/// statistics updated in place (when both pointers are non-null).
__device__ inline void storeBatchStats(const Welford &w, int64_t c, float eps,
                                       float momentum, float *mean,
                                       float *invStd, float *runningMean,
                                       float *runningVar) {
  const bool running = runningMean && runningVar;
  const BnBatchStats b =
      bnBatchStats(w, eps, momentum, running ? runningMean[c] : 0.f,
                   running ? runningVar[c] : 0.f);
  mean[c] = b.mean;
  invStd[c] = b.invStd;
  if (running) {
    runningMean[c] = b.runningMean;
    runningVar[c] = b.runningVar;
  }
}

/// One thread per channel: its `parts` states (mergeChannel's layout)
/// merged in order, then storeBatchStats. The local finalize passes a
/// channel's slices (channelStride = parts, partStride = 1); --sync-bn the
/// ranks' gathered states (1, channels), so every rank merges alike.
static __global__ void bnFinalizeStatsKernel(int64_t channels, int64_t parts,
                                             int64_t channelStride,
                                             int64_t partStride,
                                             const Welford *partial, float eps,
                                             float momentum, float *saveMean,
                                             float *saveInvStd,
                                             float *runningMean,
                                             float *runningVar) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c < channels)
    storeBatchStats(mergeChannel(partial, c, parts, channelStride, partStride),
                    c, eps, momentum, saveMean, saveInvStd, runningMean,
                    runningVar);
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

static __global__ void invStdFromVarKernel(int64_t channels, const float *var,
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
                                    BnGradSums *partial) {
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
    partial[c * splits + blockIdx.x] = BnGradSums{sumDy, sumDyXmu};
}

static __global__ void bnFinalizeGradKernel(int64_t channels, int64_t splits,
                                     float count, const BnGradSums *partial,
                                     const float *scale,
                                     const float *saveInvStd, float *dscale,
                                     float *dshift, BnBackwardCoefs *coefs) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= channels)
    return;
  float sumDy = 0.f, sumDyXmu = 0.f;
  for (int64_t k = 0; k < splits; ++k) {
    sumDy += partial[c * splits + k].sumDy;
    sumDyXmu += partial[c * splits + k].sumDyXmu;
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

//===----------------------------------------------------------------------===//
// The conv-level training fusion (ConvBn.cu; runtime/kernels/BnApply.h)
//===----------------------------------------------------------------------===//

/// Batch statistics of `channels` channels from `parts` Welford partials
/// each (partial[c * parts + p], e.g. one per conv block that produced part
/// of channel c): one block per channel; thread t Chan-merges partials
/// t, t + blockDim, ... in order, then the block's tree merge (fixed order:
/// deterministic). Writes mean, invStd and (if non-null) the running
/// statistics. Launch: grid (channels), kThreads threads.
template <typename Unused>
__global__ void bnFinalizePartsKernel(int64_t parts, const Welford *partial,
                                      float eps, float momentum, float *mean,
                                      float *invStd, float *runningMean,
                                      float *runningVar) {
  __shared__ Welford scratch[kThreads / 32];
  const int64_t c = blockIdx.x;
  Welford w;
  for (int64_t p = threadIdx.x; p < parts; p += blockDim.x)
    w.merge(partial[c * parts + p]);
  w = detail::blockWelford(w, scratch);
  if (threadIdx.x == 0)
    storeBatchStats(w, c, eps, momentum, mean, invStd, runningMean,
                    runningVar);
}

/// y = relu(BN(x)) with given statistics: the prologue of the fused convs
/// that run as a decomposition (ConvBn.cu), BnChannel's rounding exactly.
template <typename T>
__global__ void bnReluApplyKernel(ActShape s, const T *x, const float *mean,
                                  const float *invStd, const float *scale,
                                  const float *shift, T *y) {
  const int64_t hw = s.h * s.w;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * hw) {
    const BnChannel k = bnChannel(mean, invStd, scale, shift, (i / hw) % s.c);
    y[i] = store<T>(bnReluApply(k, load(x[i])));
  }
}

/// y = relu(BN(x) + residual) with given statistics (nn.bn_add_relu).
template <typename T>
__global__ void bnAddReluKernel(ActShape s, const T *x, const float *mean,
                                const float *invStd, const float *scale,
                                const float *shift, const T *residual, T *y) {
  const int64_t hw = s.h * s.w;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * hw) {
    const BnChannel k = bnChannel(mean, invStd, scale, shift, (i / hw) % s.c);
    y[i] = store<T>(bnAddRelu(k, load(x[i]), load(residual[i])));
  }
}

/// The masked gradient of the fused BN backwards at element `at` of
/// channel c: through the stored output's ReLU (y > 0, bn_add_relu_grad)
/// when y is given, else through relu(BN(x)) recomputed from x
/// (bn_relu_apply_grad).
template <typename T>
__device__ inline float fusedMaskedGrad(const T *x, const T *y, const T *dy,
                                        const BnChannel &k, int64_t at) {
  const float g = load(dy[at]);
  return y ? reluGrad(load(y[at]), g)
           : bnReluRecomputedGrad(k, load(x[at]), g);
}

/// bnPartialGradKernel for the fused BN backwards: the statistics are
/// values (mean, invStd), the ReLU mask is fusedMaskedGrad's, and with
/// `dres` (bn_add_relu_grad) the masked gradient, which is also the
/// residual's, is written in the same pass.
template <typename T>
__global__ void bnPartialGradFusedKernel(ActShape s, const T *x, const T *y,
                                         const T *dy, const float *mean,
                                         const float *invStd,
                                         const float *scale,
                                         const float *shift, T *dres,
                                         BnGradSums *partial) {
  __shared__ float scratch[kThreads / 32];
  const int64_t c = blockIdx.y, splits = gridDim.x, hw = s.h * s.w;
  int64_t lo, hi;
  sliceBounds(s.n * hw, splits, blockIdx.x, lo, hi);
  const BnChannel k = bnChannel(mean, invStd, scale, shift, c);
  float sumDy = 0.f, sumDyXmu = 0.f;
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) {
    const int64_t n = i / hw, p = i - n * hw, at = (n * s.c + c) * hw + p;
    const float g = fusedMaskedGrad(x, y, dy, k, at);
    if (dres)
      dres[at] = store<T>(g);
    sumDy += g;
    sumDyXmu += g * (load(x[at]) - k.mean);
  }
  sumDy = detail::blockSum(sumDy, scratch);
  sumDyXmu = detail::blockSum(sumDyXmu, scratch);
  if (threadIdx.x == 0)
    partial[c * splits + blockIdx.x] = BnGradSums{sumDy, sumDyXmu};
}

/// The BN backward's per-channel constants from dscale/dshift given
/// (bnBackwardCoefsFromGrads; nn.bn_relu_apply_grad_input).
template <typename Unused>
__global__ void bnCoefsFromGradsKernel(int64_t channels, float count,
                                       const float *scale,
                                       const float *invStd,
                                       const float *dscale,
                                       const float *dshift,
                                       BnBackwardCoefs *coefs) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c < channels)
    coefs[c] = bnBackwardCoefsFromGrads(scale ? scale[c] : 1.f, invStd[c],
                                        dscale[c], dshift[c], count);
}

/// dx of the fused BN backwards (bnApplyGradKernel with fusedMaskedGrad).
template <typename T>
__global__ void bnApplyGradFusedKernel(ActShape s, const T *x, const T *y,
                                       const T *dy, const float *mean,
                                       const float *invStd,
                                       const float *scale, const float *shift,
                                       const BnBackwardCoefs *coefs, T *dx) {
  const int64_t hw = s.h * s.w;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * hw) {
    const int64_t c = (i / hw) % s.c;
    const BnChannel k = bnChannel(mean, invStd, scale, shift, c);
    const float g = fusedMaskedGrad(x, y, dy, k, i);
    dx[i] = store<T>(bnBackwardElement(coefs[c], g, load(x[i]), k.mean));
  }
}

//===----------------------------------------------------------------------===//
// Synchronized BN (Context::bnSync; SyncedBn.h). One thread per channel;
// every merge and sum runs in a fixed order (parts, then ranks in rank
// order), so every rank computes the same bits.
//===----------------------------------------------------------------------===//

/// local[c] = channel c's `parts` Welford partials (partial[c * parts + p])
/// merged in order: what this rank contributes to the all-gather.
template <typename Unused>
__global__ void bnMergePartsKernel(int64_t channels, int64_t parts,
                                   const Welford *partial, Welford *local) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c < channels)
    local[c] = mergeChannel(partial, c, parts, parts, 1);
}

/// local[c] = the sum of channel c's `parts` gradient partials, in order;
/// global[c] = a copy, which the all-reduce turns into the sum over ranks.
template <typename Unused>
__global__ void bnSumGradPartsKernel(int64_t channels, int64_t parts,
                                     const BnGradSums *partial,
                                     BnGradSums *local, BnGradSums *global) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= channels)
    return;
  BnGradSums sum{0.f, 0.f};
  for (int64_t p = 0; p < parts; ++p) {
    sum.sumDy += partial[c * parts + p].sumDy;
    sum.sumDyXmu += partial[c * parts + p].sumDyXmu;
  }
  local[c] = sum;
  global[c] = sum;
}

/// The synchronized BN backward's constants: dx's from the sums over all
/// ranks (`globalCount` elements per channel in all), dscale/dshift (either
/// may be null) from this rank's sums.
template <typename Unused>
__global__ void bnFinalizeSyncedGradKernel(int64_t channels, float globalCount,
                                           const BnGradSums *local,
                                           const BnGradSums *global,
                                           const float *scale,
                                           const float *invStd, float *dscale,
                                           float *dshift,
                                           BnBackwardCoefs *coefs) {
  const int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (c >= channels)
    return;
  coefs[c] = bnBackwardCoefs(scale ? scale[c] : 1.f, invStd[c],
                             global[c].sumDy, global[c].sumDyXmu, globalCount);
  if (dscale)
    dscale[c] = local[c].sumDyXmu * invStd[c];
  if (dshift)
    dshift[c] = local[c].sumDy;
}

} // namespace cardinal::rt::cuda::bn

#endif // CARDINAL_RUNTIME_CUDA_BATCHNORMKERNELS_CUH
