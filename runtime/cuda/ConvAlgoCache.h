//===- ConvAlgoCache.h - per-shape conv choices and descriptors (internal) -===//
//
// The Context owns one (created and destroyed in Context.cpp). What the
// first conv call of a shape works out, later calls look up:
//  - `choices`: the cuDNN algorithm (cudnnFind* times them all; the fastest
//    that fits the workspace is kept; CudnnConv.cpp);
//  - `descriptors`: the four cuDNN descriptors of a (shape, data type),
//    created once instead of per call and destroyed with the cache;
//  - `grouped`: generated grouped 3x3 kernel or cuDNN, by timing
//    (GroupedConvChoice.cpp), with the two timing events.
// Not thread-safe: a Context is used by one host thread.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H
#define CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H

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

enum class ConvDirection : int64_t { Forward, BackwardData, BackwardWeight };

/// Every ConvShape field, the element type's cudnnDataType_t, the direction.
using ConvKey = std::array<int64_t, 18>;

inline ConvKey convKey(const ConvShape &s, int64_t dataType,
                       ConvDirection dir) {
  return {s.n,        s.c,       s.h,       s.w,         s.o,
          s.kh,       s.kw,      s.strideH, s.strideW,   s.padH,
          s.padW,     s.dilationH, s.dilationW, s.groups, s.oh,
          s.ow,       dataType,  static_cast<int64_t>(dir)};
}

struct ConvAlgoChoice {
  int algo = 0;              // cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t
  size_t workspaceBytes = 0; // what the algorithm asked for
  float ms = 0.f;            // its measured time
};

/// convKey with the grouped call in place of the direction.
inline ConvKey groupedConvKey(const ConvShape &s, int64_t dataType,
                              GroupedConvOp op) {
  ConvKey key = convKey(s, dataType, ConvDirection::Forward);
  key.back() = static_cast<int64_t>(op);
  return key;
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
  /// `groupedPolicy`: CARDINAL_GROUPED_CONV (groupedConvPolicyFromEnv).
  explicit ConvAlgoCache(ChoicePolicy groupedPolicy)
      : grouped(groupedConvCandidates(), groupedPolicy, /*timedRuns=*/3) {}
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
  /// Created on the first timed trial.
  cudaEvent_t timingStart = nullptr, timingStop = nullptr;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H
