//===- Threads.h - how many threads the kernels use ------------------------===//
//
// The kernels parallelize with OpenMP themselves and call BLAS one thread at
// a time (from inside their own parallel loops), so OpenBLAS's own pool is
// pinned to one thread: two pools spinning on the same cores only lose.
//
// Determinism: every kernel splits work statically by thread count and never
// reduces through atomics, so a fixed thread count gives bit-identical
// results run to run. Most kernels give each output element to one thread
// with a fixed summation order, so their results do not depend on the thread
// count at all; the exceptions (GEMM-path conv weight gradients, which sum
// per-thread partials) agree across thread counts to rounding.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_THREADS_H
#define CARDINAL_RUNTIME_KERNELS_THREADS_H

namespace cardinal::rt {

/// Sets the number of OpenMP threads kernels use (n <= 0: one per core) and
/// pins OpenBLAS to one thread.
void setNumThreads(int n);

/// The number of threads the next kernel will use.
int numThreads();

namespace detail {
/// Pins OpenBLAS to one thread, once per process; every kernel that calls
/// BLAS calls this first (cheap after the first time).
void ensureSequentialBlas();
} // namespace detail

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_THREADS_H
