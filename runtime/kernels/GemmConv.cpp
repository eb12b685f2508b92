//===- GemmConv.cpp - convolution as im2col + BLAS GEMM --------------------===//
//
// One GEMM per (sample, group): y_g[og, P] = w_g[og, K] * col[K, P] with
// K = cg*kh*kw and P = oh*ow. 1x1 stride-1 unpadded convs use x itself as
// the column matrix. Backward work items are (sample, group) pairs split
// statically across OpenMP threads; BLAS runs single-threaded inside them.
// Forward splits further, into column tiles of y_g (im2col'ed one tile at a
// time, so the panel stays in cache) and, at small spatial sizes, row tiles,
// and applies the bias/residual/ReLU epilogue to each tile right after its
// GEMM.
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

/// Forward work items: (sample block, group, column tile, row tile) of the
/// output matrices y_g[og, P]. Tiles are chosen from the shape alone (never
/// from the thread count), so results do not depend on the thread count.
/// Small spatial sizes (7x7: P = 49, which wastes a quarter of the GEMM
/// kernel's 16-wide columns) put several samples side by side in one
/// column panel (dense convs only: per-group GEMMs of grouped convs are too
/// small to gain); with too few items (batch 1) rows are split too, so every
/// thread gets work.
// Tile sizes (measured on ResNeXt-50's layers, 1 thread, CPU time: smaller
// tiles repack the weights more often and lost ~5% on 28x28 1x1 convs;
// these tie the untiled GEMM there and win 25% on the im2col'ed stem).
constexpr int64_t kColumnTile = 1024, kTileElements = 512 * 1024;
constexpr int64_t kMinItems = 8;
struct ForwardTiles {
  int64_t samples, blocks; // samples per panel, sample blocks
  int64_t pTile, pTiles, oTile, oTiles;
  int64_t items() const { return blocks * pTiles * oTiles; } // per group
};
ForwardTiles forwardTiles(const ConvShape &s) {
  const int64_t P = s.oh * s.ow, og = s.oPerGroup();
  ForwardTiles t;
  // About kColumnTile columns (equal tiles, whole vectors) keep the
  // [K, columns] panel and the output tile in cache for the epilogue.
  t.samples = 1;
  if (P < kColumnTile / 2 && s.n > 1 && s.groups == 1) {
    const int64_t blocks = (s.n + kColumnTile / P - 1) / (kColumnTile / P);
    t.samples = (s.n + blocks - 1) / blocks;
  }
  t.blocks = (s.n + t.samples - 1) / t.samples;
  t.pTiles = std::max<int64_t>(1, (P + kColumnTile / 2) / kColumnTile);
  t.pTile = std::min(P, ((P + t.pTiles - 1) / t.pTiles + 15) / 16 * 16);
  t.pTiles = (P + t.pTile - 1) / t.pTile;
  // Rows: at most kTileElements per output tile, and at least kMinItems
  // items in all while row tiles keep 32 or more rows.
  const int64_t columns = t.samples * t.pTile;
  const int64_t items = t.blocks * s.groups * t.pTiles;
  t.oTiles = (og * columns + kTileElements - 1) / kTileElements;
  if (items * t.oTiles < kMinItems)
    t.oTiles = std::max(t.oTiles, std::min((kMinItems + items - 1) / items,
                                           og / 32));
  t.oTiles = std::max<int64_t>(1, t.oTiles);
  t.oTile = std::min(og, ((og + t.oTiles - 1) / t.oTiles + 15) / 16 * 16);
  t.oTiles = (og + t.oTile - 1) / t.oTile;
  return t;
}

