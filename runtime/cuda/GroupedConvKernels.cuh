//===- GroupedConvKernels.cuh - device code of the grouped 3x3 convs ------===//
//
// The kernels, their compile-time tiling (Geometry) and the launch grids;
// GroupedConv.cuh launches them. Kept free of launches and of the runtime
// API so tests can also compile this file as plain C++ under a CUDA
// emulation (tests/cuda/CudaEmulation.h) and run the kernels on the host.
// The design is described in GroupedConv.cuh.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_GROUPEDCONVKERNELS_CUH
#define CARDINAL_RUNTIME_CUDA_GROUPEDCONVKERNELS_CUH

#include "runtime/cuda/BlockReduce.cuh"
#include "runtime/cuda/math/BnMath.h"
#include "runtime/cuda/math/Scalar.h"

#include <cstddef>
#include <cstdint>

namespace cardinal::rt::cuda::grouped3x3 {

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
  static_assert(W <= 512, "one row of pixels must fit a block");
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

  // Launch grids (block counts per dimension; z is the sample, resp. the
  // sample slice of the weight gradient).
  static constexpr int FwdGridX = FwdTiles, FwdGridY = Groups * (CoutG / FwdCo);
  static constexpr int BwdGridX = BwdTiles, BwdGridY = Groups * (CinG / BwdCi);
  static constexpr int WgtGridX = WgtChunks, WgtGridY = Groups;
  static constexpr int64_t Weights = int64_t(Groups) * CoutG * CinG * 9;

  // Static shared memory of each kernel (the 48 KB static limit).
  static constexpr int FwdSharedBytes =
      4 * (FwdCi * FwdInRows * InCols + FwdCo * FwdCi * 9);
  static constexpr int BwdSharedBytes =
      4 * (BwdCo * BwdInRows * DyCols + BwdCo * BwdCi * 9);
  static constexpr int WgtSharedBytes =
      4 * (WgtCi * WgtInRows * InCols + WgtCo * FwdRows * OW + WgtThreads);
  static_assert(FwdSharedBytes <= 48 * 1024 && BwdSharedBytes <= 48 * 1024 &&
                    WgtSharedBytes <= 48 * 1024,
                "grouped 3x3 tile does not fit shared memory: use the "
                "direct kernel (conv2d*) for this shape");
};

/// How the weight gradient splits the batch: `slices` blocks along z, each
/// summing `perSlice` samples into its own fp32 partial (slices * weights
/// floats of workspace). Enough slices for ~1024 blocks, no more than the
/// batch or the workspace allow.
struct WeightSplit {
  int64_t slices, perSlice;
};
inline WeightSplit weightSplit(int64_t n, int64_t blocksPerSlice,
                               int64_t weights, size_t workspaceBytes) {
  int64_t slices = (1024 + blocksPerSlice - 1) / blocksPerSlice;
  slices = slices < n ? slices : n;
  const int64_t fit =
      static_cast<int64_t>(workspaceBytes / (sizeof(float) * weights));
  slices = slices < fit ? slices : (fit > 0 ? fit : 1);
  const int64_t perSlice = (n + slices - 1) / slices;
  return {(n + perSlice - 1) / perSlice, perSlice};
}

/// The input prologue of the fused kernels (conv-level training fusion,
/// cuDNN's ConvBNfprop pattern): the conv reads relu(BN(x)) with the BN's
/// batch statistics given (math/BnMath.h's bnChannel / bnReluApply), formed
/// while x is staged; null `mean`: no prologue. Indexed by x's channel.
struct InputBn {
  const float *mean = nullptr, *invStd = nullptr, *scale = nullptr,
              *shift = nullptr;
};

