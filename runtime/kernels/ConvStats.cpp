//===- ConvStats.cpp --------------------------------------------------------===//
#include "runtime/kernels/ConvStats.h"

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/BnPrologueConv.h"
#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/Parallel.h"

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
void convImage(const ConvShape &one, const T *x, const Prologue<T> &p,
               const T *w, T *y) {
  if (p.mean) {
    T *buf = detail::imageBuffer<T>(one.inputSize());
    detail::normalizeReluImage(one.c, one.h * one.w, x, p.mean, p.invstd,
                               p.scale, p.shift, buf);
    x = buf;
  }
  conv2dForward(one, x, w, static_cast<const T *>(nullptr), y);
}

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
  ConvShape one = s;
  one.n = 1;
  // Per image and channel: mean and sum of squared deviations.
  std::vector<double> imgMean(static_cast<size_t>(s.n * C)),
      imgM2(static_cast<size_t>(s.n * C));
#pragma omp parallel for schedule(static) if (s.outputSize() >= detail::kMinParallelElements)
  for (int64_t n = 0; n < s.n; ++n) {
    T *yn = y + n * C * hw;
    convImage(one, x + n * inImage, p, w, yn);
    for (int64_t c = 0; c < C; ++c) {
      const T *row = yn + c * hw;
      double sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < hw; ++i)
        sum += row[i];
      const double m = sum / hw;
      double sq = 0;
#pragma omp simd reduction(+ : sq)
      for (int64_t i = 0; i < hw; ++i) {
        const double d = row[i] - m;
        sq += d * d;
      }
      imgMean[n * C + c] = m;
      imgM2[n * C + c] = sq;
    }
  }
  const double count = double(s.n) * hw;
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, m2 = 0, seen = 0;
    for (int64_t n = 0; n < s.n; ++n) {
      const double total = seen + hw, delta = imgMean[n * C + c] - m;
      m += delta * hw / total;
      m2 += imgM2[n * C + c] + delta * delta * seen * hw / total;
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
