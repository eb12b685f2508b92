//===- ConvImpl.h - the two convolution implementations (internal) ---------===//
//
// Conv2d.cpp dispatches to these; GemmConv.cpp and GroupedConv.cpp define
// them. Shared index helpers live here too.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_CONVIMPL_H
#define CARDINAL_RUNTIME_KERNELS_CONVIMPL_H

#include "runtime/kernels/Shapes.h"

#include <algorithm>

namespace cardinal::rt::detail {

/// Output positions [lo, hi) whose input index o*stride + off lies in
/// [0, in), for an output axis of extent out.
struct OutRange {
  int64_t lo, hi;
};
inline OutRange validOutputs(int64_t off, int64_t stride, int64_t in,
                             int64_t out) {
  int64_t lo = off < 0 ? (-off + stride - 1) / stride : 0;
  int64_t hi = in - off <= 0 ? 0 : (in - off + stride - 1) / stride;
  lo = std::min(lo, out);
  hi = std::max(lo, std::min(hi, out));
  return {lo, hi};
}

/// What a forward conv applies to each output tile right after computing it:
/// y = maybe_relu(y + bias[o] + residual). Null pointers: no term.
template <typename T> struct ConvEpilogue {
  const T *bias = nullptr;
  const T *residual = nullptr; // y's shape; never aliases y
  bool relu = false;
};

/// The epilogue on n contiguous outputs of one channel: y = f(src + bias +
/// r) (r: the matching residual, or null; src may be y).
template <typename T>
inline void applyEpilogue(const T *src, T *y, const T *r, T bias, bool relu,
                          int64_t n) {
  if (r && relu) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const T v = src[i] + bias + r[i];
      y[i] = v > T(0) ? v : T(0);
    }
  } else if (r) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
      y[i] = src[i] + bias + r[i];
  } else if (relu) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const T v = src[i] + bias;
      y[i] = v > T(0) ? v : T(0);
    }
  } else if (bias != T(0) || src != y) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
      y[i] = src[i] + bias;
  }
}

template <typename T>
void convForwardGemm(const ConvShape &s, const T *x, const T *w,
                     const ConvEpilogue<T> &e, T *y);
template <typename T>
void convBackwardDataGemm(const ConvShape &s, const T *dy, const T *w, T *dx,
                          bool accumulate);
template <typename T>
void convBackwardWeightGemm(const ConvShape &s, const T *x, const T *dy,
                            T *dw);

template <typename T>
void convForwardDirect(const ConvShape &s, const T *x, const T *w,
                       const ConvEpilogue<T> &e, T *y);
template <typename T>
void convBackwardDataDirect(const ConvShape &s, const T *dy, const T *w, T *dx,
                            bool accumulate);
template <typename T>
void convBackwardWeightDirect(const ConvShape &s, const T *x, const T *dy,
                              T *dw);

/// db[o] = sum of dy[:, o, :, :] (shared by both paths).
template <typename T>
void convBackwardBias(const ConvShape &s, const T *dy, T *db);

} // namespace cardinal::rt::detail

#endif // CARDINAL_RUNTIME_KERNELS_CONVIMPL_H
