//===- BlockReduce.cuh - grid-stride loops and block reductions (internal) ===//
//
// Device code only, free of the runtime API, so tests can run the kernels
// that use it on the host (tests/cuda/CudaEmulation.h).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_BLOCKREDUCE_CUH
#define CARDINAL_RUNTIME_CUDA_BLOCKREDUCE_CUH

#include "runtime/cuda/math/BnMath.h"

#include <cstdint>

namespace cardinal::rt::cuda::detail {

/// Threads per block of the library's one-dimensional kernels.
constexpr int kThreads = 256;

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
  const unsigned warps = (blockDim.x + 31) >> 5;
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
  const unsigned warps = (blockDim.x + 31) >> 5;
  w = threadIdx.x < warps ? scratch[threadIdx.x] : Welford{};
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1)
      w.merge(shflDown(w, o));
  return w;
}

/// out[i] = the sum over slices of partial[slice * count + i], in slice
/// order (deterministic), plus out[i] itself with `accumulate`: the second
/// pass of the weight gradients that are computed as per-slice partials. A
/// template only so that every including file may define it.
template <typename Unused>
__global__ void sumSlicesKernel(int64_t count, int64_t slices,
                                const float *partial, float *out,
                                bool accumulate = false) {
  CARDINAL_GRID_STRIDE(i, count) {
    float acc = accumulate ? out[i] : 0.f;
    for (int64_t k = 0; k < slices; ++k)
      acc += partial[k * count + i];
    out[i] = acc;
  }
}

} // namespace cardinal::rt::cuda::detail

#endif // CARDINAL_RUNTIME_CUDA_BLOCKREDUCE_CUH
