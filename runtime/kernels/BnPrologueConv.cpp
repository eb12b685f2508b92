//===- BnPrologueConv.cpp ---------------------------------------------------===//
#include "runtime/kernels/BnPrologueConv.h"

#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/Parallel.h"

#include <cstddef>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cardinal::rt {

namespace {

bool parallelOver(const ConvShape &s) {
  return detail::convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >=
         detail::kMinParallelMacs;
}

} // namespace

template <typename T>
void bnReluConv2dForward(const ConvShape &s, const T *x, const T *mean,
                         const T *invstd, const T *scale, const T *shift,
                         const T *w, T *y) {
  ConvShape one = s;
  one.n = 1;
  const int64_t inImage = s.c * s.h * s.w, outImage = s.o * s.oh * s.ow;
#pragma omp parallel for schedule(static) if (parallelOver(s))
  for (int64_t n = 0; n < s.n; ++n) {
    T *buf = detail::imageBuffer<T>(inImage);
    detail::normalizeReluImage(s.c, s.h * s.w, x + n * inImage, mean, invstd,
                               scale, shift, buf);
    conv2dForward(one, static_cast<const T *>(buf), w,
                  static_cast<const T *>(nullptr), y + n * outImage);
  }
}

template <typename T>
void bnReluConv2dBackwardWeight(const ConvShape &s, const T *x, const T *mean,
                                const T *invstd, const T *scale,
                                const T *shift, const T *dy, T *dw) {
  ConvShape one = s;
  one.n = 1;
  const int64_t inImage = s.c * s.h * s.w, outImage = s.o * s.oh * s.ow,
                wsize = s.weightSize();
  int threads = 1;
#ifdef _OPENMP
  if (parallelOver(s))
    threads = omp_get_max_threads();
#endif
  std::vector<T> partial(static_cast<size_t>(threads * wsize), T(0));
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    T *acc = partial.data() + t * wsize;
    std::vector<T> one_dw(static_cast<size_t>(wsize));
#pragma omp for schedule(static)
    for (int64_t n = 0; n < s.n; ++n) {
      T *buf = detail::imageBuffer<T>(inImage);
      detail::normalizeReluImage(s.c, s.h * s.w, x + n * inImage, mean,
                                 invstd, scale, shift, buf);
      conv2dBackwardWeight(one, static_cast<const T *>(buf), dy + n * outImage,
                           one_dw.data(), static_cast<T *>(nullptr));
      for (int64_t i = 0; i < wsize; ++i)
        acc[i] += one_dw[i];
    }
  }
  for (int64_t i = 0; i < wsize; ++i) {
    T sum = partial[i];
    for (int t = 1; t < threads; ++t)
      sum += partial[t * wsize + i];
    dw[i] = sum;
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void bnReluConv2dForward<T>(const ConvShape &, const T *,          \
                                       const T *, const T *, const T *,        \
                                       const T *, const T *, T *);             \
  template void bnReluConv2dBackwardWeight<T>(                                 \
      const ConvShape &, const T *, const T *, const T *, const T *,           \
      const T *, const T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
