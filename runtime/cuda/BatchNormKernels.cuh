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

static __global__ void bnFinalizeStatsKernel(int64_t channels, int64_t splits,
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

} // namespace cardinal::rt::cuda::bn

#endif // CARDINAL_RUNTIME_CUDA_BATCHNORMKERNELS_CUH
