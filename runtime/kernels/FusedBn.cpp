//===- FusedBn.cpp ----------------------------------------------------------===//

#include "runtime/kernels/FusedBn.h"
#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Parallel.h"

#include "runtime/kernels/BnStats.h"
#include "runtime/kernels/ChannelLoops.h"

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
    detail::ReluMask<T> mask;
    mask.kind = detail::ReluMask<T>::Output;
    mask.y = y + c * hw;
    const detail::ChannelRows rows{s.n, hw, s.c * hw};
    double sumDy = 0, sumDyXmu = 0;
    detail::channelGradSums(rows, x + c * hw, dy + c * hw, mask, mean, sumDy,
                            sumDyXmu, static_cast<T *>(nullptr));
    const double k = (scale ? scale[c] : 1.0) * invStd;
    const T kT = static_cast<T>(k), meanT = static_cast<T>(mean);
    const T meanDy = static_cast<T>(sumDy / count);
    const T proj = static_cast<T>(sumDyXmu / count * invStd * invStd);
    detail::channelGradInput(rows, x + c * hw, dy + c * hw, mask, meanT,
                             meanDy, proj, kT, dx + c * hw);
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
