//===- BatchNorm.cpp ------------------------------------------------------===//

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/Parallel.h"

#include "runtime/kernels/BnStats.h"
#include "runtime/kernels/ChannelLoops.h"

#include <cmath>
#include <vector>

namespace cardinal::rt {
namespace {

BatchNormReduceFn gReduce = nullptr;
void *gReduceCtx = nullptr;

/// The synchronized forward (a reducer is installed): the same arithmetic as
/// the local kernel, with the per-channel sums reduced between the passes.
template <typename T>
void batchNormForwardTrainSynced(const ActShape &s, const T *x, const T *scale,
                                 const T *shift, T eps, T momentum, T *y,
                                 T *saveMean, T *saveInvStd, T *runningMean,
                                 T *runningVar) {
  const int64_t hw = s.hw();
  std::vector<double> sums(s.c + 1), sq(s.c + 1);
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    sums[c] = detail::channelSum(detail::ChannelRows{s.n, hw, s.c * hw},
                                 x + c * hw);
  }
  sums[s.c] = static_cast<double>(s.n * hw);
  gReduce(sums.data(), s.c + 1, gReduceCtx);
  const double count = sums[s.c];
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    sq[c] = detail::channelSquaredDeviation(
        detail::ChannelRows{s.n, hw, s.c * hw}, x + c * hw, sums[c] / count);
  }
  gReduce(sq.data(), s.c, gReduceCtx);
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    detail::normalizeChannel<false>(s, x, c, sums[c] / count, sq[c] / count,
                                    count, scale, shift, eps, momentum, y,
                                    saveMean, saveInvStd, runningMean,
                                    runningVar);
  }
}

template <typename T>
void batchNormBackwardSynced(const ActShape &s, const T *x, const T *dy,
                             const T *scale, const T *saveMean,
                             const T *saveInvStd, T *dx, T *dscale,
                             T *dshift) {
  const int64_t hw = s.hw();
  // [sum(dy) per channel, sum(dy * (x - mean)) per channel, count]
  std::vector<double> local(2 * s.c), global(2 * s.c + 1);
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    const double mean = saveMean[c];
    double sumDy = 0, sumDyXmu = 0;
    detail::channelGradSums(detail::ChannelRows{s.n, hw, s.c * hw}, x + c * hw,
                            dy + c * hw, detail::ReluMask<T>{}, mean, sumDy,
                            sumDyXmu, static_cast<T *>(nullptr));
    local[c] = global[c] = sumDy;
    local[s.c + c] = global[s.c + c] = sumDyXmu;
  }
  global[2 * s.c] = static_cast<double>(s.n * hw);
  gReduce(global.data(), 2 * s.c + 1, gReduceCtx);
  const double count = global[2 * s.c];
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    const double mean = saveMean[c], invStd = saveInvStd[c];
    const double k = (scale ? scale[c] : 1.0) * invStd;
    const T kT = static_cast<T>(k), meanT = static_cast<T>(mean);
    const T meanDy = static_cast<T>(global[c] / count);
    const T proj = static_cast<T>(global[s.c + c] / count * invStd * invStd);
    detail::channelGradInput(detail::ChannelRows{s.n, hw, s.c * hw},
                             x + c * hw, dy + c * hw, detail::ReluMask<T>{},
                             meanT, meanDy, proj, kT, dx + c * hw);
    if (dscale)
      dscale[c] = static_cast<T>(local[s.c + c] * invStd);
    if (dshift)
      dshift[c] = static_cast<T>(local[c]);
  }
}

} // namespace

void setBatchNormReduce(BatchNormReduceFn fn, void *ctx) {
  gReduce = fn;
  gReduceCtx = fn ? ctx : nullptr;
}

bool batchNormReduceInstalled() { return gReduce != nullptr; }

template <typename T>
void batchNormForwardTrain(const ActShape &s, const T *x, const T *scale,
                           const T *shift, T eps, T momentum, T *y,
                           T *saveMean, T *saveInvStd, T *runningMean,
                           T *runningVar) {
  if (gReduce)
    return batchNormForwardTrainSynced(s, x, scale, shift, eps, momentum, y,
                                       saveMean, saveInvStd, runningMean,
                                       runningVar);
  const int64_t count = s.n * s.hw();
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    double mean, var;
    detail::channelMoments(s, x, c, mean, var);
    detail::normalizeChannel<false>(s, x, c, mean, var, double(count), scale,
                                    shift, eps, momentum, y, saveMean,
                                    saveInvStd, runningMean, runningVar);
  }
}

template <typename T>
void batchNormForwardEval(const ActShape &s, const T *x, const T *scale,
                          const T *shift, const T *runningMean,
                          const T *runningVar, T eps, T *y) {
  const int64_t hw = s.hw();
#pragma omp parallel for collapse(2) schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c) {
      const double invStd = 1.0 / std::sqrt((double)runningVar[c] + eps);
      const T mean = runningMean[c];
      const T a = static_cast<T>((scale ? scale[c] : 1.0) * invStd);
      const T b = shift ? shift[c] : T(0);
      const int64_t at = (n * s.c + c) * hw;
      detail::channelAffine(detail::ChannelRows{1, hw, hw}, x + at, mean, a, b,
                            static_cast<const T *>(nullptr), false, y + at);
    }
}

template <typename T>
void batchNormBackward(const ActShape &s, const T *x, const T *dy,
                       const T *scale, const T *saveMean,
                       const T *saveInvStd, T *dx, T *dscale, T *dshift) {
  if (gReduce)
    return batchNormBackwardSynced(s, x, dy, scale, saveMean, saveInvStd, dx,
                                   dscale, dshift);
  const int64_t hw = s.hw(), count = s.n * hw;
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t c = 0; c < s.c; ++c) {
    const double mean = saveMean[c], invStd = saveInvStd[c];
    double sumDy = 0, sumDyXmu = 0;
    detail::channelGradSums(detail::ChannelRows{s.n, hw, s.c * hw}, x + c * hw,
                            dy + c * hw, detail::ReluMask<T>{}, mean, sumDy,
                            sumDyXmu, static_cast<T *>(nullptr));
    // dx = scale*invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
    //    = k * (dy - meanDy - (x - mean) * proj).
    const double k = (scale ? scale[c] : 1.0) * invStd;
    const T kT = static_cast<T>(k), meanT = static_cast<T>(mean);
    const T meanDy = static_cast<T>(sumDy / count);
    const T proj = static_cast<T>(sumDyXmu / count * invStd * invStd);
    detail::channelGradInput(detail::ChannelRows{s.n, hw, s.c * hw},
                             x + c * hw, dy + c * hw, detail::ReluMask<T>{},
                             meanT, meanDy, proj, kT, dx + c * hw);
    if (dscale)
      dscale[c] = static_cast<T>(sumDyXmu * invStd);
    if (dshift)
      dshift[c] = static_cast<T>(sumDy);
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void batchNormForwardTrain<T>(const ActShape &, const T *,         \
                                         const T *, const T *, T, T, T *, T *, \
                                         T *, T *, T *);                       \
  template void batchNormForwardEval<T>(const ActShape &, const T *,          \
                                        const T *, const T *, const T *,       \
                                        const T *, T, T *);                    \
  template void batchNormBackward<T>(const ActShape &, const T *, const T *,  \
                                     const T *, const T *, const T *, T *,     \
                                     T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
