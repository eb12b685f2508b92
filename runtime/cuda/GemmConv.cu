//===- GemmConv.cu - dense 1x1 convs as cuBLAS strided-batched GEMMs ------===//
//
// The cuBLAS candidate of DenseConvChoice.h: math/Gemm1x1.h's plans, one
// cublasGemmStridedBatchedEx each, fp32 compute (fp32 operands stay fp32:
// the handle does not allow TF32; bf16 operands run on tensor cores). The
// weight gradient's per-sample partials (fp32, in the workspace) are summed
// in sample order by one more kernel, so it is deterministic.
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
                                ": not a dense stride-1 unpadded 1x1 conv");
}

} // namespace

template <typename T>
void gemmConv1x1Forward(Context &ctx, const ConvShape &s, const T *x,
                        const T *w, T *y) {
  requireFit(s, "gemmConv1x1Forward");
  run<T, T>(ctx, gemm1x1Forward(s), x, w, y, 0.f, "gemmConv1x1Forward");
}

template <typename T>
void gemmConv1x1BackwardData(Context &ctx, const ConvShape &s, const T *dy,
                             const T *w, T *dx, bool accumulate) {
  requireFit(s, "gemmConv1x1BackwardData");
  run<T, T>(ctx, gemm1x1BackwardData(s), dy, w, dx, accumulate ? 1.f : 0.f,
            "gemmConv1x1BackwardData");
}

template <typename T>
void gemmConv1x1BackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                               const T *dy, float *dw) {
  const char *what = "gemmConv1x1BackwardWeight";
  requireFit(s, what);
  const int64_t weights = s.weightSize();
  // As many samples' partials at a time as the workspace holds (ResNeXt-50's
  // widest 1x1 at batch 32 would need 268 MB at once); each chunk is added
  // onto the last, the same additions in the same order as one pass, so the
  // result does not depend on the workspace size.
  const int64_t fit = static_cast<int64_t>(
      ctx.workspaceBytes / (sizeof(float) * static_cast<size_t>(weights)));
  if (fit < 1)
    workspaceAs<float>(ctx, weights, what); // throws, naming the sizes
  const Gemm1x1Plan plan = gemm1x1BackwardWeight(s);
  for (int64_t n0 = 0; n0 < s.n; n0 += fit) {
    Gemm1x1Plan chunk = plan;
    chunk.batch = std::min(fit, s.n - n0);
    float *partial = workspaceAs<float>(ctx, chunk.batch * weights, what);
    run<T, float>(ctx, chunk, x + n0 * plan.strideA, dy + n0 * plan.strideB,
                  partial, 0.f, what);
    detail::sumSlicesKernel<void>
        <<<detail::blocksFor(weights), detail::kThreads, 0, ctx.stream>>>(
            weights, chunk.batch, partial, dw, /*accumulate=*/n0 > 0);
    detail::checkLaunch(what);
  }
}

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
