//===- FusedConv.cpp - conv + eval BN + residual + ReLU ----------------------===//
#include "runtime/kernels/FusedConv.h"

#include <cmath>
#include <vector>

namespace cardinal::rt {

template <typename T>
void foldBatchNorm(const ConvShape &s, const T *w, const T *scale,
                   const T *shift, const T *runningMean, const T *runningVar,
                   T eps, T *wOut, T *biasOut) {
  const int64_t per = s.cPerGroup() * s.kh * s.kw;
  for (int64_t o = 0; o < s.o; ++o) {
    const double a = (double)scale[o] / std::sqrt((double)runningVar[o] + eps);
    const T ta = static_cast<T>(a);
    const T *src = w + o * per;
    T *dst = wOut + o * per;
    for (int64_t i = 0; i < per; ++i)
      dst[i] = src[i] * ta;
    biasOut[o] = static_cast<T>((double)shift[o] - (double)runningMean[o] * a);
  }
}

template <typename T>
void conv2dBnActForward(const ConvShape &s, const T *x, const T *w,
                        const T *scale, const T *shift, const T *runningMean,
                        const T *runningVar, T eps, const T *residual,
                        bool relu, T *y, ConvAlgo algo) {
  // Not detail::scratch: conv2dForward uses those slots on this thread.
  thread_local std::vector<T> folded;
  folded.resize(s.weightSize() + s.o);
  T *wf = folded.data(), *bf = wf + s.weightSize();
  foldBatchNorm(s, w, scale, shift, runningMean, runningVar, eps, wf, bf);
  conv2dBiasActForward(s, x, wf, bf, residual, relu, y, algo);
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void foldBatchNorm<T>(const ConvShape &, const T *, const T *,     \
                                 const T *, const T *, const T *, T, T *,      \
                                 T *);                                         \
  template void conv2dBnActForward<T>(                                         \
      const ConvShape &, const T *, const T *, const T *, const T *,           \
      const T *, const T *, T, const T *, bool, T *, ConvAlgo);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
