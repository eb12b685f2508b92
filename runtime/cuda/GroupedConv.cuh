//===- GroupedConv.cuh - shape-specialized grouped 3x3 conv kernels -------===//
//
// The ResNeXt hot spot: a 3x3 conv, padding 1, with C groups of narrow width
// d (32x4d: d = 4..32 at 56..7 pixels, stride 1 or 2). cuDNN's grouped
// convolutions run such shapes as many tiny GEMMs or fall back to slow
// paths; a direct kernel whose loops are all compile-time constants does
// better. Generated .cu files instantiate, with the plan's constants,
//
//   groupedConv3x3Forward     <Groups, CinG, CoutG, H, W, Stride, T>
//   groupedConv3x3BackwardData<Groups, CinG, CoutG, H, W, Stride, T>
//   groupedConv3x3BackwardWeight<Groups, CinG, CoutG, H, W, Stride, T>
//
// (H, W: input extent; CinG/CoutG: channels per group; T: float or
// __nv_bfloat16; weights of type T, weight gradients fp32). Same results as
// conv2d* on ConvShape::make(n, Groups*CinG, H, W, Groups*CoutG, 3, 3,
// Stride, 1, 1, Groups). Only the instantiated shapes are compiled: the
// library itself instantiates none.
//
// Design (all three kernels):
//  - A block owns one (sample, group, chunk of output channels, tile of
//    rows). The rows of the group's input it needs (with the zero halo of
//    the padding) are staged in shared memory once and then read 9 x
//    CoutChunk times; the group's weights for the chunk are staged too and
//    read as warp-wide broadcasts (every thread uses the same weight at the
//    same time), so they cost no bank conflicts.
//  - Threads map to output pixels along a row, so every global load and
//    store is a run of consecutive addresses in NCHW (coalesced), and the
//    shared-memory reads of neighbouring threads hit neighbouring banks
//    (stride 2 layers: a 2-way conflict, still cheaper than a transpose).
//  - Staging converts to fp32 once; all accumulation is fp32 in registers
//    (one accumulator per output channel of the chunk, chunk <= 16 so
//    register use stays bounded for CIFAR's d = 64..256).
//  - Input channels are processed in chunks sized so shared memory stays
//    under 40 KB per block (several blocks per SM for latency hiding).
//  - Backward-weight reduces over samples and pixels without atomics: each
//    block sums a slice of samples into an fp32 partial in the workspace and
//    a second kernel adds the slices in order (deterministic).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH
#define CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/Workspace.h"
#include "runtime/cuda/math/Scalar.h"

#include <cstdint>

