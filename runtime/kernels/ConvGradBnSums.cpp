//===- ConvGradBnSums.cpp ---------------------------------------------------===//
#include "runtime/kernels/ConvGradBnSums.h"

#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/Parallel.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace cardinal::rt {

template <typename T>
void conv2dBackwardDataBnSums(const ConvShape &s, const T *dy, const T *w,
                              const T *bnInput, const T *mean,
                              const T *invstd, const T *scale, const T *shift,
                              T *dx, T *dscale, T *dshift) {
  const ActShape in = s.input();
  const int64_t hw = in.hw(), inImage = s.c * hw,
                outImage = s.o * s.oh * s.ow;
  const int64_t chunk = detail::imagesPerChunk(
      s.n, static_cast<int64_t>(sizeof(T)) * std::max(inImage, outImage));
  std::vector<double> sumDy(static_cast<size_t>(s.c), 0.0),
      sumDyXmu(static_cast<size_t>(s.c), 0.0);
  for (int64_t n0 = 0; n0 < s.n; n0 += chunk) {
    ConvShape part = s;
    part.n = std::min(chunk, s.n - n0);
    T *dxk = dx + n0 * inImage;
    conv2dBackwardData(part, dy + n0 * outImage, w, dxk);
    // The chunk's rows, added per channel in image order: the same sums,
    // in the same order, as bnReluApplyBackward's over the whole batch.
#pragma omp parallel for schedule(static) if (part.n * inImage >= detail::kMinParallelElements)
    for (int64_t c = 0; c < s.c; ++c) {
      const detail::BnCoeffs<T> k(mean, invstd, scale, shift, c);
      detail::channelGradSums(detail::ChannelRows{part.n, hw, inImage},
                              bnInput + n0 * inImage + c * hw, dxk + c * hw,
                              detail::reluMask(k), double(mean[c]), sumDy[c],
                              sumDyXmu[c], static_cast<T *>(nullptr));
    }
  }
  for (int64_t c = 0; c < s.c; ++c) {
    if (dscale)
      dscale[c] = static_cast<T>(sumDyXmu[c] * double(invstd[c]));
    if (dshift)
      dshift[c] = static_cast<T>(sumDy[c]);
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void conv2dBackwardDataBnSums<T>(                                   \
      const ConvShape &, const T *, const T *, const T *, const T *,           \
      const T *, const T *, const T *, T *, T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
