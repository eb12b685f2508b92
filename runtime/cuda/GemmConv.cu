//===- GemmConv.cu - dense 1x1 convs as cuBLAS strided-batched GEMMs ------===//
//
// The cuBLAS candidate of DenseConvChoice.h: math/Gemm1x1.h's plans, one
// cublasGemmStridedBatchedEx each, fp32 compute (fp32 operands stay fp32:
// the handle does not allow TF32; bf16 operands run on tensor cores). The
// weight gradient's per-sample partials (fp32, in the workspace) are summed
// in sample order by one more kernel, so it is deterministic. A strided
// conv gathers the kept pixels x' into the workspace first; its data
// gradient goes to an fp32 dx' there and is scattered onto dx, rounded
// once (with the accumulated dx when accumulating, as cuBLAS's beta = 1).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/ConvAlgoCache.h"
#include "runtime/cuda/ConvPaths.h"
#include "runtime/cuda/DataType.h"
#include "runtime/cuda/DenseConvChoice.h"
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/Workspace.h"
#include "runtime/cuda/math/Gemm1x1.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {

const std::vector<std::string> &denseConvCandidates() {
  static const std::vector<std::string> names = {"cudnn", "cublas"};
  return names;
}

ChoicePolicy denseConvPolicyFromEnv() {
  return choicePolicyFromEnv("CARDINAL_DENSE_CONV", denseConvCandidates());
}

const char *denseConvOpName(int64_t direction) {
  switch (static_cast<ConvDirection>(direction)) {
  case ConvDirection::Forward:
    return "forward";
  case ConvDirection::BackwardData:
    return "backward data";
  case ConvDirection::BackwardWeight:
    return "backward weight";
  }
  return "?";
}

void printDenseConvChoices(const Context &ctx, std::FILE *out) {
  printConvChoices(ctx.convAlgos->dense, "dense 1x1 conv",
                   "CARDINAL_DENSE_CONV", denseConvOpName, out);
}

namespace {

/// One plan on cuBLAS: operands of type T, results of type CT.
template <typename T, typename CT>
void run(Context &ctx, const Gemm1x1Plan &p, const T *a, const T *b, CT *c,
         float beta, const char *what) {
  const float alpha = 1.f;
  const cudaDataType_t type = DataType<T>::cuda;
  checkCublas(cublasGemmStridedBatchedEx(
                  ctx.cublas, p.transA ? CUBLAS_OP_T : CUBLAS_OP_N,
                  p.transB ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(p.m),
                  static_cast<int>(p.n), static_cast<int>(p.k), &alpha, a,
                  type, static_cast<int>(p.lda), p.strideA, b, type,
                  static_cast<int>(p.ldb), p.strideB, &beta, c,
                  DataType<CT>::cuda, static_cast<int>(p.ldc), p.strideC,
                  static_cast<int>(p.batch), CUBLAS_COMPUTE_32F,
                  CUBLAS_GEMM_DEFAULT),
              what);
}

void requireFit(const ConvShape &s, const char *what) {
  if (!fitsGemm1x1(s))
    throw std::invalid_argument(std::string(what) +
                                ": not a dense unpadded 1x1 conv");
}

int64_t keptElements(const ConvShape &s) { return s.n * s.c * s.oh * s.ow; }

size_t roundUp256(size_t bytes) { return (bytes + 255) / 256 * 256; }

/// Bytes of x' in the workspace ahead of anything else (0: no gather).
template <typename T> size_t gatheredBytes(const ConvShape &s) {
  return gemm1x1Gathers(s) ? roundUp256(sizeof(T) * keptElements(s)) : 0;
}

template <typename T>
__global__ void gatherKeptKernel(ConvShape s, int64_t count, const T *x,
                                 T *kept) {
  CARDINAL_GRID_STRIDE(i, count) {
    kept[i] = x[gemm1x1KeptOffset(s, i)];
  }
}

template <typename T>
__global__ void scatterKeptKernel(ConvShape s, int64_t count,
                                  const float *dkept, T *dx, bool accumulate) {
  CARDINAL_GRID_STRIDE(i, count) {
    const int64_t k = gemm1x1KeptIndex(s, i);
    const float g = k >= 0 ? dkept[k] : 0.f;
    dx[i] = store<T>(accumulate ? load(dx[i]) + g : g);
  }
}

/// x as the GEMMs read it: x itself, or x' gathered into the workspace.
template <typename T>
const T *gemmInput(Context &ctx, const ConvShape &s, const T *x,
                   const char *what) {
  if (!gemm1x1Gathers(s))
    return x;
  const int64_t count = keptElements(s);
  T *kept = workspaceAs<T>(ctx, count, what);
  gatherKeptKernel<<<detail::blocksFor(count), detail::kThreads, 0,
                     ctx.stream>>>(s, count, x, kept);
  detail::checkLaunch(what);
  return kept;
}

} // namespace

