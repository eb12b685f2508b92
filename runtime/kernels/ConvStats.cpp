//===- ConvStats.cpp --------------------------------------------------------===//
#include "runtime/kernels/ConvStats.h"

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/BnStats.h"
#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/BnPrologueConv.h"
#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace cardinal::rt {

namespace {

/// The input prologue of a statistics conv: none, or relu(BN(x)).
template <typename T> struct Prologue {
  const T *mean = nullptr, *invstd = nullptr, *scale = nullptr,
          *shift = nullptr;
};

template <typename T>
void statsForward(const ConvShape &s, const T *x, const Prologue<T> &p,
                  const T *w, T eps, T momentum, T *y, T *mean, T *invstd,
                  T *runningMean, T *runningVar) {
  const ActShape out = s.output();
  if (batchNormReduceInstalled()) {
    if (p.mean)
      bnReluConv2dForward(s, x, p.mean, p.invstd, p.scale, p.shift, w, y);
    else
      conv2dForward(s, x, w, static_cast<const T *>(nullptr), y);
    std::vector<T> normalized(static_cast<size_t>(out.size()));
    batchNormForwardTrain(out, y, static_cast<const T *>(nullptr),
                          static_cast<const T *>(nullptr), eps, momentum,
                          normalized.data(), mean, invstd, runningMean,
                          runningVar);
    return;
  }
  const int64_t C = out.c, hw = out.hw(), inImage = s.c * s.h * s.w;
  // Chunks of images: the conv runs on a chunk at once (its own tiling and
  // threads), then the chunk's moments are taken while its output is in
  // cache.
  const int64_t chunk = detail::imagesPerChunk(
      s.n, static_cast<int64_t>(sizeof(T)) * std::max(C * hw, inImage));
  T *buf = p.mean ? detail::imageBuffer<T>(chunk * inImage) : nullptr;
  // Per chunk and channel: mean and sum of squared deviations, two passes
  // in double over the chunk while it is in cache (exactly
  // detail::channelMoments's arithmetic when the batch is one chunk).
  const int64_t chunks = (s.n + chunk - 1) / chunk;
  std::vector<double> partMean(static_cast<size_t>(chunks * C)),
      partM2(static_cast<size_t>(chunks * C));
  for (int64_t n0 = 0, k = 0; n0 < s.n; n0 += chunk, ++k) {
    ConvShape part = s;
    part.n = std::min(chunk, s.n - n0);
    const T *in = x + n0 * inImage;
    if (p.mean) {
      detail::normalizeReluImages(n0, part.n, s.c, s.h * s.w, x, p.mean,
                                  p.invstd, p.scale, p.shift, buf);
      in = buf;
    }
    T *yk = y + n0 * C * hw;
    conv2dForward(part, in, w, static_cast<const T *>(nullptr), yk);
    const ActShape ks{part.n, C, out.h, out.w};
#pragma omp parallel for schedule(static) if (ks.size() >= detail::kMinParallelElements)
    for (int64_t c = 0; c < C; ++c) {
      double mean, var;
      detail::channelMoments(ks, yk, c, mean, var);
      partMean[k * C + c] = mean;
      partM2[k * C + c] = var * double(part.n * hw);
    }
  }
  const double count = double(s.n) * hw;
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, m2 = 0, seen = 0;
    for (int64_t k = 0; k < chunks; ++k) {
      const double size = double(std::min(chunk, s.n - k * chunk)) * hw;
      const double total = seen + size, delta = partMean[k * C + c] - m;
      m = k == 0 ? partMean[c] : m + delta * size / total;
      m2 += partM2[k * C + c] + (k == 0 ? 0.0 : delta * delta * seen * size / total);
      seen = total;
    }
    const double var = m2 / count;
    mean[c] = static_cast<T>(m);
    invstd[c] = static_cast<T>(1.0 / std::sqrt(var + eps));
    if (runningMean && runningVar) {
      const double unbiased = count > 1 ? var * count / (count - 1) : var;
      runningMean[c] =
          static_cast<T>((1 - momentum) * runningMean[c] + momentum * m);
      runningVar[c] =
          static_cast<T>((1 - momentum) * runningVar[c] + momentum * unbiased);
    }
  }
}

} // namespace

template <typename T>
void conv2dStatsForward(const ConvShape &s, const T *x, const T *w, T eps,
                        T momentum, T *y, T *mean, T *invstd, T *runningMean,
                        T *runningVar) {
  statsForward(s, x, Prologue<T>{}, w, eps, momentum, y, mean, invstd,
               runningMean, runningVar);
}

template <typename T>
void bnReluConv2dStatsForward(const ConvShape &s, const T *x, const T *inMean,
                              const T *inInvstd, const T *inScale,
                              const T *inShift, const T *w, T eps, T momentum,
                              T *y, T *mean, T *invstd, T *runningMean,
                              T *runningVar) {
  statsForward(s, x, Prologue<T>{inMean, inInvstd, inScale, inShift}, w, eps,
               momentum, y, mean, invstd, runningMean, runningVar);
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void conv2dStatsForward<T>(const ConvShape &, const T *, const T *, \
                                      T, T, T *, T *, T *, T *, T *);          \
  template void bnReluConv2dStatsForward<T>(                                   \
      const ConvShape &, const T *, const T *, const T *, const T *,           \
      const T *, const T *, T, T, T *, T *, T *, T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
