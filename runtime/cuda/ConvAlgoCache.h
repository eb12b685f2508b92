//===- ConvAlgoCache.h - autotuned cuDNN algorithms per conv shape (internal)
//
// The Context owns one. The first conv call of a shape times every cuDNN
// algorithm (cudnnFind*) and records the fastest that fits the workspace;
// later calls of the shape look it up. Not thread-safe: a Context is used
// by one host thread.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H
#define CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H

#include "runtime/kernels/Shapes.h"

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

struct ConvAlgoCache {
  std::map<ConvKey, ConvAlgoChoice> choices;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_CONVALGOCACHE_H
