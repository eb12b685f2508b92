//===- CudaTestUtil.h - random tensors and error norms for tests/cuda -----===//
//
// Shared by the host math tests (g++) and the GPU test program: no gtest
// and no CUDA here.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_CUDA_CUDATESTUTIL_H
#define CARDINAL_TESTS_CUDA_CUDATESTUTIL_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace cardinal::rt::cuda::test {

inline std::vector<float> randomFloats(std::mt19937 &rng, int64_t n,
                                       float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto &e : v)
    e = d(rng);
  return v;
}

/// Blocks of `threads` covering n elements, one element a thread.
inline unsigned blocksOf(int64_t n, unsigned threads) {
  return static_cast<unsigned>((n + threads - 1) / threads);
}

inline std::vector<int32_t> randomLabels(std::mt19937 &rng, int64_t n,
                                         int64_t k) {
  std::uniform_int_distribution<int32_t> d(0, static_cast<int32_t>(k - 1));
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (auto &e : v)
    e = d(rng);
  return v;
}

/// max |a - b| / max(max |b|, 1e-6): norm-wise relative error; infinite if
/// the sizes differ or a NaN appears on one side only.
template <typename A, typename B>
double relError(const std::vector<A> &a, const std::vector<B> &b) {
  if (a.size() != b.size())
    return INFINITY;
  double diff = 0, scale = 1e-6;
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = a[i], y = b[i];
    if (std::isnan(x) != std::isnan(y))
      return INFINITY;
    if (std::isnan(x))
      continue;
    diff = std::max(diff, std::fabs(x - y));
    scale = std::max(scale, std::fabs(y));
  }
  return diff / scale;
}

} // namespace cardinal::rt::cuda::test

#endif // CARDINAL_TESTS_CUDA_CUDATESTUTIL_H
