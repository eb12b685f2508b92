//===- ConvBn.cu - the conv-level training fusion's library kernels -------===//
//
// nn.conv2d_stats, nn.bn_relu_conv2d(_stats), nn.bn_relu_conv2d_grad_weight,
// nn.bn_add_relu, nn.bn_relu_apply_grad and nn.bn_add_relu_grad on the
// device (CudaKernels.h). Grouped 3x3 convs of generated trainers fuse the
// BN + ReLU prologue and the statistics epilogue into the conv kernel
// itself (GroupedConv.cuh); the conv entry points here serve every other
// conv, above all the dense ones cuDNN runs, and do so as a DECOMPOSITION:
//  1. prologue: relu(BN(x)) into Context::normalized (one elementwise pass;
//     cuDNN's legacy API has no prologue hook),
//  2. the conv through conv2d* (cuDNN or the direct kernel),
//  3. statistics of y: the split Welford partials of batchNormForwardTrain
//     (bnPartialStatsKernel), merged per channel in a fixed order
//     (finalizeChannelStats): fp32, deterministic, no E[x^2] - E[x]^2.
// So the activation traffic of these fused ops is that of the unfused
// BN+ReLU and conv; what the fusion saves on the device is the grouped 3x3
// layers' and the elementwise ops' passes. The BN backwards recompute the
// ReLU mask (from x, or from the stored output y of bn_add_relu) in both of
// their passes, as BatchNorm.cu's backward does with y.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/BatchNormKernels.cuh"
#include "runtime/cuda/ConvPaths.h"
#include "runtime/cuda/FusedStats.h"
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/SyncedBn.h"
#include "runtime/cuda/Workspace.h"

#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {

namespace detail {

void finalizeChannelStats(Context &ctx, int64_t channels, int64_t parts,
                          const Welford *partial, float eps, float momentum,
                          float *mean, float *invStd, float *runningMean,
                          float *runningVar, const char *what) {
  if (channels == 0)
    return;
  if (ctx.bnSync) {
    finalizeSyncedStats(ctx, channels, parts, partial,
                        sizeof(Welford) * channels * parts, eps, momentum,
                        mean, invStd, runningMean, runningVar, what);
    return;
  }
  bn::bnFinalizePartsKernel<void>
      <<<static_cast<unsigned>(channels), kThreads, 0, ctx.stream>>>(
          parts, partial, eps, momentum, mean, invStd, runningMean,
          runningVar);
  checkLaunch(what);
}

} // namespace detail

