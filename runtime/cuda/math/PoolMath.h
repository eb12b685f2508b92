//===- PoolMath.h - max-pool windows and their gradient, global average ---===//
//
// As runtime/kernels/Pool.cpp: padding never wins, the first maximum in
// window order is taken, the first NaN wins and stays. The backward is a
// gather: an input element sums dy over the windows whose winner it is,
// visiting them in (oh, ow) order, so no atomics are needed.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_POOLMATH_H
#define CARDINAL_RUNTIME_CUDA_MATH_POOLMATH_H

#include "runtime/cuda/math/Scalar.h"
#include "runtime/kernels/Shapes.h"

namespace cardinal::rt::cuda {

/// Winner of window (oh, ow) as ih * w + iw (-1 if only padding); its value
/// in *best.
template <typename T>
CARDINAL_HD int32_t maxPoolWindow(const PoolShape &s, const T *plane,
                                  int64_t oh, int64_t ow, float *best) {
  float m = -INFINITY;
  int32_t idx = -1;
  const int64_t h0 = oh * s.strideH - s.padH, w0 = ow * s.strideW - s.padW;
  const int64_t hLo = maxI(h0, 0), hHi = minI(h0 + s.kh, s.h);
  const int64_t wLo = maxI(w0, 0), wHi = minI(w0 + s.kw, s.w);
  for (int64_t ih = hLo; ih < hHi; ++ih)
    for (int64_t iw = wLo; iw < wHi; ++iw) {
      const float v = load(plane[ih * s.w + iw]);
      const bool vNan = v != v, mNan = m != m;
      if (idx < 0 || v > m || (vNan && !mNan)) {
        m = v;
        idx = static_cast<int32_t>(ih * s.w + iw);
      }
    }
  *best = m;
  return idx;
}

/// Sum of dy over the windows that (ih, iw) wins, in window order.
template <typename T>
CARDINAL_HD float maxPoolInputGrad(const PoolShape &s, const T *plane,
                                   const T *dyPlane, int64_t ih, int64_t iw) {
  // Windows oh with oh*stride - pad <= ih < oh*stride - pad + k.
  const int64_t ohLo = maxI(0, floorDiv(ih + s.padH - s.kh, s.strideH) + 1);
  const int64_t ohHi = minI(s.oh - 1, floorDiv(ih + s.padH, s.strideH));
  const int64_t owLo = maxI(0, floorDiv(iw + s.padW - s.kw, s.strideW) + 1);
  const int64_t owHi = minI(s.ow - 1, floorDiv(iw + s.padW, s.strideW));
  const int32_t me = static_cast<int32_t>(ih * s.w + iw);
  float acc = 0.f;
  for (int64_t oh = ohLo; oh <= ohHi; ++oh)
    for (int64_t ow = owLo; ow <= owHi; ++ow) {
      float best;
      if (maxPoolWindow(s, plane, oh, ow, &best) == me)
        acc += load(dyPlane[oh * s.ow + ow]);
    }
  return acc;
}

/// Mean of one plane of hw elements.
template <typename T>
CARDINAL_HD float planeMean(const T *plane, int64_t hw) {
  float sum = 0.f;
  for (int64_t i = 0; i < hw; ++i)
    sum += load(plane[i]);
  return sum / static_cast<float>(hw);
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_POOLMATH_H
