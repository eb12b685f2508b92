//===- FusedBnTest.cpp - the fused training BN + ReLU kernels --------------===//
//
// bnTrainReluForward against batchNormForwardTrain -> reluForward and
// bnReluBackward against reluBackward -> batchNormBackward: outputs, saved
// statistics, running statistics and gradients, ≤ 1e-6 relative in float and
// ≤ 1e-12 in double, over several shapes (hw = 1 included); the same with a
// synchronized-BN reducer installed (the fallback path); and a central
// finite-difference check of the fused backward in double.
//
//===----------------------------------------------------------------------===//
#include "runtime/Random.h"
#include "runtime/kernels/Kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace cardinal::rt;

namespace {

template <typename T>
std::vector<T> uniform(Random &rng, int64_t n, double lo, double hi) {
  std::vector<T> v(n);
  for (auto &e : v)
    e = static_cast<T>(lo + (hi - lo) * rng.uniform());
  return v;
}

template <typename T>
double relError(const std::vector<T> &a, const std::vector<T> &b) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs((double)a[i] - (double)b[i]));
    ref = std::max(ref, std::fabs((double)b[i]));
  }
  return diff / std::max(ref, 1e-30);
}

template <typename T> void compare(const ActShape &s, double tol) {
  Random rng(5 + s.c + s.h);
  const int64_t n = s.size();
  auto x = uniform<T>(rng, n, -1, 1.5);
  auto dy = uniform<T>(rng, n, -1, 1);
  auto scale = uniform<T>(rng, s.c, 0.5, 1.5),
       shift = uniform<T>(rng, s.c, -0.5, 0.5);
  auto rm0 = uniform<T>(rng, s.c, -0.2, 0.2), rv0 = uniform<T>(rng, s.c, 0.5, 2);
  const T eps = T(1e-5), momentum = T(0.1);

  // Unfused.
  std::vector<T> yRef(n), mRef(s.c), isRef(s.c), rmRef = rm0, rvRef = rv0;
  batchNormForwardTrain<T>(s, x.data(), scale.data(), shift.data(), eps,
                           momentum, yRef.data(), mRef.data(), isRef.data(),
                           rmRef.data(), rvRef.data());
  reluForward<T>(n, yRef.data(), yRef.data());
  std::vector<T> g(n), dxRef(n), dsRef(s.c), dtRef(s.c);
  reluBackward<T>(n, yRef.data(), dy.data(), g.data());
  batchNormBackward<T>(s, x.data(), g.data(), scale.data(), mRef.data(),
                       isRef.data(), dxRef.data(), dsRef.data(), dtRef.data());

  // Fused.
  std::vector<T> y(n, T(NAN)), m(s.c), is(s.c), rm = rm0, rv = rv0;
  bnTrainReluForward<T>(s, x.data(), scale.data(), shift.data(), eps, momentum,
                        y.data(), m.data(), is.data(), rm.data(), rv.data());
  std::vector<T> dx(n, T(NAN)), ds(s.c), dt(s.c);
  bnReluBackward<T>(s, x.data(), y.data(), dy.data(), scale.data(), m.data(),
                    is.data(), dx.data(), ds.data(), dt.data());

  EXPECT_LE(relError(y, yRef), tol);
  EXPECT_LE(relError(m, mRef), tol);
  EXPECT_LE(relError(is, isRef), tol);
  EXPECT_LE(relError(rm, rmRef), tol);
  EXPECT_LE(relError(rv, rvRef), tol);
  EXPECT_LE(relError(dx, dxRef), tol);
  EXPECT_LE(relError(ds, dsRef), tol);
  EXPECT_LE(relError(dt, dtRef), tol);
}

const ActShape kShapes[] = {{2, 3, 4, 5}, {4, 16, 8, 8}, {8, 5, 1, 1},
                            {32, 64, 16, 16}};

void identityReduce(double *, int64_t, void *) {} // one replica

} // namespace

TEST(FusedBnKernel, FloatMatchesUnfused) {
  for (const ActShape &s : kShapes)
    compare<float>(s, 1e-6);
}

TEST(FusedBnKernel, DoubleMatchesUnfused) {
  for (const ActShape &s : kShapes)
    compare<double>(s, 1e-12);
}

TEST(FusedBnKernel, SyncBnFallbackMatchesUnfused) {
  setBatchNormReduce(identityReduce, nullptr);
  for (const ActShape &s : kShapes)
    compare<float>(s, 1e-6);
  setBatchNormReduce(nullptr, nullptr);
}

// L = sum(w ⊙ relu(bn_train(x))): the fused backward's dx, dscale, dshift
// against central differences (double, points away from the ReLU kink).
TEST(FusedBnKernel, GradCheckDouble) {
  const ActShape s{3, 2, 2, 3};
  const int64_t n = s.size();
  Random rng(99);
  auto x = uniform<double>(rng, n, -1, 1);
  auto w = uniform<double>(rng, n, -1, 1);
  auto scale = uniform<double>(rng, s.c, 0.5, 1.5),
       shift = uniform<double>(rng, s.c, -0.3, 0.3);
  auto loss = [&](const std::vector<double> &xv, const std::vector<double> &sc,
                  const std::vector<double> &sh) {
    std::vector<double> y(n), m(s.c), is(s.c);
    bnTrainReluForward<double>(s, xv.data(), sc.data(), sh.data(), 1e-5, 0.1,
                               y.data(), m.data(), is.data(), nullptr, nullptr);
    double l = 0;
    for (int64_t i = 0; i < n; ++i)
      l += w[i] * y[i];
    return l;
  };
  std::vector<double> y(n), m(s.c), is(s.c), dx(n), ds(s.c), dt(s.c);
  bnTrainReluForward<double>(s, x.data(), scale.data(), shift.data(), 1e-5,
                             0.1, y.data(), m.data(), is.data(), nullptr,
                             nullptr);
  bnReluBackward<double>(s, x.data(), y.data(), w.data(), scale.data(),
                         m.data(), is.data(), dx.data(), ds.data(), dt.data());
  const double h = 1e-6;
  auto fd = [&](std::vector<double> &v, int64_t i) {
    double keep = v[i];
    v[i] = keep + h;
    double lp = loss(x, scale, shift);
    v[i] = keep - h;
    double lm = loss(x, scale, shift);
    v[i] = keep;
    return (lp - lm) / (2 * h);
  };
  for (int64_t i = 0; i < n; ++i)
    EXPECT_NEAR(dx[i], fd(x, i), 1e-6) << "dx " << i;
  for (int64_t c = 0; c < s.c; ++c) {
    EXPECT_NEAR(ds[c], fd(scale, c), 1e-6) << "dscale " << c;
    EXPECT_NEAR(dt[c], fd(shift, c), 1e-6) << "dshift " << c;
  }
}
