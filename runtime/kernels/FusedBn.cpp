//===- FusedBn.cpp ----------------------------------------------------------===//

#include "runtime/kernels/FusedBn.h"
#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Parallel.h"

#include "runtime/kernels/BnStats.h"

#include <cmath>
#include <vector>

namespace cardinal::rt {

template <typename T>
void bnTrainReluForward(const ActShape &s, const T *x, const T *scale,
                        const T *shift, T eps, T momentum, T *y, T *saveMean,
                        T *saveInvStd, T *runningMean, T *runningVar) {
  if (batchNormReduceInstalled()) {
    batchNormForwardTrain(s, x, scale, shift, eps, momentum, y, saveMean,
                          saveInvStd, runningMean, runningVar);
    reluForward(s.size(), y, y);
    return;
  }
  const int64_t count = s.n * s.hw();
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    // Statistics pass (as batchNormForwardTrain: double, two-pass).
    double mean, var;
    detail::channelMoments(s, x, c, mean, var);
    detail::normalizeChannel<true>(s, x, c, mean, var, double(count), scale,
                                   shift, eps, momentum, y, saveMean,
                                   saveInvStd, runningMean, runningVar);
  }
}

template <typename T>
void bnReluBackward(const ActShape &s, const T *x, const T *y, const T *dy,
                    const T *scale, const T *saveMean, const T *saveInvStd,
                    T *dx, T *dscale, T *dshift) {
  if (batchNormReduceInstalled()) {
    std::vector<T> masked(static_cast<size_t>(s.size()));
    reluBackward(s.size(), y, dy, masked.data());
    batchNormBackward(s, x, masked.data(), scale, saveMean, saveInvStd, dx,
                      dscale, dshift);
    return;
  }
  const int64_t hw = s.hw(), count = s.n * hw;
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    const double mean = saveMean[c], invStd = saveInvStd[c];
    double sumDy = 0, sumDyXmu = 0;
    for (int64_t n = 0; n < s.n; ++n) {
      const T *row = x + (n * s.c + c) * hw;
      const T *out = y + (n * s.c + c) * hw;
      const T *g = dy + (n * s.c + c) * hw;
#pragma omp simd reduction(+ : sumDy, sumDyXmu)
      for (int64_t i = 0; i < hw; ++i) {
        // Both loads unconditional so the select vectorizes.
        const T gv = g[i], ov = out[i];
        const T gi = ov > T(0) ? gv : T(0);
        sumDy += gi;
        sumDyXmu += gi * (row[i] - mean);
      }
    }
    const double k = (scale ? scale[c] : 1.0) * invStd;
    const T kT = static_cast<T>(k), meanT = static_cast<T>(mean);
    const T meanDy = static_cast<T>(sumDy / count);
    const T proj = static_cast<T>(sumDyXmu / count * invStd * invStd);
    for (int64_t n = 0; n < s.n; ++n) {
      const T *row = x + (n * s.c + c) * hw;
      const T *out = y + (n * s.c + c) * hw;
      const T *g = dy + (n * s.c + c) * hw;
      T *o = dx + (n * s.c + c) * hw;
#pragma omp simd
      for (int64_t i = 0; i < hw; ++i) {
        const T gv = g[i], ov = out[i];
        const T gi = ov > T(0) ? gv : T(0);
        o[i] = (gi - meanDy - (row[i] - meanT) * proj) * kT;
      }
    }
    if (dscale)
      dscale[c] = static_cast<T>(sumDyXmu * invStd);
    if (dshift)
      dshift[c] = static_cast<T>(sumDy);
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void bnTrainReluForward<T>(const ActShape &, const T *, const T *, \
                                      const T *, T, T, T *, T *, T *, T *,     \
                                      T *);                                    \
  template void bnReluBackward<T>(const ActShape &, const T *, const T *,     \
                                  const T *, const T *, const T *, const T *, \
                                  T *, T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