/// Columns [p0, p0 + pw) of im2col's matrix, rows ld apart.
template <typename T>
void im2colColumns(const ConvShape &s, const T *x, int64_t p0, int64_t pw,
                   T *col, int64_t ld) {
  const int64_t cg = s.cPerGroup();
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        T *row = col + ((c * s.kh + i) * s.kw + j) * ld;
        const int64_t offW = j * s.dilationW - s.padW;
        const OutRange r = validOutputs(offW, s.strideW, s.w, s.ow);
        for (int64_t p = p0; p < p0 + pw;) {
          const int64_t oh = p / s.ow, ow0 = p % s.ow;
          const int64_t ow1 = std::min(s.ow, ow0 + (p0 + pw - p));
          T *out = row + (p - p0) - ow0;
          const int64_t ih = oh * s.strideH - s.padH + i * s.dilationH;
          if (ih < 0 || ih >= s.h) {
            std::fill(out + ow0, out + ow1, T(0));
          } else {
            const T *in = x + (c * s.h + ih) * s.w;
            const int64_t lo = std::clamp(r.lo, ow0, ow1);
            const int64_t hi = std::clamp(r.hi, lo, ow1);
            std::fill(out + ow0, out + lo, T(0));
            for (int64_t ow = lo; ow < hi; ++ow)
              out[ow] = in[ow * s.strideW + offW];
            std::fill(out + hi, out + ow1, T(0));
          }
          p += ow1 - ow0;
        }
      }
}

} // namespace

template <typename T>
void convForwardGemm(const ConvShape &s, const T *x, const T *w,
                     const ConvEpilogue<T> &e, T *y) {
  ensureSequentialBlas();
  const int64_t G = s.groups, cg = s.cPerGroup(), og = s.oPerGroup();
  const int64_t K = cg * s.kh * s.kw, P = s.oh * s.ow, HW = s.h * s.w;
  const bool pointwise = isPointwise(s);
  const ForwardTiles t = forwardTiles(s);
  const int64_t items = G * t.items();
#pragma omp parallel if (convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >= kMinParallelMacs)
  {
    // The panel is x itself for one sample of a pointwise conv; otherwise
    // it is built in buf, and reused while consecutive items share it.
    const bool direct = pointwise && t.samples == 1;
    const int64_t ldPanel = t.samples * t.pTile;
    T *buf = direct ? nullptr : scratch<T>(K * ldPanel, 0);
    T *out = t.samples > 1 ? scratch<T>(t.oTile * ldPanel, 1) : nullptr;
    int64_t packed = -1;
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t ot = item % t.oTiles, panel = item / t.oTiles;
      const int64_t pt = panel % t.pTiles, bg = panel / t.pTiles;
      const int64_t g = bg % G, n0 = bg / G * t.samples;
      const int64_t ns = std::min(t.samples, s.n - n0);
      const int64_t p0 = pt * t.pTile, pw = std::min(t.pTile, P - p0);
      const int64_t o0 = ot * t.oTile, ow = std::min(t.oTile, og - o0);
      const int64_t cols = ns * pw; // ns == 1 or pw == P
      const T *col = x + (n0 * s.c + g * cg) * HW + p0;
      int64_t ldb = P;
      if (!direct) {
        if (packed != panel)
          for (int64_t j = 0; j < ns; ++j) {
            const T *xg = x + ((n0 + j) * s.c + g * cg) * HW;
            if (pointwise)
              for (int64_t k = 0; k < K; ++k)
                std::copy(xg + k * HW, xg + k * HW + P, buf + k * cols + j * P);
            else
              im2colColumns(s, xg, p0, pw, buf + j * pw, cols);
          }
        packed = panel;
        col = buf, ldb = cols;
      }
      const int64_t oc = g * og + o0; // first output channel of the tile
      // One sample: the GEMM writes y; several: a packed tile that the
      // epilogue scatters into each sample's y.
      T *c = out ? out : y + (n0 * s.o + oc) * P + p0;
      const int64_t ldc = out ? cols : P;
      gemm(false, false, ow, cols, K, T(1), w + oc * K, K, col, ldb, T(0), c,
           ldc);
      // The epilogue, while the tile is still in cache.
      for (int64_t j = 0; j < ns; ++j) {
        const int64_t first = ((n0 + j) * s.o + oc) * P + p0;
        const T *rt = e.residual ? e.residual + first : nullptr;
        for (int64_t o = 0; o < ow; ++o)
          applyEpilogue(c + o * ldc + j * pw, y + first + o * P,
                        rt ? rt + o * P : nullptr,
                        e.bias ? e.bias[oc + o] : T(0), e.relu, pw);
      }
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
                                   const ConvEpilogue<T> &, T *);              \
  template void convBackwardDataGemm<T>(const ConvShape &, const T *,         \
                                        const T *, T *, bool);                 \
  template void convBackwardWeightGemm<T>(const ConvShape &, const T *,       \
                                          const T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt::detail
