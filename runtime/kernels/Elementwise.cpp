//===- Elementwise.cpp ----------------------------------------------------===//

#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/ChannelLoops.h"
#include "runtime/kernels/Parallel.h"

#include <algorithm>

namespace cardinal::rt {

using detail::kMinParallelElements;

template <typename T> void reluForward(int64_t n, const T *x, T *y) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelElements)
  for (int64_t i = 0; i < n; ++i)
    y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <typename T>
void reluBackward(int64_t n, const T *yOrX, const T *dy, T *dx) {
  // Blocks of the vector loop (detail::maskPositive: branch-free, AVX-512 /
  // AVX2 where the CPU has them).
  constexpr int64_t kBlock = int64_t(1) << 14;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n >= kMinParallelElements)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t at = b * kBlock;
    detail::maskPositive(std::min(kBlock, n - at), yOrX + at, dy + at,
                         dx + at);
  }
}

template <typename T> void add(int64_t n, const T *a, const T *b, T *y) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelElements)
  for (int64_t i = 0; i < n; ++i)
    y[i] = a[i] + b[i];
}

template <typename T> void zero(int64_t n, T *x) { fill(n, x, T(0)); }

template <typename T> void fill(int64_t n, T *x, T value) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelElements)
  for (int64_t i = 0; i < n; ++i)
    x[i] = value;
}

template <typename T> void copy(int64_t n, const T *src, T *dst) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelElements)
  for (int64_t i = 0; i < n; ++i)
    dst[i] = src[i];
}

template <typename T> void axpy(int64_t n, T alpha, const T *x, T *y) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelElements)
  for (int64_t i = 0; i < n; ++i)
    y[i] += alpha * x[i];
}

template <typename T> void scale(int64_t n, T alpha, T *x) {
#pragma omp parallel for simd schedule(static) if (n >= kMinParallelElements)
  for (int64_t i = 0; i < n; ++i)
    x[i] *= alpha;
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void reluForward<T>(int64_t, const T *, T *);                      \
  template void reluBackward<T>(int64_t, const T *, const T *, T *);          \
  template void add<T>(int64_t, const T *, const T *, T *);                   \
  template void zero<T>(int64_t, T *);                                        \
  template void fill<T>(int64_t, T *, T);                                     \
  template void copy<T>(int64_t, const T *, T *);                             \
  template void axpy<T>(int64_t, T, const T *, T *);                          \
  template void scale<T>(int64_t, T, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
