//===- ConvAlgoCache.h - per-shape conv choices and descriptors (internal) -===//
//
// The Context owns one (created and destroyed in Context.cpp). What the
// first conv call of a shape works out, later calls look up:
//  - `choices`: the cuDNN algorithm (cudnnFind* times them all; the fastest
//    that fits the workspace is kept; CudnnConv.cpp);
//  - `descriptors`: the four cuDNN descriptors of a (shape, data type),
//    created once instead of per call and destroyed with the cache;
//  - `grouped`: generated grouped 3x3 kernel or cuDNN, by timing
//    (GroupedConvChoice.cpp), and `dense`: cuDNN or cuBLAS per dense 1x1
//    conv (DenseConvChoice.h), with the two timing events.
// Not thread-safe: a Context is used by one host thread.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H
#define CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H

#include "runtime/cuda/ConvChoice.h"
#include "runtime/cuda/DenseConvChoice.h"
#include "runtime/cuda/GroupedConvChoice.h"
#include "runtime/cuda/KernelChoice.h"
#include "runtime/kernels/Shapes.h"

#include <cuda_runtime.h>
#include <cudnn.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>

namespace cardinal::rt::cuda {

struct ConvAlgoChoice {
  int algo = 0;              // cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t
  size_t workspaceBytes = 0; // what the algorithm asked for
  float ms = 0.f;            // its measured time
};

/// convKey with the grouped call in place of the direction.
inline ConvKey groupedConvKey(const ConvShape &s, int64_t dataType,
                              GroupedConvOp op) {
  return convKey(s, dataType, static_cast<int64_t>(op));
}

/// The descriptors of one (shape, data type): x, y, w and the conv.
struct CudnnConvDescriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
};

/// Destroys what was created (null-safe) and nulls it.
inline void destroyDescriptors(CudnnConvDescriptors &d) {
  if (d.conv)
    cudnnDestroyConvolutionDescriptor(d.conv);
  if (d.w)
    cudnnDestroyFilterDescriptor(d.w);
  if (d.y)
    cudnnDestroyTensorDescriptor(d.y);
  if (d.x)
    cudnnDestroyTensorDescriptor(d.x);
  d = {};
}

struct ConvAlgoCache {
  /// CARDINAL_GROUPED_CONV and CARDINAL_DENSE_CONV (*PolicyFromEnv).
  ConvAlgoCache(ChoicePolicy groupedPolicy, ChoicePolicy densePolicy)
      : grouped(groupedConvCandidates(), groupedPolicy, /*timedRuns=*/3),
        dense(denseConvCandidates(), densePolicy, /*timedRuns=*/3) {}
  ~ConvAlgoCache() {
    for (auto &entry : descriptors)
      destroyDescriptors(entry.second);
    if (timingStart)
      cudaEventDestroy(timingStart);
    if (timingStop)
      cudaEventDestroy(timingStop);
  }
  ConvAlgoCache(const ConvAlgoCache &) = delete;
  ConvAlgoCache &operator=(const ConvAlgoCache &) = delete;

  std::map<ConvKey, ConvAlgoChoice> choices;
  /// Keyed by convKey(s, type, ConvDirection::Forward): all directions
  /// share them.
  std::map<ConvKey, CudnnConvDescriptors> descriptors;
  /// Keyed by groupedConvKey.
  KernelChoice<ConvKey> grouped;
  /// cuDNN or a cuBLAS GEMM per dense 1x1 conv, keyed by convKey
  /// (DenseConvChoice.h).
  KernelChoice<ConvKey> dense;
  /// Created on the first timed trial.
  cudaEvent_t timingStart = nullptr, timingStop = nullptr;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H
