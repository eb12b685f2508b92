//===- FusedStats.h - batch statistics from per-block partials (internal) -===//
//
// The second half of a statistics epilogue (conv-level training fusion): a
// kernel that produced channel c's values in `parts` blocks left one Welford
// state per block in partial[c * parts + p]; finalizeChannelStats merges
// them per channel in a fixed order (BatchNormKernels.cuh's
// bnFinalizePartsKernel: deterministic, Chan's merge in fp32, so no
// E[x^2] - E[x]^2 cancellation when |mean| >> std) into the batch mean,
// 1/sqrt(var + eps) and the running statistics. Defined in ConvBn.cu, so
// generated .cu files (GroupedConv.cuh) compile no copy of it.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_FUSEDSTATS_H
#define CARDINAL_RUNTIME_CUDA_FUSEDSTATS_H

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/math/BnMath.h"

#include <cstdint>

namespace cardinal::rt::cuda::detail {

/// runningMean/runningVar may be null (not updated).
void finalizeChannelStats(Context &ctx, int64_t channels, int64_t parts,
                          const Welford *partial, float eps, float momentum,
                          float *mean, float *invStd, float *runningMean,
                          float *runningVar, const char *what);

} // namespace cardinal::rt::cuda::detail

#endif // CARDINAL_RUNTIME_CUDA_FUSEDSTATS_H
