//===- Parallel.h - when a flat loop is worth a parallel region ------------===//
//
// Internal to the kernels. Forking threads costs microseconds; loops over
// fewer elements (or multiply-adds, for convs and GEMMs) than these run on
// the calling thread.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_PARALLEL_H
#define CARDINAL_RUNTIME_KERNELS_PARALLEL_H

#include <cstdint>

namespace cardinal::rt::detail {

constexpr int64_t kMinParallelElements = 1 << 15;
constexpr int64_t kMinParallelMacs = 1 << 16;

/// Multiply-adds of a conv (for the parallel threshold).
inline int64_t convMacs(int64_t outputSize, int64_t cPerGroup, int64_t kh,
                        int64_t kw) {
  return outputSize * cPerGroup * kh * kw;
}

} // namespace cardinal::rt::detail

#endif // CARDINAL_RUNTIME_KERNELS_PARALLEL_H
