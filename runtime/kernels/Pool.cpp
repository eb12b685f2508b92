//===- Pool.cpp -----------------------------------------------------------===//

#include "runtime/kernels/Pool.h"
#include "runtime/kernels/Parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cardinal::rt {

namespace {

/// The winning plane index of window (oh, ow), or -1; its value in *best.
template <typename T>
int32_t windowArgmax(const PoolShape &s, const T *plane, int64_t oh,
                     int64_t ow, T *best) {
  T m = -std::numeric_limits<T>::infinity();
  int32_t idx = -1;
  const int64_t h0 = oh * s.strideH - s.padH, w0 = ow * s.strideW - s.padW;
  const int64_t hLo = std::max<int64_t>(h0, 0),
                hHi = std::min<int64_t>(h0 + s.kh, s.h);
  const int64_t wLo = std::max<int64_t>(w0, 0),
                wHi = std::min<int64_t>(w0 + s.kw, s.w);
  for (int64_t ih = hLo; ih < hHi; ++ih)
    for (int64_t iw = wLo; iw < wHi; ++iw) {
      const T v = plane[ih * s.w + iw];
      // The first NaN wins and stays (v > NaN is false).
      if (idx < 0 || v > m || (std::isnan(v) && !std::isnan(m))) {
        m = v;
        idx = static_cast<int32_t>(ih * s.w + iw);
      }
    }
  *best = m;
  return idx;
}

} // namespace

/// The forward without argmax (inference): per window tap, a vector max
/// over a row of outputs instead of one branchy window scan per output.
/// Same result as windowArgmax: a NaN wins and stays; an all-padding
/// window gives -inf.
template <typename T>
void maxPoolPlaneRows(const PoolShape &s, const T *plane, T *out) {
  for (int64_t oh = 0; oh < s.oh; ++oh) {
    T *yr = out + oh * s.ow;
    std::fill(yr, yr + s.ow, -std::numeric_limits<T>::infinity());
    const int64_t h0 = oh * s.strideH - s.padH;
    for (int64_t ih = std::max<int64_t>(h0, 0);
         ih < std::min<int64_t>(h0 + s.kh, s.h); ++ih) {
      const T *xr = plane + ih * s.w;
      for (int64_t kw = 0; kw < s.kw; ++kw) {
        // Outputs whose tap iw = ow·stride - pad + kw lies in [0, w).
        const int64_t off = kw - s.padW;
        int64_t lo = off < 0 ? (-off + s.strideW - 1) / s.strideW : 0;
        int64_t hi = s.w - off <= 0 ? 0 : (s.w - off + s.strideW - 1) / s.strideW;
        lo = std::min(lo, s.ow);
        hi = std::max(lo, std::min(hi, s.ow));
        const int64_t st = s.strideW;
#pragma omp simd
        for (int64_t ow = lo; ow < hi; ++ow) {
          const T v = xr[ow * st + off], m = yr[ow];
          yr[ow] = (m == m) && (v > m || v != v) ? v : m;
        }
      }
    }
  }
}

template <typename T>
void maxPool2dForward(const PoolShape &s, const T *x, T *y, int32_t *argmax) {
  const int64_t inPlane = s.h * s.w, outPlane = s.oh * s.ow;
  if (!argmax) {
#pragma omp parallel for schedule(static) if (s.outputSize() * s.kh * s.kw >= detail::kMinParallelElements)
    for (int64_t p = 0; p < s.n * s.c; ++p)
      maxPoolPlaneRows(s, x + p * inPlane, y + p * outPlane);
    return;
  }
#pragma omp parallel for schedule(static) if (s.outputSize() * s.kh * s.kw >= detail::kMinParallelElements)
  for (int64_t p = 0; p < s.n * s.c; ++p)
    for (int64_t oh = 0; oh < s.oh; ++oh)
      for (int64_t ow = 0; ow < s.ow; ++ow) {
        T best;
        const int32_t idx = windowArgmax(s, x + p * inPlane, oh, ow, &best);
        const int64_t o = p * outPlane + oh * s.ow + ow;
        y[o] = best;
        if (argmax)
          argmax[o] = idx;
      }
}

template <typename T>
void maxPool2dBackward(const PoolShape &s, const int32_t *argmax, const T *dy,
                       T *dx, bool accumulate) {
  const int64_t inPlane = s.h * s.w, outPlane = s.oh * s.ow;
#pragma omp parallel for schedule(static) if (s.inputSize() >= detail::kMinParallelElements)
  for (int64_t p = 0; p < s.n * s.c; ++p) {
    T *plane = dx + p * inPlane;
    if (!accumulate)
      std::fill(plane, plane + inPlane, T(0));
    for (int64_t o = 0; o < outPlane; ++o) {
      const int32_t idx = argmax[p * outPlane + o];
      if (idx >= 0)
        plane[idx] += dy[p * outPlane + o];
    }
  }
}

template <typename T>
void maxPool2dBackwardRecompute(const PoolShape &s, const T *x, const T *dy,
                                T *dx, bool accumulate) {
  const int64_t inPlane = s.h * s.w, outPlane = s.oh * s.ow;
#pragma omp parallel for schedule(static) if (s.inputSize() >= detail::kMinParallelElements)
  for (int64_t p = 0; p < s.n * s.c; ++p) {
    T *plane = dx + p * inPlane;
    if (!accumulate)
      std::fill(plane, plane + inPlane, T(0));
    for (int64_t oh = 0; oh < s.oh; ++oh)
      for (int64_t ow = 0; ow < s.ow; ++ow) {
        T best;
        const int32_t idx = windowArgmax(s, x + p * inPlane, oh, ow, &best);
        if (idx >= 0)
          plane[idx] += dy[p * outPlane + oh * s.ow + ow];
      }
  }
}

template <typename T>
void globalAvgPoolForward(const ActShape &s, const T *x, T *y) {
  const int64_t hw = s.hw();
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t p = 0; p < s.n * s.c; ++p) {
    const T *plane = x + p * hw;
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < hw; ++i)
      sum += plane[i];
    y[p] = sum / static_cast<T>(hw);
  }
}

template <typename T>
void globalAvgPoolBackward(const ActShape &s, const T *dy, T *dx,
                           bool accumulate) {
  const int64_t hw = s.hw();
#pragma omp parallel for schedule(static) if (s.size() >= detail::kMinParallelElements)
  for (int64_t p = 0; p < s.n * s.c; ++p) {
    const T g = dy[p] / static_cast<T>(hw);
    T *plane = dx + p * hw;
    if (accumulate) {
#pragma omp simd
      for (int64_t i = 0; i < hw; ++i)
        plane[i] += g;
    } else {
      std::fill(plane, plane + hw, g);
    }
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void maxPool2dForward<T>(const PoolShape &, const T *, T *,        \
                                    int32_t *);                                \
  template void maxPool2dBackward<T>(const PoolShape &, const int32_t *,      \
                                     const T *, T *, bool);                    \
  template void maxPool2dBackwardRecompute<T>(const PoolShape &, const T *,   \
                                              const T *, T *, bool);           \
  template void globalAvgPoolForward<T>(const ActShape &, const T *, T *);    \
  template void globalAvgPoolBackward<T>(const ActShape &, const T *, T *,    \
                                         bool);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
