//===- Launch.cuh - launch geometry, reductions, instantiation (internal) --===//
#ifndef CARDINAL_RUNTIME_CUDA_LAUNCH_CUH
#define CARDINAL_RUNTIME_CUDA_LAUNCH_CUH

#include "runtime/cuda/BlockReduce.cuh"
#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/math/BnMath.h"
#include "runtime/cuda/math/Scalar.h"

#include <cstdint>

namespace cardinal::rt::cuda::detail {

/// Blocks for a grid-stride loop over n elements (capped: the loop covers
/// the rest, and huge grids only add scheduling overhead).
inline unsigned blocksFor(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1)
    b = 1;
  return static_cast<unsigned>(b < 65535 * 8 ? b : 65535 * 8);
}

/// Throws if the last launch failed to start.
inline void checkLaunch(const char *what) { checkCuda(cudaGetLastError(), what); }

} // namespace cardinal::rt::cuda::detail

/// Explicit instantiation of a kernel template for both activation types.
#define CARDINAL_CUDA_INSTANTIATE(MACRO)                                       \
  MACRO(float)                                                                 \
  MACRO(__nv_bfloat16)

#endif // CARDINAL_RUNTIME_CUDA_LAUNCH_CUH
