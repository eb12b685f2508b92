//===- ConvMath.h - one element of a grouped conv and of its gradients -----===//
//
// Direct definitions over runtime shapes (any groups, kernel, stride,
// padding, dilation), NCHW activations and OIHW weights, fp32 accumulation.
// The generic grouped kernels evaluate one element per thread (or one
// weight per reduction); the shape-specialized 3x3 kernels
// (GroupedConv.cuh) are tested against these. ConvShape's member functions
// are host-only, so only its fields are read here.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_CONVMATH_H
#define CARDINAL_RUNTIME_CUDA_MATH_CONVMATH_H

#include "runtime/cuda/math/Scalar.h"
#include "runtime/kernels/Shapes.h"

namespace cardinal::rt::cuda {

/// y[n, o, oh, ow] before any bias: sum over the input channels of o's
/// group and the kernel window (taps outside the input are padding).
template <typename T>
CARDINAL_HD float convOutputElement(const ConvShape &s, const T *x,
                                    const T *w, int64_t n, int64_t o,
                                    int64_t oh, int64_t ow) {
  const int64_t cg = s.c / s.groups, og = s.o / s.groups, g = o / og;
  float acc = 0.f;
  for (int64_t ci = 0; ci < cg; ++ci) {
    const T *plane = x + (n * s.c + g * cg + ci) * s.h * s.w;
    const T *wk = w + (o * cg + ci) * s.kh * s.kw;
    for (int64_t kh = 0; kh < s.kh; ++kh) {
      const int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
      if (ih < 0 || ih >= s.h)
        continue;
      for (int64_t kw = 0; kw < s.kw; ++kw) {
        const int64_t iw = ow * s.strideW - s.padW + kw * s.dilationW;
        if (iw < 0 || iw >= s.w)
          continue;
        acc += load(plane[ih * s.w + iw]) * load(wk[kh * s.kw + kw]);
      }
    }
  }
  return acc;
}

/// dx[n, c, ih, iw]: every (output channel of c's group, tap) whose window
/// position lands on (ih, iw) contributes dy * w.
template <typename T>
CARDINAL_HD float convInputGradElement(const ConvShape &s, const T *dy,
                                       const T *w, int64_t n, int64_t c,
                                       int64_t ih, int64_t iw) {
  const int64_t cg = s.c / s.groups, og = s.o / s.groups;
  const int64_t g = c / cg, ci = c % cg;
  float acc = 0.f;
  for (int64_t oo = 0; oo < og; ++oo) {
    const int64_t o = g * og + oo;
    const T *plane = dy + (n * s.o + o) * s.oh * s.ow;
    const T *wk = w + (o * cg + ci) * s.kh * s.kw;
    for (int64_t kh = 0; kh < s.kh; ++kh) {
      const int64_t th = ih + s.padH - kh * s.dilationH;
      if (th < 0 || th % s.strideH)
        continue;
      const int64_t oh = th / s.strideH;
      if (oh >= s.oh)
        continue;
      for (int64_t kw = 0; kw < s.kw; ++kw) {
        const int64_t tw = iw + s.padW - kw * s.dilationW;
        if (tw < 0 || tw % s.strideW)
          continue;
        const int64_t ow = tw / s.strideW;
        if (ow >= s.ow)
          continue;
        acc += load(plane[oh * s.ow + ow]) * load(wk[kh * s.kw + kw]);
      }
    }
  }
  return acc;
}

/// The part of dw[o, ci, kh, kw] from samples [n0, n1): sum over those
/// samples and all output positions of dy[n, o, oh, ow] * x at the tap.
template <typename T>
CARDINAL_HD float convWeightGradPartial(const ConvShape &s, const T *x,
                                        const T *dy, int64_t o, int64_t ci,
                                        int64_t kh, int64_t kw, int64_t n0,
                                        int64_t n1) {
  const int64_t cg = s.c / s.groups, og = s.o / s.groups, g = o / og;
  float acc = 0.f;
  for (int64_t n = n0; n < n1; ++n) {
    const T *xp = x + (n * s.c + g * cg + ci) * s.h * s.w;
    const T *gp = dy + (n * s.o + o) * s.oh * s.ow;
    for (int64_t oh = 0; oh < s.oh; ++oh) {
      const int64_t ih = oh * s.strideH - s.padH + kh * s.dilationH;
      if (ih < 0 || ih >= s.h)
        continue;
      for (int64_t ow = 0; ow < s.ow; ++ow) {
        const int64_t iw = ow * s.strideW - s.padW + kw * s.dilationW;
        if (iw < 0 || iw >= s.w)
          continue;
        acc += load(gp[oh * s.ow + ow]) * load(xp[ih * s.w + iw]);
      }
    }
  }
  return acc;
}

/// dw[o, ci, kh, kw] over the whole batch.
template <typename T>
CARDINAL_HD float convWeightGradElement(const ConvShape &s, const T *x,
                                        const T *dy, int64_t o, int64_t ci,
                                        int64_t kh, int64_t kw) {
  return convWeightGradPartial(s, x, dy, o, ci, kh, kw, 0, s.n);
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_CONVMATH_H
