//===- Scratch.h - per-thread workspace for kernels ------------------------===//
//
// Internal to the kernels. im2col columns and partial sums live in buffers
// that each thread keeps and only grows, so a training step allocates nothing
// after the first one (large fresh mallocs would page-fault every call).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_SCRATCH_H
#define CARDINAL_RUNTIME_KERNELS_SCRATCH_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace cardinal::rt::detail {

/// A 64-byte-aligned buffer of at least `bytes` for the calling thread.
/// `slot` distinguishes buffers one kernel needs at the same time.
inline void *scratchBytes(size_t bytes, int slot) {
  struct Buf {
    void *p = nullptr;
    size_t size = 0;
    ~Buf() { std::free(p); }
  };
  constexpr int kSlots = 2;
  thread_local Buf bufs[kSlots];
  Buf &b = bufs[slot % kSlots];
  if (bytes == 0)
    bytes = 1;
  if (b.size < bytes) {
    std::free(b.p);
    size_t rounded = (bytes + 63) / 64 * 64;
    b.p = std::aligned_alloc(64, rounded);
    if (!b.p)
      std::abort();
    b.size = rounded;
  }
  return b.p;
}

template <typename T> T *scratch(int64_t count, int slot = 0) {
  return static_cast<T *>(scratchBytes(sizeof(T) * (size_t)count, slot));
}

} // namespace cardinal::rt::detail

#endif // CARDINAL_RUNTIME_KERNELS_SCRATCH_H
