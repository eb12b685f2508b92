//===- GroupedConv.cpp - direct convolution for narrow groups --------------===//
//
// For grouped convs with a small group width d (ResNeXt 32x4d: d = 4..16) a
// per-group GEMM is [d x 9d] * [9d x P]: too thin for BLAS, and im2col
// writes and rereads 9x the input. Here each (sample, group) input is copied
// once into a zero-padded buffer whose rows are contiguous along the output
// width (strided convs split columns into stride phases), and a register-
// blocked loop keeps a tile of (up to 8 output channels) x (1-2 vectors of
// output pixels) in accumulators while it streams input vectors and
// broadcast weights; the forward epilogue (bias, residual, ReLU) is
// applied to those accumulators before they are stored. Backward-data is
// the same loop on the zero-upsampled, padded dy with flipped, transposed
// weights; backward-weight keeps (output channel, 9 taps) accumulators and
// reduces lanes once per sample.
//
// Measured on this project's 2-core AMD EPYC (Zen 4, AVX-512) VM, idle,
// ResNeXt 32x4d stage-1 grouped conv (C=32, d=4: 128->128 channels, 3x3,
// pad 1, 56x56, batch 8, float), direct and GEMM interleaved, median of 15,
// forward / backward-data / backward-weight in ms:
//   1 thread:  direct 4.8 / 4.9 / 5.3   per-group GEMM (OpenBLAS) 7.9 / 9.0 / 8.2
//   2 threads: direct 2.5 / 2.6 / 2.8   per-group GEMM            4.2 / 4.5 / 4.3
// (forward: 48 vs 29 GFLOP/s at 1 thread). At d = 8 (28x28) and d = 16
// (14x14) direct still wins (fwd 4.0 vs 5.9, 4.2 vs 4.7 ms); at d = 32
// (7x7) GEMM wins, hence kDirectConvMaxGroupWidth = 16.
//
// Work split: forward and backward-data by (sample, group), backward-weight
// by group (each group's dw summed by one thread in a fixed order), so for a
// given vector width all three give the same bits for any thread count.
//
//===----------------------------------------------------------------------===//

#include "runtime/kernels/ConvImpl.h"
#include "runtime/kernels/DirectConvIsa.h"
#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/Scratch.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#define CARDINAL_X86 1
#define CARDINAL_TARGET_AVX512                                                 \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define CARDINAL_TARGET_AVX2 __attribute__((target("avx2,fma")))
#endif
#define CARDINAL_INLINE [[gnu::always_inline]] inline

