//===- TestUtil.h - helpers for the runtime kernel tests -------------------===//
//
// Random tensors from the runtime's own generator, closeness checks, and a
// central-difference gradient checker: for a kernel f and a fixed random
// cotangent r, d<r, f(x)>/dx computed by finite differences must match the
// backward kernel's output given dy = r.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_RUNTIME_TESTUTIL_H
#define CARDINAL_TESTS_RUNTIME_TESTUTIL_H

#include "runtime/Random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

namespace cardinal::rt::test {

/// n values uniform in [lo, hi).
template <typename T = double>
std::vector<T> uniform(Random &rng, int64_t n, double lo = -1, double hi = 1) {
  std::vector<T> v(n);
  for (auto &e : v)
    e = static_cast<T>(lo + (hi - lo) * rng.uniform());
  return v;
}

/// Like uniform, but every |value| >= margin (away from relu's kink).
inline std::vector<double> uniformAwayFromZero(Random &rng, int64_t n,
                                               double margin = 1e-2) {
  std::vector<double> v(n);
  for (auto &e : v) {
    do
      e = 2 * rng.uniform() - 1;
    while (std::fabs(e) < margin);
  }
  return v;
}

template <typename To, typename From>
std::vector<To> cast(const std::vector<From> &v) {
  return std::vector<To>(v.begin(), v.end());
}

inline double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

/// max |a - b| / max(max |b|, tiny): a norm-wise relative error.
template <typename A, typename B>
double relError(const std::vector<A> &a, const std::vector<B> &b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return diff / scale;
}

/// Element-wise |a - b| <= tol * (1 + |b|), reporting the first failure.
template <typename A, typename B>
::testing::AssertionResult allClose(const std::vector<A> &a,
                                    const std::vector<B> &b, double tol) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure()
           << "size " << a.size() << " vs " << b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = a[i], y = b[i];
    if (!(std::fabs(x - y) <= tol * (1 + std::fabs(y))))
      return ::testing::AssertionFailure()
             << "element " << i << ": " << x << " vs " << y << " (tol " << tol
             << ")";
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult bitIdentical(const std::vector<T> &a,
                                        const std::vector<T> &b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << "sizes differ";
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0)
      return ::testing::AssertionFailure()
             << "element " << i << ": " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

/// Central differences of L(x) = loss(x) at every element of x.
inline std::vector<double>
numericGradient(std::vector<double> &x,
                const std::function<double()> &loss, double h = 1e-6) {
  std::vector<double> g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + h;
    const double up = loss();
    x[i] = saved - h;
    const double down = loss();
    x[i] = saved;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/// Checks `analytic` against central differences of loss() with respect to
/// x (which loss() reads by reference).
inline void expectGradient(const char *what, std::vector<double> &x,
                           const std::function<double()> &loss,
                           const std::vector<double> &analytic,
                           double tol = 1e-6) {
  const std::vector<double> numeric = numericGradient(x, loss);
  const double err = relError(analytic, numeric);
  EXPECT_LE(err, tol) << what << ": analytic vs numeric gradient";
}

} // namespace cardinal::rt::test

#endif // CARDINAL_TESTS_RUNTIME_TESTUTIL_H
