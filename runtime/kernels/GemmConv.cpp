//===- GemmConv.cpp - convolution as im2col + BLAS GEMM --------------------===//
//
// One GEMM per (sample, group): y_g[og, P] = w_g[og, K] * col[K, P] with
// K = cg*kh*kw and P = oh*ow. 1x1 stride-1 unpadded convs use x itself as
// the column matrix. Work items are (sample, group) pairs split statically
// across OpenMP threads; BLAS runs single-threaded inside them.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/Blas.h"
#include "runtime/kernels/ConvImpl.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/Scratch.h"
#include "runtime/kernels/Threads.h"

#include <algorithm>
#include <omp.h>
#include <vector>

namespace cardinal::rt::detail {

namespace {

bool isPointwise(const ConvShape &s) {
  return s.kh == 1 && s.kw == 1 && s.strideH == 1 && s.strideW == 1 &&
         s.padH == 0 && s.padW == 0;
}

/// col[(c*kh + i)*kw + j][oh*ow] = x[c][oh*sh - ph + i*dh][ow*sw - pw + j*dw]
/// for the cg channels starting at x (zero where the window hits padding).
template <typename T> void im2col(const ConvShape &s, const T *x, T *col) {
  const int64_t cg = s.cPerGroup(), P = s.oh * s.ow;
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        T *row = col + ((c * s.kh + i) * s.kw + j) * P;
        const int64_t offW = j * s.dilationW - s.padW;
        const OutRange r = validOutputs(offW, s.strideW, s.w, s.ow);
        for (int64_t oh = 0; oh < s.oh; ++oh) {
          T *out = row + oh * s.ow;
          const int64_t ih = oh * s.strideH - s.padH + i * s.dilationH;
          if (ih < 0 || ih >= s.h) {
            std::fill(out, out + s.ow, T(0));
            continue;
          }
          const T *in = x + (c * s.h + ih) * s.w;
          std::fill(out, out + r.lo, T(0));
          for (int64_t ow = r.lo; ow < r.hi; ++ow)
            out[ow] = in[ow * s.strideW + offW];
          std::fill(out + r.hi, out + s.ow, T(0));
        }
      }
}

/// The adjoint of im2col: dx[...] += col[...] (dx holds cg channels).
template <typename T> void col2im(const ConvShape &s, const T *col, T *dx) {
  const int64_t cg = s.cPerGroup(), P = s.oh * s.ow;
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        const T *row = col + ((c * s.kh + i) * s.kw + j) * P;
        const int64_t offW = j * s.dilationW - s.padW;
        const OutRange r = validOutputs(offW, s.strideW, s.w, s.ow);
        for (int64_t oh = 0; oh < s.oh; ++oh) {
          const int64_t ih = oh * s.strideH - s.padH + i * s.dilationH;
          if (ih < 0 || ih >= s.h)
            continue;
          const T *in = row + oh * s.ow;
          T *out = dx + (c * s.h + ih) * s.w;
          for (int64_t ow = r.lo; ow < r.hi; ++ow)
            out[ow * s.strideW + offW] += in[ow];
        }
      }
}

} // namespace

template <typename T>
void convForwardGemm(const ConvShape &s, const T *x, const T *w, const T *b,
                     T *y) {
  ensureSequentialBlas();
  const int64_t G = s.groups, cg = s.cPerGroup(), og = s.oPerGroup();
  const int64_t K = cg * s.kh * s.kw, P = s.oh * s.ow, HW = s.h * s.w;
  const bool pointwise = isPointwise(s);
#pragma omp parallel for collapse(2) schedule(static) if (convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >= kMinParallelMacs)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t g = 0; g < G; ++g) {
      const T *xg = x + (n * s.c + g * cg) * HW;
      const T *col = xg;
      if (!pointwise) {
        T *buf = scratch<T>(K * P);
        im2col(s, xg, buf);
        col = buf;
      }
      T *yg = y + (n * s.o + g * og) * P;
      gemm(false, false, og, P, K, T(1), w + g * og * K, K, col, P, T(0), yg,
           P);
      if (b)
        for (int64_t o = 0; o < og; ++o) {
          const T bias = b[g * og + o];
          T *row = yg + o * P;
          for (int64_t i = 0; i < P; ++i)
            row[i] += bias;
        }
    }
}

template <typename T>
void convBackwardDataGemm(const ConvShape &s, const T *dy, const T *w, T *dx,
                          bool accumulate) {
  ensureSequentialBlas();
  const int64_t G = s.groups, cg = s.cPerGroup(), og = s.oPerGroup();
  const int64_t K = cg * s.kh * s.kw, P = s.oh * s.ow, HW = s.h * s.w;
  const bool pointwise = isPointwise(s);
#pragma omp parallel for collapse(2) schedule(static) if (convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >= kMinParallelMacs)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t g = 0; g < G; ++g) {
      const T *dyg = dy + (n * s.o + g * og) * P;
      const T *wg = w + g * og * K;
      T *dxg = dx + (n * s.c + g * cg) * HW;
      if (pointwise) {
        gemm(true, false, K, P, og, T(1), wg, K, dyg, P,
             accumulate ? T(1) : T(0), dxg, HW);
        continue;
      }
      T *dcol = scratch<T>(K * P);
      gemm(true, false, K, P, og, T(1), wg, K, dyg, P, T(0), dcol, P);
      if (!accumulate)
        std::fill(dxg, dxg + cg * HW, T(0));
      col2im(s, dcol, dxg);
    }
}

template <typename T>
void convBackwardWeightGemm(const ConvShape &s, const T *x, const T *dy,
                            T *dw) {
  ensureSequentialBlas();
  const int64_t G = s.groups, cg = s.cPerGroup(), og = s.oPerGroup();
  const int64_t K = cg * s.kh * s.kw, P = s.oh * s.ow, HW = s.h * s.w;
  const int64_t wsize = s.weightSize();
  const bool pointwise = isPointwise(s);
  // Each thread sums its (sample, group) items into a private dw, then the
  // partials are added in thread order: deterministic for a thread count.
  std::vector<T *> parts(omp_get_max_threads(), nullptr);
#pragma omp parallel if (convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >= kMinParallelMacs)
  {
    const int nt = omp_get_num_threads();
    T *acc = scratch<T>(wsize, 1);
    std::fill(acc, acc + wsize, T(0));
    parts[omp_get_thread_num()] = acc;
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t g = 0; g < G; ++g) {
        const T *xg = x + (n * s.c + g * cg) * HW;
        const T *col = xg;
        if (!pointwise) {
          T *buf = scratch<T>(K * P);
          im2col(s, xg, buf);
          col = buf;
        }
        gemm(false, true, og, K, P, T(1), dy + (n * s.o + g * og) * P, P, col,
             P, T(1), acc + g * og * K, K);
      }
    // The implicit barrier above publishes every partial.
#pragma omp for schedule(static)
    for (int64_t i = 0; i < wsize; ++i) {
      T v = parts[0][i];
      for (int t = 1; t < nt; ++t)
        v += parts[t][i];
      dw[i] = v;
    }
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void convForwardGemm<T>(const ConvShape &, const T *, const T *,   \
                                   const T *, T *);                            \
  template void convBackwardDataGemm<T>(const ConvShape &, const T *,         \
                                        const T *, T *, bool);                 \
  template void convBackwardWeightGemm<T>(const ConvShape &, const T *,       \
                                          const T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt::detail