template <typename T>
size_t gemmConv1x1WorkspaceBytes(const ConvShape &s, ConvDirection dir) {
  switch (dir) {
  case ConvDirection::Forward:
    return gatheredBytes<T>(s);
  case ConvDirection::BackwardData:
    return gemm1x1Gathers(s) ? sizeof(float) * keptElements(s) : 0;
  case ConvDirection::BackwardWeight:
    return gatheredBytes<T>(s) + sizeof(float) * s.weightSize();
  }
  return 0;
}

template <typename T>
void gemmConv1x1Forward(Context &ctx, const ConvShape &s, const T *x,
                        const T *w, T *y) {
  const char *what = "gemmConv1x1Forward";
  requireFit(s, what);
  run<T, T>(ctx, gemm1x1Forward(s), gemmInput(ctx, s, x, what), w, y, 0.f,
            what);
}

template <typename T>
void gemmConv1x1BackwardData(Context &ctx, const ConvShape &s, const T *dy,
                             const T *w, T *dx, bool accumulate) {
  const char *what = "gemmConv1x1BackwardData";
  requireFit(s, what);
  if (!gemm1x1Gathers(s)) {
    run<T, T>(ctx, gemm1x1BackwardData(s), dy, w, dx, accumulate ? 1.f : 0.f,
              what);
    return;
  }
  float *dkept = workspaceAs<float>(ctx, keptElements(s), what);
  run<T, float>(ctx, gemm1x1BackwardData(s), dy, w, dkept, 0.f, what);
  scatterKeptKernel<<<detail::blocksFor(s.inputSize()), detail::kThreads, 0,
                      ctx.stream>>>(s, s.inputSize(), dkept, dx, accumulate);
  detail::checkLaunch(what);
}

template <typename T>
void gemmConv1x1BackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                               const T *dy, float *dw) {
  const char *what = "gemmConv1x1BackwardWeight";
  requireFit(s, what);
  const int64_t weights = s.weightSize();
  // As many samples' partials at a time as the workspace holds after x'
  // (ResNeXt-50's widest 1x1 at batch 32 would need 268 MB at once); each
  // chunk is added onto the last, the same additions in the same order as
  // one pass, so the result does not depend on the workspace size.
  const size_t offset = gatheredBytes<T>(s);
  if (ctx.workspaceBytes < gemmConv1x1WorkspaceBytes<T>(
                               s, ConvDirection::BackwardWeight))
    workspaceAs<float>(ctx, weights, what, offset); // throws, naming sizes
  const int64_t fit = static_cast<int64_t>(
      (ctx.workspaceBytes - offset) /
      (sizeof(float) * static_cast<size_t>(weights)));
  const T *input = gemmInput(ctx, s, x, what);
  const Gemm1x1Plan plan = gemm1x1BackwardWeight(s);
  for (int64_t n0 = 0; n0 < s.n; n0 += fit) {
    Gemm1x1Plan chunk = plan;
    chunk.batch = std::min(fit, s.n - n0);
    float *partial =
        workspaceAs<float>(ctx, chunk.batch * weights, what, offset);
    run<T, float>(ctx, chunk, input + n0 * plan.strideA,
                  dy + n0 * plan.strideB, partial, 0.f, what);
    detail::sumSlicesKernel<void>
        <<<detail::blocksFor(weights), detail::kThreads, 0, ctx.stream>>>(
            weights, chunk.batch, partial, dw, /*accumulate=*/n0 > 0);
    detail::checkLaunch(what);
  }
}

template size_t gemmConv1x1WorkspaceBytes<float>(const ConvShape &,
                                                ConvDirection);
template size_t gemmConv1x1WorkspaceBytes<bf16>(const ConvShape &,
                                               ConvDirection);
template void gemmConv1x1Forward<float>(Context &, const ConvShape &,
                                        const float *, const float *, float *);
template void gemmConv1x1Forward<bf16>(Context &, const ConvShape &,
                                       const bf16 *, const bf16 *, bf16 *);
template void gemmConv1x1BackwardData<float>(Context &, const ConvShape &,
                                             const float *, const float *,
                                             float *, bool);
template void gemmConv1x1BackwardData<bf16>(Context &, const ConvShape &,
                                            const bf16 *, const bf16 *, bf16 *,
                                            bool);
template void gemmConv1x1BackwardWeight<float>(Context &, const ConvShape &,
                                               const float *, const float *,
                                               float *);
template void gemmConv1x1BackwardWeight<bf16>(Context &, const ConvShape &,
                                              const bf16 *, const bf16 *,
                                              float *);

} // namespace cardinal::rt::cuda