namespace cardinal::rt::detail {

//===----------------------------------------------------------------------===//
// Vector level.
//===----------------------------------------------------------------------===//

VectorIsa detectVectorIsa() {
#ifdef CARDINAL_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
    return VectorIsa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return VectorIsa::Avx2;
#endif
  return VectorIsa::Baseline;
}

static std::atomic<int> forcedIsa{-1};

VectorIsa directConvIsa() {
  int forced = forcedIsa.load(std::memory_order_relaxed);
  if (forced >= 0)
    return static_cast<VectorIsa>(forced);
  static const VectorIsa detected = detectVectorIsa();
  return detected;
}

VectorIsa forceDirectConvIsa(VectorIsa isa) {
  VectorIsa level = std::min(isa, detectVectorIsa());
  forcedIsa.store(static_cast<int>(level), std::memory_order_relaxed);
  return level;
}

namespace {

template <typename T> int64_t lanes(VectorIsa isa) {
  int bytes = isa == VectorIsa::Avx512 ? 64 : isa == VectorIsa::Avx2 ? 32 : 16;
  return bytes / static_cast<int64_t>(sizeof(T));
}

int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

//===----------------------------------------------------------------------===//
// Packing: a zero-padded, optionally upsampled and phase-split copy.
//===----------------------------------------------------------------------===//

/// dst is [c][rows][phases][width]; dst[c][r][ph][q] is element
/// (r - padTop, q*phases + ph - padLeft) of the source zero-upsampled by
/// (upH, upW) (source (a, b) lands at (a*upH, b*upW)); zero elsewhere.
struct Packed {
  int64_t rows = 0, phases = 1, width = 0;
  int64_t plane() const { return rows * phases * width; }
};

template <typename T>
void pack(const T *src, int64_t c, int64_t h, int64_t w, int64_t upH,
          int64_t upW, int64_t padTop, int64_t padLeft, const Packed &p,
          T *dst) {
  const int64_t rowLen = p.phases * p.width;
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t r = 0; r < p.rows; ++r) {
      T *drow = dst + (ci * p.rows + r) * rowLen;
      const int64_t a = r - padTop;
      if (a < 0 || a % upH != 0 || a / upH >= h) {
        std::fill(drow, drow + rowLen, T(0));
        continue;
      }
      const T *srow = src + (ci * h + a / upH) * w;
      if (p.phases == 1 && upW == 1) {
        // Columns [lo, hi) of the row come from the source.
        const int64_t lo = std::clamp<int64_t>(padLeft, 0, p.width);
        const int64_t hi = std::clamp<int64_t>(padLeft + w, lo, p.width);
        std::fill(drow, drow + lo, T(0));
        std::copy(srow + (lo - padLeft), srow + (hi - padLeft), drow + lo);
        std::fill(drow + hi, drow + p.width, T(0));
      } else if (p.phases == 1) {
        std::fill(drow, drow + p.width, T(0));
        for (int64_t b = 0; b < w; ++b) {
          const int64_t q = b * upW + padLeft;
          if (q >= 0 && q < p.width)
            drow[q] = srow[b];
        }
      } else { // strided forward: phases > 1, upW == 1
        for (int64_t ph = 0; ph < p.phases; ++ph) {
          T *out = drow + ph * p.width;
          const int64_t off = ph - padLeft;
          const OutRange r = validOutputs(off, p.phases, w, p.width);
          std::fill(out, out + r.lo, T(0));
          for (int64_t q = r.lo; q < r.hi; ++q)
            out[q] = srow[q * p.phases + off];
          std::fill(out + r.hi, out + p.width, T(0));
        }
      }
    }
}

//===----------------------------------------------------------------------===//
// The correlation loop (forward and backward-data).
//===----------------------------------------------------------------------===//

template <typename T, int Bytes> struct VecOf {
  typedef T type __attribute__((vector_size(Bytes)));
};

/// Stops the compiler from folding a vector load into each FMA that uses
/// it (it would reload the same, often line-splitting, vector per use).
template <typename V> CARDINAL_INLINE void keepInRegister(V &v) {
#ifdef CARDINAL_X86
  asm("" : "+v"(v));
#else
  (void)v;
#endif
}

/// out[co][oh][ow] (+)= bias[co] + sum over ci, taps t of
///   wt[co][ci][t] * in[ci*inPlane + y*rowStep + tapOff[t] + x],
/// then (forward only) + res[co][oh][ow] if res, and ReLU if relu, applied
/// to the accumulators before they are stored.
struct Corr {
  int64_t ci = 0, co = 0, oh = 0, ow = 0, taps = 0;
  int64_t inPlane = 0, rowStep = 0;
  const int64_t *tapOff = nullptr;
};

/// Output channels [o0, o0+OB) of row y, NB vectors of pixels at a time.
template <typename T, int Bytes, int OB, int NB, bool Res, bool Relu>
CARDINAL_INLINE void corrBlock(const Corr &a, const T *in, const T *wt,
                               const T *bias, bool accumulate, T *out,
                               const T *res, int64_t o0, int64_t y) {
  using vec = typename VecOf<T, Bytes>::type;
  constexpr int L = Bytes / sizeof(T), Tile = NB * L;
  const int64_t plane = a.oh * a.ow, wStride = a.ci * a.taps;
  for (int64_t q0 = 0; q0 < a.ow; q0 += Tile) {
    vec acc[OB][NB];
#pragma GCC unroll 8
    for (int o = 0; o < OB; ++o) {
      const T b0 = bias ? bias[o0 + o] : T(0);
#pragma GCC unroll 2
      for (int v = 0; v < NB; ++v)
        acc[o][v] = b0 + vec{};
    }
    for (int64_t ic = 0; ic < a.ci; ++ic) {
      const T *base = in + ic * a.inPlane + y * a.rowStep + q0;
      const T *wb = wt + (o0 * a.ci + ic) * a.taps;
      for (int64_t t = 0; t < a.taps; ++t) {
        const T *p = base + a.tapOff[t];
        vec xv[NB];
#pragma GCC unroll 2
        for (int v = 0; v < NB; ++v)
          std::memcpy(&xv[v], p + v * L, Bytes);
#pragma GCC unroll 8
        for (int o = 0; o < OB; ++o) {
          const T wv = wb[o * wStride + t];
#pragma GCC unroll 2
          for (int v = 0; v < NB; ++v)
            acc[o][v] += wv * xv[v];
        }
      }
    }
    const int64_t n = std::min<int64_t>(Tile, a.ow - q0);
    for (int o = 0; o < OB; ++o) {
      T *orow = out + (o0 + o) * plane + y * a.ow + q0;
      const T *rrow = Res ? res + (o0 + o) * plane + y * a.ow + q0 : nullptr;
      if (n == Tile) {
        for (int v = 0; v < NB; ++v) {
          vec r = acc[o][v];
          if (accumulate) {
            vec old;
            std::memcpy(&old, orow + v * L, Bytes);
            r += old;
          }
          if constexpr (Res) {
            vec add;
            std::memcpy(&add, rrow + v * L, Bytes);
            r += add;
          }
          if constexpr (Relu)
            r = r > vec{} ? r : vec{};
          std::memcpy(orow + v * L, &r, Bytes);
        }
      } else {
        T tmp[Tile];
        std::memcpy(tmp, &acc[o][0], sizeof tmp);
        for (int64_t k = 0; k < n; ++k) {
          T r = accumulate ? orow[k] + tmp[k] : tmp[k];
          if constexpr (Res)
            r += rrow[k];
          orow[k] = Relu && !(r > T(0)) ? T(0) : r;
        }
      }
    }
  }
}

template <typename T, int Bytes, bool Res, bool Relu>
CARDINAL_INLINE void corrRows(const Corr &a, const T *in, const T *wt,
                              const T *bias, bool accumulate, T *out,
                              const T *res) {
  constexpr int L = Bytes / sizeof(T);
  // Two vectors per tile when that adds no padding lanes, else one vector
  // and more channels, so either way about eight accumulators are live.
  const bool pairs = ((a.ow + L - 1) / L) % 2 == 0;
  for (int64_t y = 0; y < a.oh; ++y) {
    int64_t o0 = 0;
    if (pairs) {
      for (; o0 + 4 <= a.co; o0 += 4)
        corrBlock<T, Bytes, 4, 2, Res, Relu>(a, in, wt, bias, accumulate,
                                             out, res, o0, y);
      for (; o0 < a.co; ++o0)
        corrBlock<T, Bytes, 1, 2, Res, Relu>(a, in, wt, bias, accumulate,
                                             out, res, o0, y);
    } else {
      for (; o0 + 8 <= a.co; o0 += 8)
        corrBlock<T, Bytes, 8, 1, Res, Relu>(a, in, wt, bias, accumulate,
                                             out, res, o0, y);
      for (; o0 + 4 <= a.co; o0 += 4)
        corrBlock<T, Bytes, 4, 1, Res, Relu>(a, in, wt, bias, accumulate,
                                             out, res, o0, y);
      for (; o0 < a.co; ++o0)
        corrBlock<T, Bytes, 1, 1, Res, Relu>(a, in, wt, bias, accumulate,
                                             out, res, o0, y);
    }
  }
}

/// The epilogue as template flags, so the accumulation loop is the same
/// code with or without it.
template <typename T, int Bytes>
CARDINAL_INLINE void corrGroup(const Corr &a, const T *in, const T *wt,
                               const T *bias, bool accumulate, T *out,
                               const T *res, bool relu) {
  if (res && relu)
    corrRows<T, Bytes, true, true>(a, in, wt, bias, accumulate, out, res);
  else if (res)
    corrRows<T, Bytes, true, false>(a, in, wt, bias, accumulate, out, res);
  else if (relu)
    corrRows<T, Bytes, false, true>(a, in, wt, bias, accumulate, out, res);
  else
    corrRows<T, Bytes, false, false>(a, in, wt, bias, accumulate, out, res);
}

//===----------------------------------------------------------------------===//
// The weight-gradient loop.
//===----------------------------------------------------------------------===//

/// dw[co][ci][t] += sum over y < oh, x < owr of
///   dy[co*dyPlane + y*owr + x] * in[ci*inPlane + y*rowStep + tapOff[t] + x]
/// (dy zero-padded past ow), for channels [o0, o0+OB), taps [t0, t0+TAPS).
template <typename T, int Bytes, int OB, int TAPS>
CARDINAL_INLINE void wgradBlock(const Corr &a, const T *in, const T *dy,
                                int64_t dyPlane, int64_t owr, int64_t o0,
                                int64_t ic, int64_t t0, T *dw) {
  using vec = typename VecOf<T, Bytes>::type;
  constexpr int L = Bytes / sizeof(T);
  vec acc[OB][TAPS];
#pragma GCC unroll 2
  for (int o = 0; o < OB; ++o)
#pragma GCC unroll 9
    for (int t = 0; t < TAPS; ++t)
      acc[o][t] = vec{};
  int64_t off[TAPS];
  for (int t = 0; t < TAPS; ++t)
    off[t] = a.tapOff[t0 + t];
  for (int64_t y = 0; y < a.oh; ++y) {
    const T *xb = in + ic * a.inPlane + y * a.rowStep;
    const T *db = dy + o0 * dyPlane + y * owr;
    for (int64_t x0 = 0; x0 < owr; x0 += L) {
      vec d[OB];
#pragma GCC unroll 2
      for (int o = 0; o < OB; ++o)
        std::memcpy(&d[o], db + o * dyPlane + x0, Bytes);
#pragma GCC unroll 9
      for (int t = 0; t < TAPS; ++t) {
        vec xv;
        std::memcpy(&xv, xb + off[t] + x0, Bytes);
        keepInRegister(xv);
#pragma GCC unroll 2
        for (int o = 0; o < OB; ++o)
          acc[o][t] += d[o] * xv;
      }
    }
  }
  for (int o = 0; o < OB; ++o)
    for (int t = 0; t < TAPS; ++t) {
      T part[L];
      std::memcpy(part, &acc[o][t], Bytes);
      T sum = 0;
      for (int l = 0; l < L; ++l)
        sum += part[l];
      dw[((o0 + o) * a.ci + ic) * a.taps + t0 + t] += sum;
    }
}

template <typename T, int Bytes, int OB>
CARDINAL_INLINE void wgradChannels(const Corr &a, const T *in, const T *dy,
                                   int64_t dyPlane, int64_t owr, int64_t o0,
                                   T *dw) {
  for (int64_t ic = 0; ic < a.ci; ++ic) {
    int64_t t0 = 0;
    for (; t0 + 9 <= a.taps; t0 += 9)
      wgradBlock<T, Bytes, OB, 9>(a, in, dy, dyPlane, owr, o0, ic, t0, dw);
    for (; t0 + 3 <= a.taps; t0 += 3)
      wgradBlock<T, Bytes, OB, 3>(a, in, dy, dyPlane, owr, o0, ic, t0, dw);
    for (; t0 < a.taps; ++t0)
      wgradBlock<T, Bytes, OB, 1>(a, in, dy, dyPlane, owr, o0, ic, t0, dw);
  }
}

template <typename T, int Bytes>
CARDINAL_INLINE void wgradGroup(const Corr &a, const T *in, const T *dy,
                                int64_t dyPlane, int64_t owr, T *dw) {
  // 2 x 9 accumulators fit AVX-512's 32 registers; 1 x 9 fit 16.
  constexpr int OB = Bytes == 64 ? 2 : 1;
  int64_t o0 = 0;
  for (; o0 + OB <= a.co; o0 += OB)
    wgradChannels<T, Bytes, OB>(a, in, dy, dyPlane, owr, o0, dw);
  for (; o0 < a.co; ++o0)
    wgradChannels<T, Bytes, 1>(a, in, dy, dyPlane, owr, o0, dw);
}

//===----------------------------------------------------------------------===//
// One function per vector level; the always-inline bodies above are compiled
// with each caller's target.
//===----------------------------------------------------------------------===//

#ifdef CARDINAL_X86
template <typename T>
CARDINAL_TARGET_AVX512 void corrAvx512(const Corr &a, const T *in, const T *wt,
                                       const T *bias, bool acc, T *out,
                                       const T *res, bool relu) {
  corrGroup<T, 64>(a, in, wt, bias, acc, out, res, relu);
}
template <typename T>
CARDINAL_TARGET_AVX2 void corrAvx2(const Corr &a, const T *in, const T *wt,
                                   const T *bias, bool acc, T *out,
                                   const T *res, bool relu) {
  corrGroup<T, 32>(a, in, wt, bias, acc, out, res, relu);
}
template <typename T>
CARDINAL_TARGET_AVX512 void wgradAvx512(const Corr &a, const T *in,
                                        const T *dy, int64_t dyPlane,
                                        int64_t owr, T *dw) {
  wgradGroup<T, 64>(a, in, dy, dyPlane, owr, dw);
}
template <typename T>
CARDINAL_TARGET_AVX2 void wgradAvx2(const Corr &a, const T *in, const T *dy,
                                    int64_t dyPlane, int64_t owr, T *dw) {
  wgradGroup<T, 32>(a, in, dy, dyPlane, owr, dw);
}
#endif

template <typename T>
void corr(VectorIsa isa, const Corr &a, const T *in, const T *wt,
          const T *bias, bool acc, T *out, const T *res = nullptr,
          bool relu = false) {
#ifdef CARDINAL_X86
  if (isa == VectorIsa::Avx512)
    return corrAvx512(a, in, wt, bias, acc, out, res, relu);
  if (isa == VectorIsa::Avx2)
    return corrAvx2(a, in, wt, bias, acc, out, res, relu);
#endif
  corrGroup<T, 16>(a, in, wt, bias, acc, out, res, relu);
}

template <typename T>
void wgrad(VectorIsa isa, const Corr &a, const T *in, const T *dy,
           int64_t dyPlane, int64_t owr, T *dw) {
#ifdef CARDINAL_X86
  if (isa == VectorIsa::Avx512)
    return wgradAvx512(a, in, dy, dyPlane, owr, dw);
  if (isa == VectorIsa::Avx2)
    return wgradAvx2(a, in, dy, dyPlane, owr, dw);
#endif
  wgradGroup<T, 16>(a, in, dy, dyPlane, owr, dw);
}

/// The packed-input geometry shared by forward and backward-weight: x
/// padded by (padH, padW), columns split into strideW phases, rows and
/// width covering every vector the loops read.
struct InputPlan {
  Packed packed;
  std::vector<int64_t> tapOff;
  Corr corr;
};

/// Fills p (in place: p.corr points into p.tapOff).
void planInput(const ConvShape &s, int64_t laneCount, InputPlan &p) {
  p.packed.phases = s.strideW;
  p.packed.rows = (s.oh - 1) * s.strideH + (s.kh - 1) * s.dilationH + 1;
  p.packed.width = roundUp(s.ow, 2 * laneCount) +
                   (s.kw - 1) * s.dilationW / s.strideW;
  const int64_t rowLen = p.packed.phases * p.packed.width;
  for (int64_t i = 0; i < s.kh; ++i)
    for (int64_t j = 0; j < s.kw; ++j) {
      const int64_t col = j * s.dilationW;
      p.tapOff.push_back(i * s.dilationH * rowLen +
                         (col % s.strideW) * p.packed.width + col / s.strideW);
    }
  p.corr.ci = s.cPerGroup();
  p.corr.co = s.oPerGroup();
  p.corr.oh = s.oh;
  p.corr.ow = s.ow;
  p.corr.taps = s.kh * s.kw;
  p.corr.inPlane = p.packed.plane();
  p.corr.rowStep = s.strideH * rowLen;
  p.corr.tapOff = p.tapOff.data();
}

} // namespace

