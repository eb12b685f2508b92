//===- CudnnConv.cpp - dense convolutions on cuDNN, autotuned per shape ----===//
//
// Host code only (cuDNN's legacy API), compiled by the host compiler. The
// algorithm and the descriptors of a shape are worked out on its first call
// and cached in ctx.convAlgos (ConvAlgoCache.h).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/ConvAlgoCache.h"
#include "runtime/cuda/ConvPaths.h"
#include "runtime/cuda/DataType.h"
#include "runtime/cuda/Workspace.h"

#include <cstdlib>
#include <type_traits>
#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {
namespace {

void checkDnn(cudnnStatus_t status, const char *what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuDNN error in ") + what + ": " +
                             cudnnGetErrorString(status));
}

int toInt(int64_t v) { return static_cast<int>(v); }

/// The four descriptors of (s, type), created on the first call and kept in
/// ctx.convAlgos (destroyed with it): every later conv call of the shape,
/// any direction, reuses them.
const CudnnConvDescriptors &descriptorsFor(Context &ctx, const ConvShape &s,
                                           cudnnDataType_t type) {
  const ConvKey key = convKey(s, type, ConvDirection::Forward);
  auto &cache = ctx.convAlgos->descriptors;
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  CudnnConvDescriptors d;
  try {
    checkDnn(cudnnCreateTensorDescriptor(&d.x), "cudnnCreateTensorDescriptor");
    checkDnn(cudnnCreateTensorDescriptor(&d.y), "cudnnCreateTensorDescriptor");
    checkDnn(cudnnCreateFilterDescriptor(&d.w), "cudnnCreateFilterDescriptor");
    checkDnn(cudnnCreateConvolutionDescriptor(&d.conv),
             "cudnnCreateConvolutionDescriptor");
    checkDnn(cudnnSetTensor4dDescriptor(d.x, CUDNN_TENSOR_NCHW, type,
                                        toInt(s.n), toInt(s.c), toInt(s.h),
                                        toInt(s.w)),
             "cudnnSetTensor4dDescriptor(x)");
    checkDnn(cudnnSetTensor4dDescriptor(d.y, CUDNN_TENSOR_NCHW, type,
                                        toInt(s.n), toInt(s.o), toInt(s.oh),
                                        toInt(s.ow)),
             "cudnnSetTensor4dDescriptor(y)");
    checkDnn(cudnnSetFilter4dDescriptor(d.w, type, CUDNN_TENSOR_NCHW,
                                        toInt(s.o), toInt(s.c / s.groups),
                                        toInt(s.kh), toInt(s.kw)),
             "cudnnSetFilter4dDescriptor");
    checkDnn(cudnnSetConvolution2dDescriptor(
                 d.conv, toInt(s.padH), toInt(s.padW), toInt(s.strideH),
                 toInt(s.strideW), toInt(s.dilationH), toInt(s.dilationW),
                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
             "cudnnSetConvolution2dDescriptor");
    checkDnn(cudnnSetConvolutionGroupCount(d.conv, toInt(s.groups)),
             "cudnnSetConvolutionGroupCount");
    // fp32 stays fp32 (FMA: no TF32 rounding of the operands); bf16 uses
    // tensor cores, accumulating in fp32 (the conv's compute type).
    checkDnn(cudnnSetConvolutionMathType(d.conv, type == CUDNN_DATA_FLOAT
                                                     ? CUDNN_FMA_MATH
                                                     : CUDNN_TENSOR_OP_MATH),
             "cudnnSetConvolutionMathType");
  } catch (...) {
    destroyDescriptors(d);
    throw;
  }
  return cache.emplace(key, d).first->second;
}

bool deterministicOnly() {
  const char *v = std::getenv("CARDINAL_CUDNN_DETERMINISTIC");
  return v && *v && std::string(v) != "0";
}

/// The fastest measured algorithm that succeeded and fits `budget`.
template <typename Perf>
ConvAlgoChoice pickFastest(const Perf *perf, int count, size_t budget,
                           const char *what) {
  const bool det = deterministicOnly();
  for (int i = 0; i < count; ++i) // cudnnFind* sorts by time
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= budget &&
        (!det || perf[i].determinism == CUDNN_DETERMINISTIC))
      return {static_cast<int>(perf[i].algo), perf[i].memory, perf[i].time};
  throw std::runtime_error(std::string(what) +
                           ": no cuDNN algorithm fits the workspace (" +
                           std::to_string(budget) + " bytes)");
}

/// The cached choice for (s, T, dir), autotuning it on a miss.
template <typename T, typename Tune>
ConvAlgoChoice algoFor(Context &ctx, const ConvShape &s, ConvDirection dir,
                       Tune tune) {
  const ConvKey key = convKey(s, DataType<T>::cudnn, dir);
  auto it = ctx.convAlgos->choices.find(key);
  if (it != ctx.convAlgos->choices.end())
    return it->second;
  const ConvAlgoChoice choice = tune();
  ctx.convAlgos->choices.emplace(key, choice);
  return choice;
}

} // namespace

