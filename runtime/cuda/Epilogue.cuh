//===- Epilogue.cuh - per-channel epilogues shared by conv and linear -----===//
#ifndef CARDINAL_RUNTIME_CUDA_EPILOGUE_CUH
#define CARDINAL_RUNTIME_CUDA_EPILOGUE_CUH

#include "runtime/cuda/Launch.cuh"

namespace cardinal::rt::cuda::detail {

/// y[n, c, p] += bias[c] for y [n, c, hw] (hw = 1: a linear layer's rows).
template <typename T>
__global__ void addChannelBiasKernel(int64_t n, int64_t c, int64_t hw,
                                     const T *bias, T *y) {
  CARDINAL_GRID_STRIDE(i, n * c * hw) {
    y[i] = store<T>(load(y[i]) + load(bias[(i / hw) % c]));
  }
}

template <typename T>
void addChannelBias(Context &ctx, int64_t n, int64_t c, int64_t hw,
                    const T *bias, T *y) {
  if (!bias || n * c * hw == 0)
    return;
  addChannelBiasKernel<<<blocksFor(n * c * hw), kThreads, 0, ctx.stream>>>(
      n, c, hw, bias, y);
  checkLaunch("addChannelBias");
}

/// y = maybe_relu((y - mean) * scale / sqrt(var + eps) + shift + residual)
/// in place, per output channel: eval BN, residual add and ReLU in one
/// pass over the conv's output.
template <typename T>
__global__ void bnActEpilogueKernel(int64_t n, int64_t c, int64_t hw,
                                    const float *scale, const float *shift,
                                    const float *mean, const float *var,
                                    float eps, const T *residual, bool relu,
                                    T *y) {
  CARDINAL_GRID_STRIDE(i, n * c * hw) {
    const int64_t ch = (i / hw) % c;
    const float a = (scale ? scale[ch] : 1.f) * bnInvStd(var[ch], eps);
    float v = bnApply(load(y[i]), mean[ch], a, shift ? shift[ch] : 0.f, false);
    if (residual)
      v += load(residual[i]);
    y[i] = store<T>(relu ? (v > 0.f ? v : 0.f) : v);
  }
}

} // namespace cardinal::rt::cuda::detail

#endif // CARDINAL_RUNTIME_CUDA_EPILOGUE_CUH
