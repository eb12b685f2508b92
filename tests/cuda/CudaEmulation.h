//===- CudaEmulation.h - run simple CUDA kernels on host threads ----------===//
//
// Just enough of CUDA for kernels that use threadIdx/blockIdx/blockDim/
// gridDim, __shared__ arrays, __syncthreads() and __shfl_down_sync on
// floats: a launch runs the blocks one after another; within a block each
// CUDA thread is a fiber (ucontext, its own stack) on the calling thread,
// and a round-robin scheduler switches between them at every
// __syncthreads() (all live threads of the block must arrive; a thread that
// returned counts as arrived, as on the device) and at every shuffle (a
// per-warp barrier, so all live lanes of a warp must reach each shuffle, as
// CUDA's full mask requires). `static` storage stands in for __shared__, so
// it keeps the last block's values where the device has garbage: a read of
// shared memory before any write is not caught here (poisoning it between
// blocks would need its bounds, and GCC ignores section attributes on the
// static locals of templates, which every kernel is).
// Switching fibers costs far less than waking OS threads, so kernels with
// many block reductions stay quick; the schedule is deterministic.
//
// Races: between two barriers every thread runs to completion in turn, so a
// missing __syncthreads() between a write by thread a and a read by thread
// b (or a block reading what a later block writes) goes unnoticed when a
// runs first. CARDINAL_CUDA_EMULATION_ORDER=reverse runs the threads of
// each phase and the blocks of each grid in the opposite order; the tests
// pass in both orders (ctest cuda.emulation.reverse_order).
// Include it before any kernel header, in plain C++ only. Slow, but it
// executes the kernels' real indexing, tiling and staging logic, which no
// host-side formula test covers.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_CUDA_CUDAEMULATION_H
#define CARDINAL_TESTS_CUDA_CUDAEMULATION_H

#ifdef __CUDACC__
#error "CudaEmulation.h is for host-only builds"
#endif

#include <ucontext.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cuda_emulation {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

inline Dim3 threadIdx_, blockIdx_, blockDim_, gridDim_;

/// One CUDA thread of the running block.
struct Fiber {
  enum State { Runnable, AtSync, AtShuffle, Done };
  ucontext_t context;
  State state = Runnable;
};

inline constexpr size_t kStackBytes = 128 << 10;
inline std::vector<Fiber> fibers_;
inline std::vector<std::unique_ptr<char[]>> stacks_; // grow-only, reused
inline ucontext_t scheduler_;
inline unsigned current_ = 0;
inline const std::function<void()> *kernel_ = nullptr;
inline std::vector<float> shuffle_; // one slot per thread of the block

/// Threads and blocks backwards: CARDINAL_CUDA_EMULATION_ORDER=reverse, or
/// set by a test.
inline bool reverse_ = [] {
  const char *v = std::getenv("CARDINAL_CUDA_EMULATION_ORDER");
  return v && std::string(v) == "reverse";
}();
inline bool reverseOrder() { return reverse_; }
inline void setReverseOrder(bool reverse) { reverse_ = reverse; }

/// Back to the scheduler until the barrier the thread waits at opens.
inline void waitAt(Fiber::State state) {
  Fiber &f = fibers_[current_];
  f.state = state;
  swapcontext(&f.context, &scheduler_);
}

inline void syncthreads() { waitAt(Fiber::AtSync); }

/// __shfl_down_sync over full warps: lane l gets lane l + offset's value,
/// its own where that lane is past the warp.
inline float shflDown(float v, int offset) {
  const unsigned t = threadIdx_.x;
  shuffle_[t] = v;
  waitAt(Fiber::AtShuffle);
  const unsigned lane = t & 31u;
  const float r = lane + offset < 32 && t + offset < blockDim_.x
                      ? shuffle_[t + offset]
                      : v;
  waitAt(Fiber::AtShuffle); // nobody overwrites a slot before all read
  return r;
}

inline void fiberEntry() {
  (*kernel_)();
  fibers_[current_].state = Fiber::Done;
  swapcontext(&fibers_[current_].context, &scheduler_);
}

/// Runs the current block's fibers until all have returned.
inline void runBlock(unsigned block) {
  for (unsigned t = 0; t < block; ++t) {
    Fiber &f = fibers_[t];
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = stacks_[t].get();
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiberEntry, 0);
    f.state = Fiber::Runnable;
  }
  const bool reverse = reverseOrder();
  for (;;) {
    for (unsigned i = 0; i < block; ++i) {
      const unsigned t = reverse ? block - 1 - i : i;
      if (fibers_[t].state == Fiber::Runnable) {
        current_ = t;
        threadIdx_ = {t, 0, 0};
        swapcontext(&scheduler_, &fibers_[t].context);
      }
    }
    // Open the barriers every live thread has reached.
    bool done = true, opened = false;
    for (unsigned w = 0; w < block; w += 32) {
      const unsigned end = w + 32 < block ? w + 32 : block;
      bool all = true, any = false;
      for (unsigned t = w; t < end; ++t) {
        all &= fibers_[t].state == Fiber::AtShuffle ||
               fibers_[t].state == Fiber::Done;
        any |= fibers_[t].state == Fiber::AtShuffle;
      }
      if (all && any) {
        for (unsigned t = w; t < end; ++t)
          if (fibers_[t].state == Fiber::AtShuffle)
            fibers_[t].state = Fiber::Runnable;
        opened = true;
      }
    }
    bool all = true, any = false;
    for (unsigned t = 0; t < block; ++t) {
      done &= fibers_[t].state == Fiber::Done;
      all &= fibers_[t].state == Fiber::AtSync ||
             fibers_[t].state == Fiber::Done;
      any |= fibers_[t].state == Fiber::AtSync;
    }
    if (done)
      return;
    if (all && any) {
      for (unsigned t = 0; t < block; ++t)
        if (fibers_[t].state == Fiber::AtSync)
          fibers_[t].state = Fiber::Runnable;
      opened = true;
    }
    if (!opened) {
      std::fprintf(stderr, "CudaEmulation: threads of block (%u, %u, %u) "
                           "wait at different barriers\n",
                   blockIdx_.x, blockIdx_.y, blockIdx_.z);
      std::abort();
    }
  }
}

/// Runs kernel() as a grid x block launch (1-D blocks).
template <typename Kernel>
void launch(Dim3 grid, unsigned block, Kernel kernel) {
  const std::function<void()> fn = kernel;
  kernel_ = &fn;
  blockDim_ = {block, 1, 1};
  gridDim_ = grid;
  shuffle_.assign(block, 0.f);
  fibers_.resize(block);
  while (stacks_.size() < block)
    stacks_.push_back(std::make_unique<char[]>(kStackBytes));
  const unsigned blocks = grid.x * grid.y * grid.z;
  for (unsigned i = 0; i < blocks; ++i) {
    const unsigned b = reverseOrder() ? blocks - 1 - i : i;
    blockIdx_ = {b % grid.x, b / grid.x % grid.y, b / (grid.x * grid.y)};
    runBlock(block);
  }
  kernel_ = nullptr;
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
