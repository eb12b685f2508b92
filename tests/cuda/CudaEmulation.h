//===- CudaEmulation.h - run simple CUDA kernels on host threads ----------===//
//
// Just enough of CUDA for kernels that use threadIdx/blockIdx/blockDim/
// gridDim, __shared__ arrays, __syncthreads() and __shfl_down_sync on
// floats (emulated with a per-warp barrier, so all 32 lanes of a warp must
// reach each shuffle, as CUDA's full mask requires):
// a launch starts one std::thread per thread of a block; the threads run
// the blocks one after another, meeting at a barrier for every
// __syncthreads() and between blocks (so `static` storage can stand in for
// __shared__). Include it before any kernel header, in plain C++ only.
// Slow, but it executes the kernels' real indexing, tiling and staging
// logic, which no host-side formula test covers.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_CUDA_CUDAEMULATION_H
#define CARDINAL_TESTS_CUDA_CUDAEMULATION_H

#ifdef __CUDACC__
#error "CudaEmulation.h is for host-only builds"
#endif

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cuda_emulation {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

/// A reusable barrier for a fixed number of threads.
class Barrier {
public:
  explicit Barrier(unsigned count) : count_(count) {}
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation != generation_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  unsigned count_, arrived_ = 0;
  uint64_t generation_ = 0;
};

inline thread_local Dim3 threadIdx_, blockIdx_;
inline Dim3 blockDim_, gridDim_;
inline Barrier *barrier_ = nullptr;

inline void syncthreads() { barrier_->wait(); }

inline std::vector<float> shuffle_; // one slot per thread of the block
inline std::vector<std::unique_ptr<Barrier>> warpBarriers_;

/// __shfl_down_sync over full warps: lane l gets lane l + offset's value,
/// its own where that lane is past the warp.
inline float shflDown(float v, int offset) {
  const unsigned t = threadIdx_.x;
  Barrier &warp = *warpBarriers_[t / 32];
  shuffle_[t] = v;
  warp.wait();
  const unsigned lane = t & 31u;
  const float r = lane + offset < 32 && t + offset < blockDim_.x
                      ? shuffle_[t + offset]
                      : v;
  warp.wait();
  return r;
}

/// Runs kernel() as a grid x block launch (1-D blocks).
template <typename Kernel>
void launch(Dim3 grid, unsigned block, Kernel kernel) {
  blockDim_ = {block, 1, 1};
  gridDim_ = grid;
  Barrier barrier(block);
  barrier_ = &barrier;
  shuffle_.assign(block, 0.f);
  warpBarriers_.clear();
  for (unsigned w = 0; w < block; w += 32)
    warpBarriers_.push_back(
        std::make_unique<Barrier>(block - w < 32 ? block - w : 32));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < block; ++t)
    threads.emplace_back([&, t] {
      threadIdx_ = {t, 0, 0};
      for (unsigned z = 0; z < grid.z; ++z)
        for (unsigned y = 0; y < grid.y; ++y)
          for (unsigned x = 0; x < grid.x; ++x) {
            blockIdx_ = {x, y, z};
            kernel();
            barrier.wait(); // the block is done before the next reuses smem
          }
    });
  for (auto &t : threads)
    t.join();
  barrier_ = nullptr;
}

} // namespace cuda_emulation

#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __launch_bounds__(...)
#define threadIdx ::cuda_emulation::threadIdx_
#define blockIdx ::cuda_emulation::blockIdx_
#define blockDim ::cuda_emulation::blockDim_
#define gridDim ::cuda_emulation::gridDim_
#define __syncthreads() ::cuda_emulation::syncthreads()
#define __shfl_down_sync(mask, v, offset)                                      \
  ::cuda_emulation::shflDown((v), (offset))

#endif // CARDINAL_TESTS_CUDA_CUDAEMULATION_H
