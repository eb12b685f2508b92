//===- Loss.cpp -----------------------------------------------------------===//

#include "runtime/kernels/Loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cardinal::rt {

namespace {

/// log(sum(exp(row))), shifted by the row max for range safety.
template <typename T> T logSumExp(int64_t k, const T *row) {
  const T m = *std::max_element(row, row + k);
  T sum = 0;
  for (int64_t j = 0; j < k; ++j)
    sum += std::exp(row[j] - m);
  return m + std::log(sum);
}

} // namespace

template <typename T>
T softmaxCrossEntropyForward(int64_t n, int64_t k, const T *logits,
                             const int32_t *labels, T *probs) {
  std::vector<T> rowLoss(n);
#pragma omp parallel for schedule(static) if (n * k >= 65536)
  for (int64_t i = 0; i < n; ++i) {
    const T *row = logits + i * k;
    const T lse = logSumExp(k, row);
    rowLoss[i] = lse - row[labels[i]];
    if (probs)
      for (int64_t j = 0; j < k; ++j)
        probs[i * k + j] = std::exp(row[j] - lse);
  }
  // Summed on one thread in row order: independent of the thread count.
  double total = 0;
  for (int64_t i = 0; i < n; ++i)
    total += rowLoss[i];
  return static_cast<T>(total / n);
}

template <typename T>
void softmaxCrossEntropyBackward(int64_t n, int64_t k, const T *logits,
                                 const int32_t *labels, T dloss, T *dlogits) {
  const T g = dloss / static_cast<T>(n);
#pragma omp parallel for schedule(static) if (n * k >= 65536)
  for (int64_t i = 0; i < n; ++i) {
    const T *row = logits + i * k;
    const T lse = logSumExp(k, row);
    T *out = dlogits + i * k;
    for (int64_t j = 0; j < k; ++j)
      out[j] = std::exp(row[j] - lse) * g;
    out[labels[i]] -= g;
  }
}

template <typename T>
TopKCorrect countTopKCorrect(int64_t n, int64_t k, const T *logits,
                             const int32_t *labels) {
  TopKCorrect c;
  for (int64_t i = 0; i < n; ++i) {
    const T *row = logits + i * k;
    const int32_t label = labels[i];
    const T v = row[label];
    int64_t rank = 0;
    for (int64_t j = 0; j < k; ++j)
      rank += row[j] > v || (row[j] == v && j < label);
    c.top1 += rank < 1;
    c.top5 += rank < 5;
  }
  return c;
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template T softmaxCrossEntropyForward<T>(int64_t, int64_t, const T *,       \
                                           const int32_t *, T *);              \
  template void softmaxCrossEntropyBackward<T>(                               \
      int64_t, int64_t, const T *, const int32_t *, T, T *);                  \
  template TopKCorrect countTopKCorrect<T>(int64_t, int64_t, const T *,       \
                                           const int32_t *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
