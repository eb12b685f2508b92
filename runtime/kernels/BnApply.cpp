//===- BnApply.cpp ----------------------------------------------------------===//
#include "runtime/kernels/BnApply.h"

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/Parallel.h"

#include <cstddef>
#include <vector>

namespace cardinal::rt {

template <typename T>
void bnAddReluForward(const ActShape &s, const T *x, const T *mean,
                      const T *invstd, const T *scale, const T *shift,
                      const T *residual, T *y) {
  const int64_t hw = s.hw();
#pragma omp parallel for collapse(2) schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c) {
      const detail::BnCoeffs<T> k(mean, invstd, scale, shift, c);
      const int64_t at = (n * s.c + c) * hw;
      detail::channelAffine(detail::ChannelRows{1, hw, hw}, x + at, k.mean,
                            k.a, k.b, residual + at, true, y + at);
    }
}

namespace {
/// BN's input gradient for channel c given the masked gradient's sums:
/// dx = (g - mean(g) - (x - mean)·Σg(x-mean)/M·invstd²)·scale·invstd, with
/// g = dy masked as `mask` says.
template <typename T>
void writeDx(const ActShape &s, int64_t c, const T *x, const T *dy,
             const detail::ReluMask<T> &mask, double sumDy, double sumDyXmu,
             const T *mean, const T *invstd, const T *scale, T *dx) {
  const int64_t hw = s.hw(), count = s.n * hw;
  const double is = invstd[c];
  const T kT = static_cast<T>((scale ? scale[c] : 1.0) * is), meanT = mean[c];
  const T meanDy = static_cast<T>(sumDy / count);
  const T proj = static_cast<T>(sumDyXmu / count * is * is);
  detail::channelGradInput(detail::ChannelRows{s.n, hw, s.c * hw}, x + c * hw,
                           dy + c * hw, mask, meanT, meanDy, proj, kT,
                           dx + c * hw);
}
} // namespace

template <typename T>
void bnAddReluBackward(const ActShape &s, const T *x, const T *y, const T *dy,
                       const T *mean, const T *invstd, const T *scale, T *dx,
                       T *dresidual, T *dscale, T *dshift) {
  const int64_t hw = s.hw();
  if (batchNormReduceInstalled()) {
    for (int64_t i = 0; i < s.size(); ++i)
      dresidual[i] = y[i] > T(0) ? dy[i] : T(0);
    batchNormBackward(s, x, dresidual, scale, mean, invstd, dx, dscale, dshift);
    return;
  }
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    const double m = mean[c];
    detail::ReluMask<T> byOutput;
    byOutput.kind = detail::ReluMask<T>::Output;
    byOutput.y = y + c * hw;
    double sumDy = 0, sumDyXmu = 0;
    detail::channelGradSums(detail::ChannelRows{s.n, hw, s.c * hw}, x + c * hw,
                            dy + c * hw, byOutput, m, sumDy, sumDyXmu,
                            dresidual + c * hw);
    writeDx(s, c, x, dresidual, detail::ReluMask<T>{}, sumDy, sumDyXmu, mean,
            invstd, scale, dx);
    if (dscale)
      dscale[c] = static_cast<T>(sumDyXmu * double(invstd[c]));
    if (dshift)
      dshift[c] = static_cast<T>(sumDy);
  }
}

template <typename T>
void bnReluApplyBackward(const ActShape &s, const T *x, const T *dy,
                         const T *mean, const T *invstd, const T *scale,
                         const T *shift, T *dx, T *dscale, T *dshift) {
  const int64_t hw = s.hw();
  if (batchNormReduceInstalled()) {
    std::vector<T> masked(static_cast<size_t>(s.size()));
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t c = 0; c < s.c; ++c) {
        const detail::BnCoeffs<T> k(mean, invstd, scale, shift, c);
        for (int64_t i = 0; i < hw; ++i) {
          const int64_t at = (n * s.c + c) * hw + i;
          masked[at] = k(x[at]) > T(0) ? dy[at] : T(0);
        }
      }
    batchNormBackward(s, x, masked.data(), scale, mean, invstd, dx, dscale,
                      dshift);
    return;
  }
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    const detail::BnCoeffs<T> k(mean, invstd, scale, shift, c);
    const double m = mean[c];
    double sumDy = 0, sumDyXmu = 0;
    // Row by row in image order, as conv2dBackwardDataBnSums sums.
    detail::channelGradSums(detail::ChannelRows{s.n, hw, s.c * hw}, x + c * hw,
                            dy + c * hw, detail::reluMask(k), m, sumDy,
                            sumDyXmu, static_cast<T *>(nullptr));
    writeDx(s, c, x, dy, detail::reluMask(k), sumDy, sumDyXmu, mean, invstd,
            scale, dx);
    if (dscale)
      dscale[c] = static_cast<T>(sumDyXmu * double(invstd[c]));
    if (dshift)
      dshift[c] = static_cast<T>(sumDy);
  }
}

template <typename T>
void bnReluApplyBackwardInput(const ActShape &s, const T *x, const T *dy,
                              const T *mean, const T *invstd, const T *scale,
                              const T *shift, const T *dscale,
                              const T *dshift, T *dx) {
  if (batchNormReduceInstalled()) {
    // The synchronized path of bnReluApplyBackward (its sums in double,
    // all-reduced), leaving the local dscale/dshift as they are.
    bnReluApplyBackward(s, x, dy, mean, invstd, scale, shift, dx,
                        static_cast<T *>(nullptr), static_cast<T *>(nullptr));
    return;
  }
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    const detail::BnCoeffs<T> k(mean, invstd, scale, shift, c);
    // Σdz·(x - mean) = dscale / invstd.
    writeDx(s, c, x, dy, detail::reluMask(k), double(dshift[c]),
            double(dscale[c]) / double(invstd[c]), mean, invstd, scale, dx);
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void bnAddReluForward<T>(const ActShape &, const T *, const T *,   \
                                    const T *, const T *, const T *,           \
                                    const T *, T *);                           \
  template void bnAddReluBackward<T>(const ActShape &, const T *, const T *,  \
                                     const T *, const T *, const T *,          \
                                     const T *, T *, T *, T *, T *);           \
  template void bnReluApplyBackward<T>(const ActShape &, const T *,           \
                                       const T *, const T *, const T *,        \
                                       const T *, const T *, T *, T *, T *);  \
  template void bnReluApplyBackwardInput<T>(                                   \
      const ActShape &, const T *, const T *, const T *, const T *, const T *, \
      const T *, const T *, const T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