template <typename T>
void cudnnConvForward(Context &ctx, const ConvShape &s, const T *x,
                      const T *w, T *y) {
  const CudnnConvDescriptors &d = descriptorsFor(ctx, s, DataType<T>::cudnn);
  const ConvAlgoChoice c = algoFor<T>(ctx, s, ConvDirection::Forward, [&] {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int got = 0;
    checkDnn(cudnnFindConvolutionForwardAlgorithm(
                 ctx.cudnn, d.x, d.w, d.conv, d.y,
                 CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &got, perf),
             "cudnnFindConvolutionForwardAlgorithm");
    return pickFastest(perf, got, ctx.workspaceBytes, "conv2dForward");
  });
  const float alpha = 1.f, beta = 0.f;
  checkDnn(cudnnConvolutionForward(
               ctx.cudnn, &alpha, d.x, x, d.w, w, d.conv,
               static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), ctx.workspace,
               ctx.workspaceBytes, &beta, d.y, y),
           "cudnnConvolutionForward");
}

template <typename T>
void cudnnConvBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                           const T *w, T *dx, bool accumulate) {
  const CudnnConvDescriptors &d = descriptorsFor(ctx, s, DataType<T>::cudnn);
  const ConvAlgoChoice c =
      algoFor<T>(ctx, s, ConvDirection::BackwardData, [&] {
        cudnnConvolutionBwdDataAlgoPerf_t
            perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
        int got = 0;
        checkDnn(cudnnFindConvolutionBackwardDataAlgorithm(
                     ctx.cudnn, d.w, d.y, d.conv, d.x,
                     CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &got, perf),
                 "cudnnFindConvolutionBackwardDataAlgorithm");
        return pickFastest(perf, got, ctx.workspaceBytes,
                           "conv2dBackwardData");
      });
  const float alpha = 1.f, beta = accumulate ? 1.f : 0.f;
  checkDnn(cudnnConvolutionBackwardData(
               ctx.cudnn, &alpha, d.w, w, d.y, dy, d.conv,
               static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo),
               ctx.workspace, ctx.workspaceBytes, &beta, d.x, dx),
           "cudnnConvolutionBackwardData");
}

template <typename T>
void cudnnConvBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                             const T *dy, float *dw) {
  const CudnnConvDescriptors &d = descriptorsFor(ctx, s, DataType<T>::cudnn);
  // cuDNN writes dw in the data type; for bf16 it goes to the front of the
  // workspace and is widened into dw, cuDNN's own scratch follows it.
  constexpr bool narrow = !std::is_same_v<T, float>;
  const size_t tmpBytes =
      narrow ? (sizeof(T) * s.weightSize() + 255) / 256 * 256 : 0;
  if (tmpBytes >= ctx.workspaceBytes)
    throw std::runtime_error("conv2dBackwardWeight: workspace too small");
  const size_t budget = ctx.workspaceBytes - tmpBytes;
  void *scratch = static_cast<char *>(ctx.workspace) + tmpBytes;
  const ConvAlgoChoice c =
      algoFor<T>(ctx, s, ConvDirection::BackwardWeight, [&] {
        cudnnConvolutionBwdFilterAlgoPerf_t
            perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
        int got = 0;
        checkDnn(cudnnFindConvolutionBackwardFilterAlgorithm(
                     ctx.cudnn, d.x, d.y, d.conv, d.w,
                     CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &got, perf),
                 "cudnnFindConvolutionBackwardFilterAlgorithm");
        return pickFastest(perf, got, budget, "conv2dBackwardWeight");
      });
  const float alpha = 1.f, beta = 0.f;
  void *out = narrow ? ctx.workspace : static_cast<void *>(dw);
  checkDnn(cudnnConvolutionBackwardFilter(
               ctx.cudnn, &alpha, d.x, x, d.y, dy, d.conv,
               static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), scratch,
               budget, &beta, d.w, out),
           "cudnnConvolutionBackwardFilter");
  if constexpr (narrow)
    castBf16ToFloat(ctx, s.weightSize(), static_cast<const bf16 *>(out), dw);
}

#define INSTANTIATE(T)                                                         \
  template void cudnnConvForward<T>(Context &, const ConvShape &, const T *,  \
                                    const T *, T *);                           \
  template void cudnnConvBackwardData<T>(Context &, const ConvShape &,        \
                                         const T *, const T *, T *, bool);    \
  template void cudnnConvBackwardWeight<T>(Context &, const ConvShape &,      \
                                           const T *, const T *, float *);
INSTANTIATE(float)
INSTANTIATE(bf16)

} // namespace cardinal::rt::cuda
