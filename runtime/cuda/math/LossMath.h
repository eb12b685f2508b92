//===- LossMath.h - softmax cross-entropy and top-k rank of one row -------===//
//
// As runtime/kernels/Loss.cpp: logsumexp shifted by the row maximum; a
// label's rank counts larger logits and equal ones at a smaller index.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_LOSSMATH_H
#define CARDINAL_RUNTIME_CUDA_MATH_LOSSMATH_H

#include "runtime/cuda/math/Scalar.h"

#include <math.h>

namespace cardinal::rt::cuda {

template <typename T>
CARDINAL_HD float rowLogSumExp(int64_t k, const T *row) {
  float m = load(row[0]);
  for (int64_t j = 1; j < k; ++j) {
    const float v = load(row[j]);
    m = v > m ? v : m;
  }
  float sum = 0.f;
  for (int64_t j = 0; j < k; ++j)
    sum += expf(load(row[j]) - m);
  return m + logf(sum);
}

/// logsumexp(row) - row[label].
template <typename T>
CARDINAL_HD float rowCrossEntropy(int64_t k, const T *row, int32_t label) {
  return rowLogSumExp(k, row) - load(row[label]);
}

/// d(loss)/d(row[j]) for a loss scaled by g (= dloss / n).
CARDINAL_HD inline float crossEntropyGrad(float logit, float lse, bool isLabel,
                                          float g) {
  return expf(logit - lse) * g - (isLabel ? g : 0.f);
}

template <typename T>
CARDINAL_HD int64_t labelRank(int64_t k, const T *row, int32_t label) {
  const float v = load(row[label]);
  int64_t rank = 0;
  for (int64_t j = 0; j < k; ++j) {
    const float r = load(row[j]);
    rank += r > v || (r == v && j < label);
  }
  return rank;
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_LOSSMATH_H
