//===- Linear.cpp ---------------------------------------------------------===//

#include "runtime/kernels/Linear.h"
#include "runtime/kernels/Blas.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/Threads.h"

#include <omp.h>

namespace cardinal::rt {

namespace {

/// Runs body(begin, end) on a static split of [0, total) across threads
/// (one thread when the whole job is under `macs` multiply-adds).
template <typename F>
void splitColumns(int64_t total, int64_t macs, F body) {
#pragma omp parallel if (macs >= detail::kMinParallelMacs)
  {
    const int64_t parts = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t begin = total * t / parts, end = total * (t + 1) / parts;
    if (begin < end)
      body(begin, end);
  }
}

} // namespace

template <typename T>
void linearForward(const LinearShape &s, const T *x, const T *w, const T *b,
                   T *y) {
  detail::ensureSequentialBlas();
  splitColumns(s.out, s.n * s.in * s.out, [&](int64_t c0, int64_t c1) {
    detail::gemm(false, true, s.n, c1 - c0, s.in, T(1), x, s.in,
                 w + c0 * s.in, s.in, T(0), y + c0, s.out);
    if (b)
      for (int64_t r = 0; r < s.n; ++r)
        for (int64_t c = c0; c < c1; ++c)
          y[r * s.out + c] += b[c];
  });
}

template <typename T>
void linearBackward(const LinearShape &s, const T *x, const T *w, const T *dy,
                    T *dx, T *dw, T *db) {
  detail::ensureSequentialBlas();
  if (dx)
    splitColumns(s.in, s.n * s.in * s.out, [&](int64_t i0, int64_t i1) {
      detail::gemm(false, false, s.n, i1 - i0, s.out, T(1), dy, s.out, w + i0,
                   s.in, T(0), dx + i0, s.in);
    });
  if (dw || db)
    splitColumns(s.out, s.n * s.in * s.out, [&](int64_t c0, int64_t c1) {
      if (dw)
        detail::gemm(true, false, c1 - c0, s.in, s.n, T(1), dy + c0, s.out, x,
                     s.in, T(0), dw + c0 * s.in, s.in);
      if (db)
        for (int64_t c = c0; c < c1; ++c) {
          T sum = 0;
          for (int64_t r = 0; r < s.n; ++r)
            sum += dy[r * s.out + c];
          db[c] = sum;
        }
    });
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void linearForward<T>(const LinearShape &, const T *, const T *,   \
                                 const T *, T *);                              \
  template void linearBackward<T>(const LinearShape &, const T *, const T *,  \
                                  const T *, T *, T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
