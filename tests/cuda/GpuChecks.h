//===- GpuChecks.h - the GPU test's groups of checks ----------------------===//
#ifndef CARDINAL_TESTS_CUDA_GPUCHECKS_H
#define CARDINAL_TESTS_CUDA_GPUCHECKS_H

#include "GpuHarness.h"

namespace cardinal::rt::cuda::test {

/// conv2d* (cuDNN and direct paths), the grouped 3x3 specializations,
/// conv2dBnActForward, biasGrad.
template <typename T> void checkConvs(Context &ctx, Checks &checks);
/// BN train/eval/backward, fused BN+ReLU, max/global-average pooling.
template <typename T> void checkNormPool(Context &ctx, Checks &checks);
/// The conv-level training fusion: fused convs (library decomposition and
/// the grouped 3x3 templates), bn_add_relu and the fused BN backwards.
template <typename T> void checkFused(Context &ctx, Checks &checks);
/// relu, add, concat/slice, linear, loss, top-k.
template <typename T> void checkMisc(Context &ctx, Checks &checks);
/// --sync-bn's synchronized finalizes (Context::bnSync), with a mirrored
/// second rank.
template <typename T> void checkSyncedBn(Context &ctx, Checks &checks);
/// SGD (+ bf16 copy), casts.
void checkSgdAndCasts(Context &ctx, Checks &checks);

} // namespace cardinal::rt::cuda::test

#endif // CARDINAL_TESTS_CUDA_GPUCHECKS_H
