//===- SyncedBn.h - BN statistics and gradient sums over all ranks (internal)
//
// The synchronized halves of every BN reduction in the library, used in
// place of the local finalize when Context::bnSync is set (CudaKernels.h's
// BnSync: --sync-bn over several ranks). Each takes the per-channel
// partials the local path would finalize, plus `usedBytes`: how much of the
// workspace the caller's partials (and whatever else it still needs) take,
// so the exchange buffers go after them. Defined in BatchNorm.cu.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_SYNCEDBN_H
#define CARDINAL_RUNTIME_CUDA_SYNCEDBN_H

#include "runtime/cuda/BatchNormKernels.cuh"
#include "runtime/cuda/CudaKernels.h"

#include <cstddef>
#include <cstdint>

namespace cardinal::rt::cuda::detail {

/// Forward: channel c's partials partial[c * parts + p] merged here, the
/// merged states all-gathered, and the union's statistics finalized
/// (mean, invStd, running statistics if non-null) on every rank alike.
void finalizeSyncedStats(Context &ctx, int64_t channels, int64_t parts,
                         const Welford *partial, size_t usedBytes, float eps,
                         float momentum, float *mean, float *invStd,
                         float *runningMean, float *runningVar,
                         const char *what);

/// Backward: the gradient partials summed per channel; dx's constants from
/// the sums over all ranks (localCount elements per channel on each),
/// dscale/dshift (nullable) from this rank's.
void finalizeSyncedGrad(Context &ctx, int64_t channels, int64_t parts,
                        float localCount, const bn::BnGradSums *partial,
                        size_t usedBytes, const float *scale,
                        const float *invStd, float *dscale, float *dshift,
                        BnBackwardCoefs *coefs, const char *what);

/// The fused backward whose sums arrive as this rank's dscale/dshift
/// (bnReluApplyBackwardInput): their sums over all ranks, as two arrays of
/// `channels` floats in the workspace at `usedBytes` (dscale's, dshift's).
const float *syncedGradSums(Context &ctx, int64_t channels,
                            const float *dscale, const float *dshift,
                            size_t usedBytes, const char *what);

/// The element count per channel over all ranks.
inline float syncedCount(const Context &ctx, float localCount) {
  return ctx.bnSync ? localCount * static_cast<float>(ctx.bnSync->ranks())
                    : localCount;
}

} // namespace cardinal::rt::cuda::detail

#endif // CARDINAL_RUNTIME_CUDA_SYNCEDBN_H