template <typename T>
void convForwardDirect(const ConvShape &s, const T *x, const T *w,
                       const ConvEpilogue<T> &e, T *y) {
  const VectorIsa isa = directConvIsa();
  InputPlan plan;
  planInput(s, lanes<T>(isa), plan);
  const int64_t G = s.groups, cg = s.cPerGroup(), og = s.oPerGroup();
  const int64_t taps = s.kh * s.kw, P = s.oh * s.ow, HW = s.h * s.w;
#pragma omp parallel for collapse(2) schedule(static) if (convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >= kMinParallelMacs)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t g = 0; g < G; ++g) {
      T *buf = scratch<T>(cg * plan.corr.inPlane);
      pack(x + (n * s.c + g * cg) * HW, cg, s.h, s.w, 1, 1, s.padH, s.padW,
           plan.packed, buf);
      const int64_t first = (n * s.o + g * og) * P; // the group's outputs
      corr(isa, plan.corr, buf, w + g * og * cg * taps,
           e.bias ? e.bias + g * og : nullptr, false, y + first,
           e.residual ? e.residual + first : nullptr, e.relu);
    }
}

template <typename T>
void convBackwardDataDirect(const ConvShape &s, const T *dy, const T *w, T *dx,
                            bool accumulate) {
  // dx = correlation of dy (zero-upsampled by the stride, padded by
  // dilation*(k-1) - pad) with the flipped, per-group-transposed weights.
  const VectorIsa isa = directConvIsa();
  const int64_t G = s.groups, cg = s.cPerGroup(), og = s.oPerGroup();
  const int64_t taps = s.kh * s.kw, P = s.oh * s.ow, HW = s.h * s.w;
  const int64_t padTop = (s.kh - 1) * s.dilationH - s.padH;
  const int64_t padLeft = (s.kw - 1) * s.dilationW - s.padW;
  Packed packed;
  packed.rows = s.h + (s.kh - 1) * s.dilationH;
  packed.width = roundUp(s.w, 2 * lanes<T>(isa)) + (s.kw - 1) * s.dilationW;
  std::vector<int64_t> tapOff;
  for (int64_t i = 0; i < s.kh; ++i)
    for (int64_t j = 0; j < s.kw; ++j)
      tapOff.push_back(i * s.dilationH * packed.width + j * s.dilationW);
  Corr a;
  a.ci = og, a.co = cg, a.oh = s.h, a.ow = s.w, a.taps = taps;
  a.inPlane = packed.plane(), a.rowStep = packed.width;
  a.tapOff = tapOff.data();
  // wf[g][ic][o][i][j] = w[g][o][ic][kh-1-i][kw-1-j].
  std::vector<T> wf(s.weightSize());
  for (int64_t g = 0; g < G; ++g)
    for (int64_t o = 0; o < og; ++o)
      for (int64_t ic = 0; ic < cg; ++ic)
        for (int64_t t = 0; t < taps; ++t)
          wf[((g * cg + ic) * og + o) * taps + t] =
              w[((g * og + o) * cg + ic) * taps + (taps - 1 - t)];
#pragma omp parallel for collapse(2) schedule(static) if (convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >= kMinParallelMacs)
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t g = 0; g < G; ++g) {
      T *buf = scratch<T>(og * a.inPlane);
      pack(dy + (n * s.o + g * og) * P, og, s.oh, s.ow, s.strideH, s.strideW,
           padTop, padLeft, packed, buf);
      corr(isa, a, buf, wf.data() + g * cg * og * taps, (const T *)nullptr,
           accumulate, dx + (n * s.c + g * cg) * HW);
    }
}

