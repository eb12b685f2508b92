//===- Pool.cu - max pooling and global average pooling -------------------===//
//
// One thread per output element (forward) or per input element (max-pool
// backward, a gather over the windows covering it: deterministic, no
// atomics). Global average pooling: one warp per (n, c) plane, lanes stride
// the plane (coalesced) and a fixed shuffle tree sums them.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/math/PoolMath.h"

namespace cardinal::rt::cuda {
namespace {

template <typename T>
__global__ void maxPoolKernel(PoolShape s, const T *x, T *y, int32_t *argmax) {
  const int64_t out = s.oh * s.ow;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * out) {
    const int64_t p = i / out, o = i - p * out;
    float best;
    const int32_t idx =
        maxPoolWindow(s, x + p * s.h * s.w, o / s.ow, o % s.ow, &best);
    y[i] = store<T>(best);
    if (argmax)
      argmax[i] = idx;
  }
}

template <typename T>
__global__ void maxPoolGradRecomputeKernel(PoolShape s, const T *x,
                                           const T *dy, T *dx,
                                           bool accumulate) {
  const int64_t in = s.h * s.w;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * in) {
    const int64_t p = i / in, q = i - p * in;
    const float g = maxPoolInputGrad(s, x + p * in, dy + p * s.oh * s.ow,
                                     q / s.w, q % s.w);
    dx[i] = store<T>(accumulate ? load(dx[i]) + g : g);
  }
}

/// Gather through the saved argmax: the input element sums the windows
/// (those covering it) whose argmax names it.
template <typename T>
__global__ void maxPoolGradArgmaxKernel(PoolShape s, const int32_t *argmax,
                                        const T *dy, T *dx, bool accumulate) {
  const int64_t in = s.h * s.w, out = s.oh * s.ow;
  CARDINAL_GRID_STRIDE(i, s.n * s.c * in) {
    const int64_t p = i / in, q = i - p * in, ih = q / s.w, iw = q % s.w;
    const int64_t ohLo = maxI(0, floorDiv(ih + s.padH - s.kh, s.strideH) + 1);
    const int64_t ohHi = minI(s.oh - 1, floorDiv(ih + s.padH, s.strideH));
    const int64_t owLo = maxI(0, floorDiv(iw + s.padW - s.kw, s.strideW) + 1);
    const int64_t owHi = minI(s.ow - 1, floorDiv(iw + s.padW, s.strideW));
    float g = 0.f;
    for (int64_t oh = ohLo; oh <= ohHi; ++oh)
      for (int64_t ow = owLo; ow <= owHi; ++ow)
        if (argmax[p * out + oh * s.ow + ow] == q)
          g += load(dy[p * out + oh * s.ow + ow]);
    dx[i] = store<T>(accumulate ? load(dx[i]) + g : g);
  }
}

template <typename T>
__global__ void globalAvgPoolKernel(int64_t planes, int64_t hw, const T *x,
                                    T *y) {
  const int64_t warp =
      (blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= planes)
    return;
  float acc = 0.f;
  for (int64_t i = lane; i < hw; i += 32)
    acc += load(x[warp * hw + i]);
  for (int o = 16; o > 0; o >>= 1)
    acc += __shfl_down_sync(0xffffffffu, acc, o);
  if (lane == 0)
    y[warp] = store<T>(acc / static_cast<float>(hw));
}

template <typename T>
__global__ void globalAvgPoolGradKernel(int64_t planes, int64_t hw,
                                        const T *dy, T *dx, bool accumulate) {
  CARDINAL_GRID_STRIDE(i, planes * hw) {
    const float g = load(dy[i / hw]) / static_cast<float>(hw);
    dx[i] = store<T>(accumulate ? load(dx[i]) + g : g);
  }
}

} // namespace

template <typename T>
void maxPool2dForward(Context &ctx, const PoolShape &s, const T *x, T *y,
                      int32_t *argmax) {
  if (s.outputSize() == 0)
    return;
  maxPoolKernel<<<detail::blocksFor(s.outputSize()), detail::kThreads, 0,
                  ctx.stream>>>(s, x, y, argmax);
  detail::checkLaunch("maxPool2dForward");
}

template <typename T>
void maxPool2dBackward(Context &ctx, const PoolShape &s,
                       const int32_t *argmax, const T *dy, T *dx,
                       bool accumulate) {
  if (s.inputSize() == 0)
    return;
  maxPoolGradArgmaxKernel<<<detail::blocksFor(s.inputSize()),
                            detail::kThreads, 0, ctx.stream>>>(
      s, argmax, dy, dx, accumulate);
  detail::checkLaunch("maxPool2dBackward");
}

template <typename T>
void maxPool2dBackwardRecompute(Context &ctx, const PoolShape &s, const T *x,
                                const T *dy, T *dx, bool accumulate) {
  if (s.inputSize() == 0)
    return;
  maxPoolGradRecomputeKernel<<<detail::blocksFor(s.inputSize()),
                               detail::kThreads, 0, ctx.stream>>>(
      s, x, dy, dx, accumulate);
  detail::checkLaunch("maxPool2dBackwardRecompute");
}

template <typename T>
void globalAvgPoolForward(Context &ctx, const ActShape &s, const T *x, T *y) {
  const int64_t planes = s.n * s.c;
  if (planes == 0)
    return;
  const unsigned blocks =
      static_cast<unsigned>((planes * 32 + detail::kThreads - 1) /
                            detail::kThreads);
  globalAvgPoolKernel<<<blocks, detail::kThreads, 0, ctx.stream>>>(
      planes, s.hw(), x, y);
  detail::checkLaunch("globalAvgPoolForward");
}

template <typename T>
void globalAvgPoolBackward(Context &ctx, const ActShape &s, const T *dy,
                           T *dx, bool accumulate) {
  if (s.size() == 0)
    return;
  globalAvgPoolGradKernel<<<detail::blocksFor(s.size()), detail::kThreads, 0,
                            ctx.stream>>>(s.n * s.c, s.hw(), dy, dx,
                                          accumulate);
  detail::checkLaunch("globalAvgPoolBackward");
}

#define INSTANTIATE(T)                                                         \
  template void maxPool2dForward<T>(Context &, const PoolShape &, const T *,  \
                                    T *, int32_t *);                           \
  template void maxPool2dBackward<T>(Context &, const PoolShape &,            \
                                     const int32_t *, const T *, T *, bool);  \
  template void maxPool2dBackwardRecompute<T>(                                \
      Context &, const PoolShape &, const T *, const T *, T *, bool);         \
  template void globalAvgPoolForward<T>(Context &, const ActShape &,          \
                                        const T *, T *);                       \
  template void globalAvgPoolBackward<T>(Context &, const ActShape &,         \
                                         const T *, T *, bool);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
