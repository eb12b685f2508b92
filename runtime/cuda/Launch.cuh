//===- Launch.cuh - launch geometry, reductions, instantiation (internal) --===//
#ifndef CARDINAL_RUNTIME_CUDA_LAUNCH_CUH
#define CARDINAL_RUNTIME_CUDA_LAUNCH_CUH

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/math/BnMath.h"
#include "runtime/cuda/math/Scalar.h"

#include <cstdint>

namespace cardinal::rt::cuda::detail {

constexpr int kThreads = 256;

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

#define CARDINAL_GRID_STRIDE(i, n)                                             \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) +            \
                   threadIdx.x;                                                \
       i < (n); i += static_cast<int64_t>(gridDim.x) * blockDim.x)

/// Sum of v over the block, valid in thread 0 (fixed tree order, so the
/// result is deterministic). `scratch` holds blockDim.x / 32 floats.
__device__ inline float blockSum(float v, float *scratch) {
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads(); // scratch may still be read by a previous call
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  v = threadIdx.x < warps ? scratch[threadIdx.x] : 0.f;
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1)
      v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

__device__ inline Welford shflDown(const Welford &w, int o) {
  Welford r;
  r.count = __shfl_down_sync(0xffffffffu, w.count, o);
  r.mean = __shfl_down_sync(0xffffffffu, w.mean, o);
  r.m2 = __shfl_down_sync(0xffffffffu, w.m2, o);
  return r;
}

/// Chan-merged Welford state of the block, valid in thread 0.
/// `scratch` holds blockDim.x / 32 states.
__device__ inline Welford blockWelford(Welford w, Welford *scratch) {
  for (int o = 16; o > 0; o >>= 1)
    w.merge(shflDown(w, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0)
    scratch[warp] = w;
  __syncthreads();
  const int warps = (blockDim.x + 31) >> 5;
  w = threadIdx.x < warps ? scratch[threadIdx.x] : Welford{};
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1)
      w.merge(shflDown(w, o));
  return w;
}

} // namespace cardinal::rt::cuda::detail

/// Explicit instantiation of a kernel template for both activation types.
#define CARDINAL_CUDA_INSTANTIATE(MACRO)                                       \
  MACRO(float)                                                                 \
  MACRO(__nv_bfloat16)

#endif // CARDINAL_RUNTIME_CUDA_LAUNCH_CUH