/// Stages rows [ih0, ih0 + rows) x cols [-1, cols - 1] of `channels`
/// planes (starting at `plane0`, each `h x w`) as fp32, zero outside. With
/// Bn, each staged pixel is relu(BN(x)) of its channel (c0 + plane index);
/// the padding halo stays zero (the conv pads the normalized activation).
template <bool Bn = false, typename T>
__device__ inline void stagePadded(float *dst, const T *plane0, int channels,
                                   int ih0, int rows, int h, int w,
                                   int64_t planeStride, int c0 = 0,
                                   InputBn bn = {}) {
  const int cols = w + 2, total = channels * rows * cols;
  for (int i = threadIdx.x; i < total; i += blockDim.x) {
    const int c = i / (rows * cols), r = (i / cols) % rows, col = i % cols;
    const int ih = ih0 + r, iw = col - 1;
    float v = 0.f;
    if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
      v = load(plane0[c * planeStride + ih * w + iw]);
      if constexpr (Bn)
        v = bnReluApply(
            bnChannel(bn.mean, bn.invStd, bn.scale, bn.shift, c0 + c), v);
    }
    dst[i] = v;
  }
}

/// y = conv(x, w) (+ bias). Fused variants (conv-level training fusion):
/// Bn: the conv reads relu(BN(x)) (InputBn, applied while staging); Stats:
/// the epilogue also reduces the block's outputs of each of its channels,
/// as stored (type T), to a Welford state, written to
/// partial[o * parts + n * FwdTiles + tile] (parts = batch * FwdTiles) for
/// bnFinalizePartsKernel to merge in order.
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T, bool Bn = false, bool Stats = false>
__global__ void __launch_bounds__(
    Geometry<Groups, CinG, CoutG, H, W, Stride>::FwdThreads)
    forwardKernel(const T *__restrict__ x, const T *__restrict__ w,
                  const T *__restrict__ bias, T *__restrict__ y,
                  InputBn bn = {}, Welford *__restrict__ partial = nullptr) {
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
    stagePadded<Bn>(sIn, xg + ci0 * H * W, Ci, oh0 * Stride - 1,
                    G::FwdInRows, H, W, H * W, group * CinG + ci0, bn);
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
  if constexpr (Stats) {
    // Per output channel of the chunk: each warp Chan-merges its lanes'
    // values (shuffle tree; inactive lanes hold empty states), lane 0 parks
    // the warp's state in shared memory; after one barrier, thread k merges
    // channel k's warp states in warp order. Fixed order: deterministic.
    constexpr int Warps = G::FwdThreads / 32;
    __shared__ Welford sRed[Warps * Co];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll // acc[k] must stay in registers: no runtime index
    for (int k = 0; k < Co; ++k) {
      const int o = group * CoutG + co0 + k;
      Welford s;
      if (active) {
        const T v = store<T>(acc[k] + (bias ? load(bias[o]) : 0.f));
        y[((n * Groups * CoutG + o) * G::OH + oh) * G::OW + ow] = v;
        s.add(load(v));
      }
      for (int off = 16; off > 0; off >>= 1)
        s.merge(detail::shflDown(s, off));
      if (lane == 0)
        sRed[warp * Co + k] = s;
    }
    __syncthreads();
    if (threadIdx.x < Co) {
      Welford s;
      for (int wp = 0; wp < Warps; ++wp)
        s.merge(sRed[wp * Co + threadIdx.x]);
      const int64_t parts = int64_t(gridDim.z) * G::FwdTiles;
      partial[(group * CoutG + co0 + threadIdx.x) * parts +
              n * G::FwdTiles + tile] = s;
    }
    return;
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
/// to partial[slice][o][ci][tap] in the weight's own layout. Bn: the
/// weight gradient of the conv that read relu(BN(x)), the activation
/// recomputed from x while staging (nn.bn_relu_conv2d_grad_weight).
template <int Groups, int CinG, int CoutG, int H, int W, int Stride,
          typename T, bool Bn = false>
__global__ void __launch_bounds__(
    Geometry<Groups, CinG, CoutG, H, W, Stride>::WgtThreads)
    backwardWeightKernel(int64_t n, int64_t perSlice,
                         const T *__restrict__ x, const T *__restrict__ dy,
                         float *__restrict__ partial, InputBn bn = {}) {
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
      stagePadded<Bn>(sX, xg, Ci, oh0 * Stride - 1, G::WgtInRows, H, W,
                      H * W, group * CinG + ci0, bn);
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


} // namespace cardinal::rt::cuda::grouped3x3

#endif // CARDINAL_RUNTIME_CUDA_GROUPEDCONVKERNELS_CUH