namespace cardinal::rt::cuda {
namespace grouped3x3 {

constexpr int largestDivisorAtMost(int n, int cap) {
  for (int d = cap < n ? cap : n; d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}
constexpr int clampInt(int v, int lo, int hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}
constexpr int roundUp32(int v) { return (v + 31) / 32 * 32; }

constexpr int kSharedBudgetFloats = 40 * 1024 / 4;

/// Compile-time tiling of one layer. "Out" is the tensor a thread writes
/// (y for forward, dx for backward-data), "In" the one staged in shared
/// memory (x, resp. dy).
template <int Groups, int CinG, int CoutG, int H, int W, int Stride>
struct Geometry {
  static_assert(Groups > 0 && CinG > 0 && CoutG > 0 && H > 0 && W > 0,
                "grouped conv extents must be positive");
  static_assert(Stride == 1 || Stride == 2, "stride 1 or 2");
  static_assert(W <= 1024, "one row of pixels must fit a block");
  static constexpr int OH = (H - 1) / Stride + 1; // (H + 2 - 3) / S + 1
  static constexpr int OW = (W - 1) / Stride + 1;

  // Forward: tile of output rows, ~256 output pixels per block.
  static constexpr int FwdRows = clampInt(256 / OW, 1, OH);
  static constexpr int FwdTiles = (OH + FwdRows - 1) / FwdRows;
  static constexpr int FwdInRows = (FwdRows - 1) * Stride + 3;
  static constexpr int InCols = W + 2; // x with the padding halo
  static constexpr int FwdThreads = roundUp32(FwdRows * OW);
  static constexpr int FwdCo = largestDivisorAtMost(CoutG, 16);
  static constexpr int fwdCiFits(int ci) {
    return ci * FwdInRows * InCols + FwdCo * ci * 9 <= kSharedBudgetFloats;
  }
  static constexpr int fwdCi() {
    for (int ci = CinG; ci > 1; --ci)
      if (CinG % ci == 0 && fwdCiFits(ci))
        return ci;
    return 1;
  }
  static constexpr int FwdCi = fwdCi();

  // Backward data: tile of dx rows; dy rows ohBase .. ohBase + BwdInRows.
  static constexpr int BwdRows = clampInt(256 / W, 1, H);
  static constexpr int BwdTiles = (H + BwdRows - 1) / BwdRows;
  static constexpr int BwdInRows = (BwdRows + 1) / Stride + 2;
  static constexpr int DyCols = OW + 2; // dy with a zero column each side
  static constexpr int BwdThreads = roundUp32(BwdRows * W);
  static constexpr int BwdCi = largestDivisorAtMost(CinG, 16); // per thread
  static constexpr int bwdCoFits(int co) {
    return co * BwdInRows * DyCols + co * BwdCi * 9 <= kSharedBudgetFloats;
  }
  static constexpr int bwdCo() {
    for (int co = CoutG; co > 1; --co)
      if (CoutG % co == 0 && bwdCoFits(co))
        return co;
    return 1;
  }
  static constexpr int BwdCo = bwdCo();

  // Backward weight: a block owns Co x Ci x 9 weights of one group, each
  // with Parts threads splitting the pixels.
  static constexpr int WgtCo = largestDivisorAtMost(CoutG, 4);
  static constexpr int WgtCi = largestDivisorAtMost(CinG, 4);
  static constexpr int WgtCount = WgtCo * WgtCi * 9;
  static constexpr int WgtParts = 256 / WgtCount > 0 ? 256 / WgtCount : 1;
  static constexpr int WgtThreads = WgtCount * WgtParts;
  static constexpr int WgtChunks = (CoutG / WgtCo) * (CinG / WgtCi);
  static constexpr int WgtInRows = FwdInRows;
};

/// Stages rows [ih0, ih0 + rows) x cols [-1, cols - 1] of `channels`
/// planes (starting at `plane0`, each `h x w`) as fp32, zero outside.
template <typename T>
__device__ inline void stagePadded(float *dst, const T *plane0, int channels,
                                   int ih0, int rows, int h, int w,
                                   int64_t planeStride) {
  const int cols = w + 2, total = channels * rows * cols;
  for (int i = threadIdx.x; i < total; i += blockDim.x) {
    const int c = i / (rows * cols), r = (i / cols) % rows, col = i % cols;
    const int ih = ih0 + r, iw = col - 1;
    dst[i] = ih >= 0 && ih < h && iw >= 0 && iw < w
                 ? load(plane0[c * planeStride + ih * w + iw])
                 : 0.f;
  }
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
__global__ void __launch_bounds__(
    Geometry<Groups, CinG, CoutG, H, W, Stride>::FwdThreads)
    forwardKernel(const T *__restrict__ x, const T *__restrict__ w,
                  const T *__restrict__ bias, T *__restrict__ y) {
  using G = Geometry<Groups, CinG, CoutG, H, W, Stride>;
  constexpr int Co = G::FwdCo, Ci = G::FwdCi;
  __shared__ float sIn[Ci * G::FwdInRows * G::InCols];
  __shared__ float sW[Co * Ci * 9];

  const int tile = blockIdx.x;
  const int group = blockIdx.y / (CoutG / Co);
  const int co0 = (blockIdx.y % (CoutG / Co)) * Co; // within the group
  const int64_t n = blockIdx.z;
  const int oh0 = tile * G::FwdRows;
  const int r = threadIdx.x / G::OW, ow = threadIdx.x % G::OW;
  const int oh = oh0 + r;
  const bool active = r < G::FwdRows && oh < G::OH;

  float acc[Co];
#pragma unroll
  for (int k = 0; k < Co; ++k)
    acc[k] = 0.f;

  const T *xg = x + (n * Groups * CinG + group * CinG) * H * W;
  for (int ci0 = 0; ci0 < CinG; ci0 += Ci) {
    __syncthreads(); // the previous chunk is consumed
    stagePadded(sIn, xg + ci0 * H * W, Ci, oh0 * Stride - 1, G::FwdInRows, H,
                W, H * W);
    for (int i = threadIdx.x; i < Co * Ci * 9; i += blockDim.x) {
      const int k = i / (Ci * 9), rest = i % (Ci * 9);
      sW[i] = load(w[((group * CoutG + co0 + k) * CinG + ci0) * 9 + rest]);
    }
    __syncthreads();
    if (active) {
#pragma unroll 1
      for (int ci = 0; ci < Ci; ++ci) {
        const float *in =
            sIn + (ci * G::FwdInRows + r * Stride) * G::InCols + ow * Stride;
#pragma unroll
        for (int kh = 0; kh < 3; ++kh)
#pragma unroll
          for (int kw = 0; kw < 3; ++kw) {
            const float v = in[kh * G::InCols + kw];
#pragma unroll
            for (int k = 0; k < Co; ++k)
              acc[k] += v * sW[(k * Ci + ci) * 9 + kh * 3 + kw];
          }
      }
    }
  }
  if (!active)
    return;
#pragma unroll
  for (int k = 0; k < Co; ++k) {
    const int o = group * CoutG + co0 + k;
    const float b = bias ? load(bias[o]) : 0.f;
    y[((n * Groups * CoutG + o) * G::OH + oh) * G::OW + ow] =
        store<T>(acc[k] + b);
  }
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
__global__ void __launch_bounds__(
    Geometry<Groups, CinG, CoutG, H, W, Stride>::BwdThreads)
    backwardDataKernel(const T *__restrict__ dy, const T *__restrict__ w,
                       T *__restrict__ dx, bool accumulate) {
  using G = Geometry<Groups, CinG, CoutG, H, W, Stride>;
  constexpr int Co = G::BwdCo, Ci = G::BwdCi;
  __shared__ float sDy[Co * G::BwdInRows * G::DyCols];
  __shared__ float sW[Co * Ci * 9];

  const int tile = blockIdx.x;
  const int group = blockIdx.y / (CinG / Ci);
  const int ci0 = (blockIdx.y % (CinG / Ci)) * Ci;
  const int64_t n = blockIdx.z;
  const int ih0 = tile * G::BwdRows;
  // dy rows staged from ohBase: the first row any dx row of the tile uses.
  const int ohBase = ih0 >= 1 ? (ih0 - 1) / Stride : -1;
  const int r = threadIdx.x / W, iw = threadIdx.x % W;
  const int ih = ih0 + r;
  const bool active = r < G::BwdRows && ih < H;

  float acc[Ci];
#pragma unroll
  for (int k = 0; k < Ci; ++k)
    acc[k] = 0.f;

  const T *dyg = dy + (n * Groups * CoutG + group * CoutG) * G::OH * G::OW;
  for (int co0 = 0; co0 < CoutG; co0 += Co) {
    __syncthreads();
    stagePadded(sDy, dyg + co0 * G::OH * G::OW, Co, ohBase, G::BwdInRows,
                G::OH, G::OW, G::OH * G::OW);
    for (int i = threadIdx.x; i < Co * Ci * 9; i += blockDim.x) {
      const int co = i / (Ci * 9), k = (i / 9) % Ci, tap = i % 9;
      sW[i] = load(w[((group * CoutG + co0 + co) * CinG + ci0 + k) * 9 + tap]);
    }
    __syncthreads();
    if (active) {
#pragma unroll 1
      for (int co = 0; co < Co; ++co) {
#pragma unroll
        for (int kh = 0; kh < 3; ++kh) {
          const int th = ih + 1 - kh; // = oh * Stride when this tap hits
          if (th < 0 || th % Stride)
            continue;
          const float *row =
              sDy + (co * G::BwdInRows + th / Stride - ohBase) * G::DyCols;
#pragma unroll
          for (int kw = 0; kw < 3; ++kw) {
            const int tw = iw + 1 - kw;
            if (tw < 0 || tw % Stride)
              continue;
            const float g = row[tw / Stride + 1]; // zero column past OW
#pragma unroll
            for (int k = 0; k < Ci; ++k)
              acc[k] += g * sW[(co * Ci + k) * 9 + kh * 3 + kw];
          }
        }
      }
    }
  }
  if (!active)
    return;
#pragma unroll
  for (int k = 0; k < Ci; ++k) {
    T &out = dx[((n * Groups * CinG + group * CinG + ci0 + k) * H + ih) * W +
                iw];
    out = store<T>(accumulate ? load(out) + acc[k] : acc[k]);
  }
}

/// Partial dw over samples [n0, n1) for one (group, Co x Ci chunk): written
/// to partial[slice][o][ci][tap] in the weight's own layout.
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
__global__ void __launch_bounds__(
    Geometry<Groups, CinG, CoutG, H, W, Stride>::WgtThreads)
    backwardWeightKernel(int64_t n, int64_t perSlice,
                         const T *__restrict__ x, const T *__restrict__ dy,
                         float *__restrict__ partial) {
  using G = Geometry<Groups, CinG, CoutG, H, W, Stride>;
  constexpr int Co = G::WgtCo, Ci = G::WgtCi, Rows = G::FwdRows;
  constexpr int Pixels = Rows * G::OW;
  __shared__ float sX[Ci * G::WgtInRows * G::InCols];
  __shared__ float sDy[Co * Pixels];
  __shared__ float sRed[G::WgtThreads];

  const int chunk = blockIdx.x, group = blockIdx.y;
  const int co0 = (chunk / (CinG / Ci)) * Co, ci0 = (chunk % (CinG / Ci)) * Ci;
  const int64_t slice = blockIdx.z;
  const int64_t nLo = slice * perSlice;
  const int64_t nHi = nLo + perSlice < n ? nLo + perSlice : n;
  const int j = threadIdx.x % G::WgtCount, part = threadIdx.x / G::WgtCount;
  const int co = j / (Ci * 9), ci = (j / 9) % Ci, kh = (j % 9) / 3,
            kw = j % 3;

  float acc = 0.f;
  for (int64_t s = nLo; s < nHi; ++s) {
    const T *xg = x + (s * Groups * CinG + group * CinG + ci0) * H * W;
    const T *dyg =
        dy + (s * Groups * CoutG + group * CoutG + co0) * G::OH * G::OW;
    for (int tile = 0; tile < G::FwdTiles; ++tile) {
      const int oh0 = tile * Rows;
      __syncthreads();
      stagePadded(sX, xg, Ci, oh0 * Stride - 1, G::WgtInRows, H, W, H * W);
      for (int i = threadIdx.x; i < Co * Pixels; i += blockDim.x) {
        const int k = i / Pixels, p = i % Pixels, oh = oh0 + p / G::OW;
        sDy[i] = oh < G::OH ? load(dyg[(k * G::OH + oh) * G::OW + p % G::OW])
                            : 0.f;
      }
      __syncthreads();
      const float *xs = sX + (ci * G::WgtInRows + kh) * G::InCols + kw;
      const float *gs = sDy + co * Pixels;
      for (int p = part; p < Pixels; p += G::WgtParts) {
        const int r = p / G::OW, c = p % G::OW;
        acc += gs[p] * xs[r * Stride * G::InCols + c * Stride];
      }
    }
  }
  sRed[threadIdx.x] = acc;
  __syncthreads();
  if (part == 0) {
    float sum = 0.f;
    for (int q = 0; q < G::WgtParts; ++q)
      sum += sRed[q * G::WgtCount + j];
    const int o = group * CoutG + co0 + co;
    partial[slice * (Groups * CoutG * CinG * 9) +
            (static_cast<int64_t>(o) * CinG + ci0 + ci) * 9 + kh * 3 + kw] =
        sum;
  }
}

/// dw[i] = sum over slices of partial[slice][i], in slice order. (A
/// template only so that every including file may define it.)
template <typename Unused>
__global__ void sumSlicesKernel(int64_t count, int64_t slices,
                                       const float *partial, float *dw) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       i < count; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float s = 0.f;
    for (int64_t k = 0; k < slices; ++k)
      s += partial[k * count + i];
    dw[i] = s;
  }
}

inline void checkLaunch(const char *what) {
  checkCuda(cudaGetLastError(), what);
}

} // namespace grouped3x3

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3Forward(Context &ctx, int64_t n, const T *x, const T *w,
                           const T *bias, T *y) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const dim3 grid(G::FwdTiles, Groups * (CoutG / G::FwdCo),
                  static_cast<unsigned>(n));
  grouped3x3::forwardKernel<Groups, CinG, CoutG, H, W, Stride, T>
      <<<grid, G::FwdThreads, 0, ctx.stream>>>(x, w, bias, y);
  grouped3x3::checkLaunch("groupedConv3x3Forward");
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BackwardData(Context &ctx, int64_t n, const T *dy,
                                const T *w, T *dx, bool accumulate = false) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  if (n == 0)
    return;
  const dim3 grid(G::BwdTiles, Groups * (CinG / G::BwdCi),
                  static_cast<unsigned>(n));
  grouped3x3::backwardDataKernel<Groups, CinG, CoutG, H, W, Stride, T>
      <<<grid, G::BwdThreads, 0, ctx.stream>>>(dy, w, dx, accumulate);
  grouped3x3::checkLaunch("groupedConv3x3BackwardData");
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T>
void groupedConv3x3BackwardWeight(Context &ctx, int64_t n, const T *x,
                                  const T *dy, float *dw, float *db) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  constexpr int64_t weights = int64_t(Groups) * CoutG * CinG * 9;
  if (n == 0)
    return;
  // Enough slices of samples for ~1024 blocks, as the workspace allows.
  const int64_t blocks = int64_t(G::WgtChunks) * Groups;
  int64_t slices = (1024 + blocks - 1) / blocks;
  slices = slices < n ? slices : n;
  const int64_t fit =
      static_cast<int64_t>(ctx.workspaceBytes / (sizeof(float) * weights));
  slices = slices < fit ? slices : (fit > 0 ? fit : 1);
  const int64_t perSlice = (n + slices - 1) / slices;
  slices = (n + perSlice - 1) / perSlice;
  float *partial = workspaceAs<float>(ctx, slices * weights,
                                      "groupedConv3x3BackwardWeight");
  const dim3 grid(G::WgtChunks, Groups, static_cast<unsigned>(slices));
  grouped3x3::backwardWeightKernel<Groups, CinG, CoutG, H, W, Stride, T>
      <<<grid, G::WgtThreads, 0, ctx.stream>>>(n, perSlice, x, dy, partial);
  const unsigned sumBlocks = static_cast<unsigned>((weights + 255) / 256);
  grouped3x3::sumSlicesKernel<T><<<sumBlocks, 256, 0, ctx.stream>>>(
      weights, slices, partial, dw);
  grouped3x3::checkLaunch("groupedConv3x3BackwardWeight");
  if (db)
    biasGrad(ctx, n, Groups * CoutG, int64_t(G::OH) * G::OW, dy, db);
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_GROUPEDCONV_CUH