namespace {

using detail::kThreads;
using namespace bn;

/// Context::normalized with room for `bytes`, grown (stream-ordered: the
/// old buffer is freed after the work queued before it) when too small.
void *normalizedBuffer(Context &ctx, size_t bytes, const char *what) {
  if (bytes > ctx.normalizedBytes) {
    if (ctx.normalized)
      checkCuda(cudaFreeAsync(ctx.normalized, ctx.stream), what);
    ctx.normalized = nullptr;
    ctx.normalizedBytes = 0;
    checkCuda(cudaMallocAsync(&ctx.normalized, bytes, ctx.stream), what);
    ctx.normalizedBytes = bytes;
  }
  return ctx.normalized;
}

/// relu(BN(x)) of the conv's input into Context::normalized.
template <typename T>
const T *normalizeInput(Context &ctx, const ConvShape &s, const T *x,
                        const float *mean, const float *invstd,
                        const float *scale, const float *shift,
                        const char *what) {
  const ActShape in{s.n, s.c, s.h, s.w};
  T *buf = static_cast<T *>(
      normalizedBuffer(ctx, sizeof(T) * static_cast<size_t>(in.size()), what));
  if (in.size() > 0) {
    bnReluApplyKernel<<<detail::blocksFor(in.size()), kThreads, 0,
                        ctx.stream>>>(in, x, mean, invstd, scale, shift, buf);
    detail::checkLaunch(what);
  }
  return buf;
}

/// The statistics pass over a conv's output y (step 3 above).
template <typename T>
void outputStats(Context &ctx, const ConvShape &s, const T *y, float eps,
                 float momentum, float *mean, float *invstd,
                 float *runningMean, float *runningVar, const char *what) {
  const ActShape out = s.output();
  if (out.size() == 0)
    return;
  const int64_t splits = bnSplits(out);
  auto *partial = workspaceAs<Welford>(ctx, out.c * splits, what);
  bnPartialStatsKernel<<<dim3(static_cast<unsigned>(splits),
                              static_cast<unsigned>(out.c)),
                         kThreads, 0, ctx.stream>>>(out, y, partial);
  detail::checkLaunch(what);
  detail::finalizeChannelStats(ctx, out.c, splits, partial, eps, momentum,
                               mean, invstd, runningMean, runningVar, what);
}

void requireValid(const ConvShape &s, const char *what) {
  if (!s.valid())
    throw std::invalid_argument(std::string(what) + ": invalid ConvShape");
}

/// The fused BN backward's first pass: the masked gradient's two sums per
/// channel (dscale/dshift, either may be null) and the dx pass's constants,
/// which it returns (in the workspace). y non-null masks by y > 0 (and
/// writes the masked gradient to dres), else the mask is recomputed from x.
template <typename T>
const BnBackwardCoefs *gradReductions(Context &ctx, const ActShape &s,
                                      const T *x, const T *y, const T *dy,
                                      const float *mean, const float *invstd,
                                      const float *scale, const float *shift,
                                      T *dres, float *dscale, float *dshift,
                                      const char *what) {
  const int64_t splits = bnSplits(s);
  const int64_t partialFloats = 2 * s.c * splits;
  float *base = workspaceAs<float>(ctx, partialFloats + 3 * s.c, what);
  auto *partial = reinterpret_cast<BnGradSums *>(base);
  auto *coefs = reinterpret_cast<BnBackwardCoefs *>(base + partialFloats);
  bnPartialGradFusedKernel<<<dim3(static_cast<unsigned>(splits),
                                  static_cast<unsigned>(s.c)),
                             kThreads, 0, ctx.stream>>>(
      s, x, y, dy, mean, invstd, scale, shift, dres, partial);
  const float count = static_cast<float>(s.n * s.hw());
  if (ctx.bnSync)
    detail::finalizeSyncedGrad(ctx, s.c, splits, count, partial,
                               sizeof(float) * (partialFloats + 3 * s.c),
                               scale, invstd, dscale, dshift, coefs, what);
  else
    bnFinalizeGradKernel<<<static_cast<unsigned>((s.c + kThreads - 1) /
                                                 kThreads),
                           kThreads, 0, ctx.stream>>>(
        s.c, splits, count, partial, scale, invstd, dscale, dshift, coefs);
  detail::checkLaunch(what);
  return coefs;
}

/// The two-pass fused BN backward: gradReductions, then dx.
template <typename T>
void fusedBnBackward(Context &ctx, const ActShape &s, const T *x, const T *y,
                     const T *dy, const float *mean, const float *invstd,
                     const float *scale, const float *shift, T *dx, T *dres,
                     float *dscale, float *dshift, const char *what) {
  if (s.size() == 0)
    return;
  const BnBackwardCoefs *coefs =
      gradReductions(ctx, s, x, y, dy, mean, invstd, scale, shift, dres,
                     dscale, dshift, what);
  bnApplyGradFusedKernel<<<detail::blocksFor(s.size()), kThreads, 0,
                           ctx.stream>>>(s, x, y, dy, mean, invstd, scale,
                                         shift, coefs, dx);
  detail::checkLaunch(what);
}

/// The two reductions of the mask-recomputed BN backward alone (its first
/// pass; dy is the conv backward-data's output): dscale/dshift.
template <typename T>
void gradSums(Context &ctx, const ActShape &s, const T *x, const T *dy,
              const float *mean, const float *invstd, const float *scale,
              const float *shift, float *dscale, float *dshift,
              const char *what) {
  if (s.size() == 0)
    return;
  gradReductions(ctx, s, x, static_cast<const T *>(nullptr), dy, mean, invstd,
                 scale, shift, static_cast<T *>(nullptr), dscale, dshift,
                 what);
}

} // namespace

