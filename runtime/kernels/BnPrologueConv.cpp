//===- BnPrologueConv.cpp ---------------------------------------------------===//
#include "runtime/kernels/BnPrologueConv.h"

#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/Parallel.h"

#include <cstddef>
#include <algorithm>
#include <vector>


namespace cardinal::rt {


template <typename T>
void bnReluConv2dForward(const ConvShape &s, const T *x, const T *mean,
                         const T *invstd, const T *scale, const T *shift,
                         const T *w, T *y) {
  const int64_t inImage = s.c * s.h * s.w, outImage = s.o * s.oh * s.ow;
  const int64_t chunk =
      detail::imagesPerChunk(s.n, static_cast<int64_t>(sizeof(T)) * inImage);
  T *buf = detail::imageBuffer<T>(chunk * inImage);
  for (int64_t n0 = 0; n0 < s.n; n0 += chunk) {
    ConvShape part = s;
    part.n = std::min(chunk, s.n - n0);
    detail::normalizeReluImages(n0, part.n, s.c, s.h * s.w, x, mean, invstd,
                                scale, shift, buf);
    conv2dForward(part, static_cast<const T *>(buf), w,
                  static_cast<const T *>(nullptr), y + n0 * outImage);
  }
}

template <typename T>
void bnReluConv2dBackwardWeight(const ConvShape &s, const T *x, const T *mean,
                                const T *invstd, const T *scale,
                                const T *shift, const T *dy, T *dw) {
  const int64_t inImage = s.c * s.h * s.w, outImage = s.o * s.oh * s.ow,
                wsize = s.weightSize();
  const int64_t chunk =
      detail::imagesPerChunk(s.n, static_cast<int64_t>(sizeof(T)) * inImage);
  T *buf = detail::imageBuffer<T>(chunk * inImage);
  std::vector<T> part_dw(static_cast<size_t>(chunk < s.n ? wsize : 0));
  for (int64_t n0 = 0; n0 < s.n; n0 += chunk) {
    ConvShape part = s;
    part.n = std::min(chunk, s.n - n0);
    detail::normalizeReluImages(n0, part.n, s.c, s.h * s.w, x, mean, invstd,
                                scale, shift, buf);
    T *out = n0 == 0 ? dw : part_dw.data();
    conv2dBackwardWeight(part, static_cast<const T *>(buf), dy + n0 * outImage,
                         out, static_cast<T *>(nullptr));
    if (n0 > 0)
      for (int64_t i = 0; i < wsize; ++i)
        dw[i] += part_dw[i];
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