template <typename T>
void convBackwardWeightDirect(const ConvShape &s, const T *x, const T *dy,
                              T *dw) {
  const VectorIsa isa = directConvIsa();
  const int64_t laneCount = lanes<T>(isa);
  InputPlan plan;
  planInput(s, laneCount, plan);
  const int64_t G = s.groups, cg = s.cPerGroup(), og = s.oPerGroup();
  const int64_t taps = s.kh * s.kw, P = s.oh * s.ow, HW = s.h * s.w;
  // dy rows padded with zeros to whole vectors.
  Packed dyPacked;
  dyPacked.rows = s.oh;
  dyPacked.width = roundUp(s.ow, laneCount);
#pragma omp parallel for schedule(static) if (convMacs(s.outputSize(), s.cPerGroup(), s.kh, s.kw) >= kMinParallelMacs)
  for (int64_t g = 0; g < G; ++g) {
    T *dwg = dw + g * og * cg * taps;
    std::fill(dwg, dwg + og * cg * taps, T(0));
    T *xbuf = scratch<T>(cg * plan.corr.inPlane, 0);
    T *dybuf = scratch<T>(og * dyPacked.plane(), 1);
    for (int64_t n = 0; n < s.n; ++n) {
      pack(x + (n * s.c + g * cg) * HW, cg, s.h, s.w, 1, 1, s.padH, s.padW,
           plan.packed, xbuf);
      pack(dy + (n * s.o + g * og) * P, og, s.oh, s.ow, 1, 1, 0, 0, dyPacked,
           dybuf);
      wgrad(isa, plan.corr, xbuf, dybuf, dyPacked.plane(), dyPacked.width,
            dwg);
    }
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void convForwardDirect<T>(const ConvShape &, const T *, const T *, \
                                     const ConvEpilogue<T> &, T *);            \
  template void convBackwardDataDirect<T>(const ConvShape &, const T *,       \
                                          const T *, T *, bool);               \
  template void convBackwardWeightDirect<T>(const ConvShape &, const T *,     \
                                            const T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt::detail
