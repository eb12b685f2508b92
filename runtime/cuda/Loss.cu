//===- Loss.cu - softmax cross-entropy and top-k accuracy -----------------===//
//
// Batches are small (n <= a few hundred rows) and rows short (k <= 1000):
// the forward is one block whose threads each take rows, then a fixed-order
// block sum gives the mean, so the loss never leaves the device and is the
// same bits every run. The backward is one thread per logit.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/Workspace.h"
#include "runtime/cuda/math/LossMath.h"

namespace cardinal::rt::cuda {
namespace {

template <typename T>
__global__ void crossEntropyKernel(int64_t n, int64_t k, const T *logits,
                                   const int32_t *labels, T *probs,
                                   float *loss) {
  __shared__ float scratch[detail::kThreads / 32];
  float acc = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const T *row = logits + i * k;
    const float lse = rowLogSumExp(k, row);
    acc += lse - load(row[labels[i]]);
    if (probs)
      for (int64_t j = 0; j < k; ++j)
        probs[i * k + j] = store<T>(expf(load(row[j]) - lse));
  }
  acc = detail::blockSum(acc, scratch);
  if (threadIdx.x == 0)
    *loss = acc / static_cast<float>(n);
}

/// Row logsumexps first (one thread per row), then one thread per logit.
template <typename T>
__global__ void rowLseKernel(int64_t n, int64_t k, const T *logits,
                             float *lse) {
  CARDINAL_GRID_STRIDE(i, n) { lse[i] = rowLogSumExp(k, logits + i * k); }
}

template <typename T>
__global__ void crossEntropyGradKernel(int64_t n, int64_t k, const T *logits,
                                       const int32_t *labels, const float *lse,
                                       float g, T *dlogits) {
  CARDINAL_GRID_STRIDE(i, n * k) {
    const int64_t r = i / k, j = i - r * k;
    dlogits[i] =
        store<T>(crossEntropyGrad(load(logits[i]), lse[r], j == labels[r], g));
  }
}

template <typename T>
__global__ void topKKernel(int64_t n, int64_t k, const T *logits,
                           const int32_t *labels,
                           unsigned long long *correct) {
  CARDINAL_GRID_STRIDE(i, n) {
    const int64_t rank = labelRank(k, logits + i * k, labels[i]);
    // Integer atomics: the totals do not depend on the order.
    if (rank < 1)
      atomicAdd(&correct[0], 1ull);
    if (rank < 5)
      atomicAdd(&correct[1], 1ull);
  }
}

} // namespace

template <typename T>
void softmaxCrossEntropyForward(Context &ctx, int64_t n, int64_t k,
                                const T *logits, const int32_t *labels,
                                T *probs, float *loss) {
  crossEntropyKernel<<<1, detail::kThreads, 0, ctx.stream>>>(n, k, logits,
                                                             labels, probs,
                                                             loss);
  detail::checkLaunch("softmaxCrossEntropyForward");
}

template <typename T>
void softmaxCrossEntropyBackward(Context &ctx, int64_t n, int64_t k,
                                 const T *logits, const int32_t *labels,
                                 float dloss, T *dlogits) {
  if (n * k == 0)
    return;
  float *lse = workspaceAs<float>(ctx, n, "softmaxCrossEntropyBackward");
  rowLseKernel<<<detail::blocksFor(n), detail::kThreads, 0, ctx.stream>>>(
      n, k, logits, lse);
  crossEntropyGradKernel<<<detail::blocksFor(n * k), detail::kThreads, 0,
                           ctx.stream>>>(n, k, logits, labels, lse,
                                         dloss / static_cast<float>(n),
                                         dlogits);
  detail::checkLaunch("softmaxCrossEntropyBackward");
}

template <typename T>
void countTopKCorrect(Context &ctx, int64_t n, int64_t k, const T *logits,
                      const int32_t *labels, int64_t *correct) {
  checkCuda(cudaMemsetAsync(correct, 0, 2 * sizeof(int64_t), ctx.stream),
            "countTopKCorrect");
  if (n == 0)
    return;
  static_assert(sizeof(int64_t) == sizeof(unsigned long long), "");
  topKKernel<<<detail::blocksFor(n), detail::kThreads, 0, ctx.stream>>>(
      n, k, logits, labels, reinterpret_cast<unsigned long long *>(correct));
  detail::checkLaunch("countTopKCorrect");
}

#define INSTANTIATE(T)                                                         \
  template void softmaxCrossEntropyForward<T>(Context &, int64_t, int64_t,    \
                                              const T *, const int32_t *, T *, \
                                              float *);                        \
  template void softmaxCrossEntropyBackward<T>(                               \
      Context &, int64_t, int64_t, const T *, const int32_t *, float, T *);   \
  template void countTopKCorrect<T>(Context &, int64_t, int64_t, const T *,   \
                                    const int32_t *, int64_t *);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
