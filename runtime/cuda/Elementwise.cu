//===- Elementwise.cu - pointwise kernels, casts, bias grad, SGD -----------===//
//
// Memory-bound one-pass kernels: grid-stride loops, one element per thread
// iteration, fp32 arithmetic (math/*.h) whatever the storage type.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/math/Bf16.h"
#include "runtime/cuda/math/SgdMath.h"

namespace cardinal::rt::cuda {
namespace {

template <typename T>
__global__ void reluKernel(int64_t n, const T *x, T *y) {
  CARDINAL_GRID_STRIDE(i, n) {
    const float v = load(x[i]);
    y[i] = store<T>(v > 0.f ? v : 0.f);
  }
}

template <typename T>
__global__ void reluBackwardKernel(int64_t n, const T *yOrX, const T *dy,
                                   T *dx) {
  CARDINAL_GRID_STRIDE(i, n) {
    dx[i] = store<T>(reluGrad(load(yOrX[i]), load(dy[i])));
  }
}

template <typename T>
__global__ void addKernel(int64_t n, const T *a, const T *b, T *y) {
  CARDINAL_GRID_STRIDE(i, n) { y[i] = store<T>(load(a[i]) + load(b[i])); }
}

__global__ void floatToBf16Kernel(int64_t n, const float *src, uint16_t *dst) {
  CARDINAL_GRID_STRIDE(i, n) { dst[i] = floatToBf16Bits(src[i]); }
}

__global__ void bf16ToFloatKernel(int64_t n, const uint16_t *src, float *dst) {
  CARDINAL_GRID_STRIDE(i, n) { dst[i] = bf16BitsToFloat(src[i]); }
}

/// One block per channel: sums its n * hw elements in a fixed order.
template <typename T>
__global__ void biasGradKernel(int64_t n, int64_t c, int64_t hw, const T *dy,
                               float *db) {
  __shared__ float scratch[detail::kThreads / 32];
  const int64_t ch = blockIdx.x;
  float acc = 0.f;
  for (int64_t i = threadIdx.x; i < n * hw; i += blockDim.x) {
    const int64_t s = i / hw, p = i - s * hw;
    acc += load(dy[(s * c + ch) * hw + p]);
  }
  acc = detail::blockSum(acc, scratch);
  if (threadIdx.x == 0)
    db[ch] = acc;
}

__global__ void sgdKernel(int64_t n, float *w, const float *g, float *v,
                          float lr, float momentum, float weightDecay,
                          bool nesterov, uint16_t *wLowp) {
  CARDINAL_GRID_STRIDE(i, n) {
    float wi = w[i];
    sgdElement(wi, g[i], v ? v + i : nullptr, lr, momentum, weightDecay,
               nesterov);
    w[i] = wi;
    if (wLowp)
      wLowp[i] = floatToBf16Bits(wi);
  }
}

} // namespace

template <typename T> void zero(Context &ctx, int64_t n, T *x) {
  checkCuda(cudaMemsetAsync(x, 0, sizeof(T) * n, ctx.stream), "zero");
}

template <typename T>
void copy(Context &ctx, int64_t n, const T *src, T *dst) {
  checkCuda(cudaMemcpyAsync(dst, src, sizeof(T) * n, cudaMemcpyDeviceToDevice,
                            ctx.stream),
            "copy");
}

void castFloatToBf16(Context &ctx, int64_t n, const float *src, bf16 *dst) {
  floatToBf16Kernel<<<detail::blocksFor(n), detail::kThreads, 0,
                      ctx.stream>>>(n, src, reinterpret_cast<uint16_t *>(dst));
  detail::checkLaunch("castFloatToBf16");
}

void castBf16ToFloat(Context &ctx, int64_t n, const bf16 *src, float *dst) {
  bf16ToFloatKernel<<<detail::blocksFor(n), detail::kThreads, 0,
                      ctx.stream>>>(
      n, reinterpret_cast<const uint16_t *>(src), dst);
  detail::checkLaunch("castBf16ToFloat");
}

template <typename T>
void reluForward(Context &ctx, int64_t n, const T *x, T *y) {
  reluKernel<<<detail::blocksFor(n), detail::kThreads, 0, ctx.stream>>>(n, x,
                                                                        y);
  detail::checkLaunch("reluForward");
}

template <typename T>
void reluBackward(Context &ctx, int64_t n, const T *yOrX, const T *dy,
                  T *dx) {
  reluBackwardKernel<<<detail::blocksFor(n), detail::kThreads, 0,
                       ctx.stream>>>(n, yOrX, dy, dx);
  detail::checkLaunch("reluBackward");
}

template <typename T>
void add(Context &ctx, int64_t n, const T *a, const T *b, T *y) {
  addKernel<<<detail::blocksFor(n), detail::kThreads, 0, ctx.stream>>>(n, a, b,
                                                                       y);
  detail::checkLaunch("add");
}

template <typename T>
void biasGrad(Context &ctx, int64_t n, int64_t c, int64_t hw, const T *dy,
              float *db) {
  if (c == 0)
    return;
  biasGradKernel<<<static_cast<unsigned>(c), detail::kThreads, 0,
                   ctx.stream>>>(n, c, hw, dy, db);
  detail::checkLaunch("biasGrad");
}

void sgdUpdate(Context &ctx, int64_t n, float *w, const float *g, float *v,
               float lr, float momentum, float weightDecay, bool nesterov) {
  sgdUpdate(ctx, n, w, g, v, lr, momentum, weightDecay, nesterov, nullptr);
}

void sgdUpdate(Context &ctx, int64_t n, float *w, const float *g, float *v,
               float lr, float momentum, float weightDecay, bool nesterov,
               bf16 *wLowp) {
  sgdKernel<<<detail::blocksFor(n), detail::kThreads, 0, ctx.stream>>>(
      n, w, g, v, lr, momentum, weightDecay, nesterov,
      reinterpret_cast<uint16_t *>(wLowp));
  detail::checkLaunch("sgdUpdate");
}

#define INSTANTIATE(T)                                                         \
  template void zero<T>(Context &, int64_t, T *);                              \
  template void copy<T>(Context &, int64_t, const T *, T *);                   \
  template void reluForward<T>(Context &, int64_t, const T *, T *);            \
  template void reluBackward<T>(Context &, int64_t, const T *, const T *,      \
                                T *);                                          \
  template void add<T>(Context &, int64_t, const T *, const T *, T *);         \
  template void biasGrad<T>(Context &, int64_t, int64_t, int64_t, const T *,   \
                            float *);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