template <typename T>
void bnReluGradSums(Context &ctx, const ActShape &s, const T *x, const T *dy,
                    const float *mean, const float *invstd,
                    const float *scale, const float *shift, float *dscale,
                    float *dshift) {
  gradSums(ctx, s, x, dy, mean, invstd, scale, shift, dscale, dshift,
           "bnReluGradSums");
}

template <typename T>
void conv2dBackwardDataBnSums(Context &ctx, const ConvShape &s, const T *dy,
                              const T *w, const T *bnInput,
                              const float *mean, const float *invstd,
                              const float *scale, const float *shift, T *dx,
                              float *dscale, float *dshift) {
  requireValid(s, "conv2dBackwardDataBnSums");
  conv2dBackwardData<T>(ctx, s, dy, w, dx, false);
  gradSums(ctx, ActShape{s.n, s.c, s.h, s.w}, bnInput, dx, mean, invstd,
           scale, shift, dscale, dshift, "conv2dBackwardDataBnSums");
}

template <typename T>
void bnReluApplyBackwardInput(Context &ctx, const ActShape &s, const T *x,
                              const T *dy, const float *mean,
                              const float *invstd, const float *scale,
                              const float *shift, const float *dscale,
                              const float *dshift, T *dx) {
  const char *what = "bnReluApplyBackwardInput";
  if (s.size() == 0)
    return;
  auto *coefs = workspaceAs<BnBackwardCoefs>(ctx, s.c, what);
  // Synchronized BN: dx needs the sums over all ranks; dscale/dshift are
  // this rank's.
  const float *sums =
      ctx.bnSync ? detail::syncedGradSums(ctx, s.c, dscale, dshift,
                                          sizeof(BnBackwardCoefs) * s.c, what)
                 : nullptr;
  bnCoefsFromGradsKernel<void>
      <<<static_cast<unsigned>((s.c + kThreads - 1) / kThreads), kThreads, 0,
         ctx.stream>>>(s.c,
                       detail::syncedCount(ctx,
                                           static_cast<float>(s.n * s.hw())),
                       scale, invstd, sums ? sums : dscale,
                       sums ? sums + s.c : dshift, coefs);
  bnApplyGradFusedKernel<<<detail::blocksFor(s.size()), kThreads, 0,
                           ctx.stream>>>(
      s, x, static_cast<const T *>(nullptr), dy, mean, invstd, scale, shift,
      coefs, dx);
  detail::checkLaunch(what);
}

template <typename T>
void conv2dStatsForward(Context &ctx, const ConvShape &s, const T *x,
                        const T *w, float eps, float momentum, T *y,
                        float *mean, float *invstd, float *runningMean,
                        float *runningVar) {
  requireValid(s, "conv2dStatsForward");
  conv2dForward<T>(ctx, s, x, w, nullptr, y);
  outputStats(ctx, s, y, eps, momentum, mean, invstd, runningMean, runningVar,
              "conv2dStatsForward");
}

template <typename T>
void bnReluConv2dStatsForward(Context &ctx, const ConvShape &s, const T *x,
                              const float *inMean, const float *inInvstd,
                              const float *inScale, const float *inShift,
                              const T *w, float eps, float momentum, T *y,
                              float *mean, float *invstd, float *runningMean,
                              float *runningVar) {
  bnReluConv2dForward<T>(ctx, s, x, inMean, inInvstd, inScale, inShift, w, y);
  outputStats(ctx, s, y, eps, momentum, mean, invstd, runningMean, runningVar,
              "bnReluConv2dStatsForward");
}

template <typename T>
void bnReluConv2dForward(Context &ctx, const ConvShape &s, const T *x,
                         const float *mean, const float *invstd,
                         const float *scale, const float *shift, const T *w,
                         T *y) {
  const char *what = "bnReluConv2dForward";
  requireValid(s, what);
  const T *in = normalizeInput(ctx, s, x, mean, invstd, scale, shift, what);
  conv2dForward<T>(ctx, s, in, w, nullptr, y);
}

