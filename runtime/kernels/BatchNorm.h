//===- BatchNorm.h - batch normalization over N, H, W per channel ----------===//
//
// PyTorch semantics (BatchNorm2d / BatchNorm1d with h = w = 1):
//  - train: normalizes with the batch mean and the biased batch variance;
//    saves mean and 1/sqrt(var + eps) for backward; updates the running
//    statistics with the *unbiased* variance,
//      running = (1 - momentum) * running + momentum * batch.
//  - eval: normalizes with the running statistics.
// Per-channel sums are accumulated in double even for float tensors (as
// PyTorch's CPU kernels do), two-pass for the variance. One channel per
// thread iteration: results never depend on the thread count.
// `scale`/`shift` may be null (affine = false: 1 and 0, no dscale/dshift).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_BATCHNORM_H
#define CARDINAL_RUNTIME_KERNELS_BATCHNORM_H

#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

/// y = (x - mean) * invStd * scale + shift with batch statistics.
/// runningMean/runningVar (both or neither) are updated in place.
template <typename T>
void batchNormForwardTrain(const ActShape &s, const T *x, const T *scale,
                           const T *shift, T eps, T momentum, T *y,
                           T *saveMean, T *saveInvStd, T *runningMean,
                           T *runningVar);

/// y = (x - runningMean) / sqrt(runningVar + eps) * scale + shift.
template <typename T>
void batchNormForwardEval(const ActShape &s, const T *x, const T *scale,
                          const T *shift, const T *runningMean,
                          const T *runningVar, T eps, T *y);

/// Gradients of the train-mode forward. dscale/dshift may be null.
template <typename T>
void batchNormBackward(const ActShape &s, const T *x, const T *dy,
                       const T *scale, const T *saveMean,
                       const T *saveInvStd, T *dx, T *dscale, T *dshift);

/// Synchronized BN across data-parallel replicas (--sync-bn). `fn` sums
/// `n` doubles in place over all replicas (an all-reduce); `ctx` is passed
/// through. While one is installed (process-wide; null uninstalls), the
/// train forward normalizes with the statistics of the union of all
/// replicas' batches (two-pass: sums, then squared deviations, each reduced
/// with the per-replica element count), updates the running statistics with
/// them (so they agree on every replica), and the backward reduces
/// sum(dy) and sum(dy * (x - mean)) so dx is the gradient of the sum of all
/// replicas' losses; dscale/dshift stay the local sums, which the gradient
/// all-reduce then averages like every other gradient. Every replica must
/// run the same BN calls in the same order. Without one (the default) the
/// kernels above are purely local and unchanged.
using BatchNormReduceFn = void (*)(double *data, int64_t n, void *ctx);
void setBatchNormReduce(BatchNormReduceFn fn, void *ctx);
/// Whether a reducer is installed (the fused BN kernels then fall back).
bool batchNormReduceInstalled();

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_BATCHNORM_H
