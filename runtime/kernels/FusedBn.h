//===- FusedBn.h - training-mode BN + ReLU, forward and backward fused -----===//
//
// The kernels of nn.bn_train_relu and nn.bn_relu_grad
// (--nn-fuse-conv-bn-relu, training):
//  - bnTrainReluForward: y = max(batch_norm_train(x), 0). One statistics
//    pass per channel (sums in double, two-pass variance, exactly as
//    batchNormForwardTrain), then ONE pass that normalizes and applies the
//    ReLU; saves mean and 1/sqrt(var + eps) and updates the running
//    statistics exactly like batchNormForwardTrain. The result equals
//    batchNormForwardTrain followed by reluForward bit for bit.
//  - bnReluBackward: the gradients of the above given dy w.r.t. y: the ReLU
//    mask (y > 0) is applied on the fly while sum(dy') and
//    sum(dy' * (x - mean)) are accumulated, then one pass writes dx. Equals
//    reluBackward followed by batchNormBackward bit for bit.
// With a synchronized-BN reducer installed (setBatchNormReduce) both fall
// back to the unfused kernels, so --sync-bn keeps its semantics.
// dscale/dshift may be null; scale/shift likewise (affine = false).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_FUSEDBN_H
#define CARDINAL_RUNTIME_KERNELS_FUSEDBN_H

#include "runtime/kernels/Shapes.h"

namespace cardinal::rt {

template <typename T>
void bnTrainReluForward(const ActShape &s, const T *x, const T *scale,
                        const T *shift, T eps, T momentum, T *y, T *saveMean,
                        T *saveInvStd, T *runningMean, T *runningVar);

/// `y` is the forward's output (after the ReLU); `dy` the gradient w.r.t. it.
template <typename T>
void bnReluBackward(const ActShape &s, const T *x, const T *y, const T *dy,
                    const T *scale, const T *saveMean, const T *saveInvStd,
                    T *dx, T *dscale, T *dshift);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_FUSEDBN_H