template <typename T>
void bnReluConv2dBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                                const float *mean, const float *invstd,
                                const float *scale, const float *shift,
                                const T *dy, float *dw) {
  const char *what = "bnReluConv2dBackwardWeight";
  requireValid(s, what);
  const T *in = normalizeInput(ctx, s, x, mean, invstd, scale, shift, what);
  conv2dBackwardWeight<T>(ctx, s, in, dy, dw, nullptr);
}

template <typename T>
void bnAddReluForward(Context &ctx, const ActShape &s, const T *x,
                      const float *mean, const float *invstd,
                      const float *scale, const float *shift,
                      const T *residual, T *y) {
  if (s.size() == 0)
    return;
  bnAddReluKernel<<<detail::blocksFor(s.size()), kThreads, 0, ctx.stream>>>(
      s, x, mean, invstd, scale, shift, residual, y);
  detail::checkLaunch("bnAddReluForward");
}

template <typename T>
void bnAddReluBackward(Context &ctx, const ActShape &s, const T *x,
                       const T *y, const T *dy, const float *mean,
                       const float *invstd, const float *scale, T *dx,
                       T *dresidual, float *dscale, float *dshift) {
  fusedBnBackward<T>(ctx, s, x, y, dy, mean, invstd, scale, nullptr, dx,
                     dresidual, dscale, dshift, "bnAddReluBackward");
}

template <typename T>
void bnReluApplyBackward(Context &ctx, const ActShape &s, const T *x,
                         const T *dy, const float *mean, const float *invstd,
                         const float *scale, const float *shift, T *dx,
                         float *dscale, float *dshift) {
  fusedBnBackward<T>(ctx, s, x, nullptr, dy, mean, invstd, scale, shift, dx,
                     nullptr, dscale, dshift, "bnReluApplyBackward");
}

#define INSTANTIATE(T)                                                         \
  template void conv2dStatsForward<T>(Context &, const ConvShape &, const T *, \
                                      const T *, float, float, T *, float *,   \
                                      float *, float *, float *);              \
  template void bnReluConv2dStatsForward<T>(                                  \
      Context &, const ConvShape &, const T *, const float *, const float *,  \
      const float *, const float *, const T *, float, float, T *, float *,    \
      float *, float *, float *);                                              \
  template void bnReluConv2dForward<T>(Context &, const ConvShape &,          \
                                       const T *, const float *,               \
                                       const float *, const float *,           \
                                       const float *, const T *, T *);         \
  template void bnReluConv2dBackwardWeight<T>(                                \
      Context &, const ConvShape &, const T *, const float *, const float *,  \
      const float *, const float *, const T *, float *);                      \
  template void bnAddReluForward<T>(Context &, const ActShape &, const T *,   \
                                    const float *, const float *,              \
                                    const float *, const float *, const T *,   \
                                    T *);                                      \
  template void bnAddReluBackward<T>(Context &, const ActShape &, const T *,  \
                                     const T *, const T *, const float *,      \
                                     const float *, const float *, T *, T *,   \
                                     float *, float *);                        \
  template void bnReluApplyBackward<T>(                                       \
      Context &, const ActShape &, const T *, const T *, const float *,       \
      const float *, const float *, const float *, T *, float *, float *);  \
  template void conv2dBackwardDataBnSums<T>(                                  \
      Context &, const ConvShape &, const T *, const T *, const T *,          \
      const float *, const float *, const float *, const float *, T *,        \
      float *, float *);                                                       \
  template void bnReluGradSums<T>(Context &, const ActShape &, const T *,     \
                                  const T *, const float *, const float *,    \
                                  const float *, const float *, float *,      \
                                  float *);                                    \
  template void bnReluApplyBackwardInput<T>(                                  \
      Context &, const ActShape &, const T *, const T *, const float *,       \
      const float *, const float *, const float *, const float *,             \
      const float *, T *);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
