//===- NormPoolTest.cpp - batch norm, max pool, global average pool -------===//

#include "TestUtil.h"

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/Pool.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

using namespace cardinal::rt;
using namespace cardinal::rt::test;

//===----------------------------------------------------------------------===//
// Batch norm.
//===----------------------------------------------------------------------===//

namespace {

template <typename T> void bnTrainMatchesFormula(double tol) {
  const ActShape s{3, 4, 5, 6};
  const int64_t hw = s.hw(), count = s.n * hw;
  Random rng(20);
  auto x = uniform<T>(rng, s.size(), -2, 3);
  auto scale = uniform<T>(rng, s.c), shift = uniform<T>(rng, s.c);
  auto rm = uniform<T>(rng, s.c), rv = uniform<T>(rng, s.c, 0.5, 2);
  const auto rm0 = rm, rv0 = rv;
  const T eps = T(1e-5), momentum = T(0.1);
  std::vector<T> y(s.size()), mean(s.c), invStd(s.c);
  batchNormForwardTrain<T>(s, x.data(), scale.data(), shift.data(), eps,
                           momentum, y.data(), mean.data(), invStd.data(),
                           rm.data(), rv.data());
  for (int64_t c = 0; c < s.c; ++c) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < hw; ++i)
        sum += x[(n * s.c + c) * hw + i];
    const double mu = sum / count;
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < hw; ++i) {
        const double d = x[(n * s.c + c) * hw + i] - mu;
        sq += d * d;
      }
    const double var = sq / count, unbiased = sq / (count - 1);
    const double is = 1 / std::sqrt(var + eps);
    EXPECT_NEAR(mean[c], mu, tol);
    EXPECT_NEAR(invStd[c], is, tol * is);
    EXPECT_NEAR(rm[c], (1 - 0.1) * rm0[c] + 0.1 * mu, tol);
    EXPECT_NEAR(rv[c], (1 - 0.1) * rv0[c] + 0.1 * unbiased, tol);
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t i = 0; i < hw; ++i) {
        const int64_t k = (n * s.c + c) * hw + i;
        EXPECT_NEAR(y[k], (x[k] - mu) * is * scale[c] + shift[c], tol * 10);
      }
  }
}

} // namespace

TEST(BatchNorm, TrainForwardAndRunningStatsFloat) {
  bnTrainMatchesFormula<float>(1e-5);
}
TEST(BatchNorm, TrainForwardAndRunningStatsDouble) {
  bnTrainMatchesFormula<double>(1e-12);
}

TEST(BatchNorm, EvalUsesRunningStats) {
  const ActShape s{2, 3, 4, 4};
  Random rng(21);
  auto x = uniform(rng, s.size());
  auto scale = uniform(rng, s.c), shift = uniform(rng, s.c);
  auto rm = uniform(rng, s.c), rv = uniform(rng, s.c, 0.5, 2);
  std::vector<double> y(s.size());
  batchNormForwardEval<double>(s, x.data(), scale.data(), shift.data(),
                               rm.data(), rv.data(), 1e-5, y.data());
  for (int64_t i = 0; i < s.size(); ++i) {
    const int64_t c = (i / s.hw()) % s.c;
    EXPECT_NEAR(y[i],
                (x[i] - rm[c]) / std::sqrt(rv[c] + 1e-5) * scale[c] + shift[c],
                1e-12);
  }
}

TEST(BatchNorm, FloatStaysAccurateForLargeMeans) {
  // |mean| >> std: stats in double, normalization as (x - mean) * a.
  const ActShape s{4, 2, 8, 8};
  Random rng(22);
  auto xd = uniform(rng, s.size(), 999, 1001);
  auto x = cast<float>(xd);
  std::vector<float> y(s.size()), mean(s.c), invStd(s.c);
  std::vector<double> yd(s.size()), meand(s.c), invStdd(s.c);
  batchNormForwardTrain<float>(s, x.data(), nullptr, nullptr, 1e-5f, 0.1f,
                               y.data(), mean.data(), invStd.data(), nullptr,
                               nullptr);
  auto xf = cast<double>(x); // the same inputs, exactly
  batchNormForwardTrain<double>(s, xf.data(), nullptr, nullptr, 1e-5, 0.1,
                                yd.data(), meand.data(), invStdd.data(),
                                nullptr, nullptr);
  EXPECT_TRUE(allClose(y, yd, 1e-4));
}

TEST(BatchNorm, GradCheck) {
  for (const ActShape s : {ActShape{3, 2, 3, 4}, ActShape{5, 3, 1, 1}}) {
    Random rng(23);
    auto x = uniform(rng, s.size(), -1, 2);
    auto scale = uniform(rng, s.c, 0.5, 1.5), shift = uniform(rng, s.c);
    auto r = uniform(rng, s.size());
    std::vector<double> y(s.size()), mean(s.c), invStd(s.c);
    auto loss = [&] {
      batchNormForwardTrain<double>(s, x.data(), scale.data(), shift.data(),
                                    1e-5, 0.1, y.data(), mean.data(),
                                    invStd.data(), nullptr, nullptr);
      return dot(r, y);
    };
    loss();
    std::vector<double> dx(s.size()), dscale(s.c), dshift(s.c);
    batchNormBackward<double>(s, x.data(), r.data(), scale.data(), mean.data(),
                              invStd.data(), dx.data(), dscale.data(),
                              dshift.data());
    expectGradient("dx", x, loss, dx);
    expectGradient("dscale", scale, loss, dscale);
    expectGradient("dshift", shift, loss, dshift);
  }
}

//===----------------------------------------------------------------------===//
// Max pool.
//===----------------------------------------------------------------------===//

namespace {

std::vector<PoolShape> poolShapes() {
  PoolShape asym;
  asym.n = 1, asym.c = 2, asym.h = 7, asym.w = 6, asym.kh = 2, asym.kw = 3;
  asym.strideH = 2, asym.strideW = 1, asym.padH = 1, asym.padW = 1;
  return {PoolShape::make(2, 3, 9, 9, 3, 2, 1), // ResNet stem pool
          PoolShape::make(2, 2, 8, 6, 2, 2, 0),
          PoolShape::make(1, 2, 5, 5, 3, 1, 1), asym.computeOutput()};
}

template <typename T>
void naiveMaxPool(const PoolShape &s, const std::vector<T> &x,
                  std::vector<T> &y, std::vector<int32_t> &idx) {
  y.assign(s.outputSize(), T(0));
  idx.assign(s.outputSize(), -1);
  for (int64_t p = 0; p < s.n * s.c; ++p)
    for (int64_t oh = 0; oh < s.oh; ++oh)
      for (int64_t ow = 0; ow < s.ow; ++ow) {
        T best = -std::numeric_limits<T>::infinity();
        int32_t arg = -1;
        for (int64_t i = 0; i < s.kh; ++i)
          for (int64_t j = 0; j < s.kw; ++j) {
            const int64_t ih = oh * s.strideH - s.padH + i;
            const int64_t iw = ow * s.strideW - s.padW + j;
            if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w)
              continue;
            const T v = x[p * s.h * s.w + ih * s.w + iw];
            if (arg < 0 || v > best)
              best = v, arg = int32_t(ih * s.w + iw);
          }
        const int64_t o = (p * s.oh + oh) * s.ow + ow;
        y[o] = best, idx[o] = arg;
      }
}

} // namespace

TEST(MaxPool, ForwardMatchesNaive) {
  Random rng(30);
  for (const PoolShape &s : poolShapes()) {
    auto x = uniform<float>(rng, s.inputSize());
    std::vector<float> y(s.outputSize()), ref;
    std::vector<int32_t> idx(s.outputSize()), refIdx;
    maxPool2dForward<float>(s, x.data(), y.data(), idx.data());
    naiveMaxPool(s, x, ref, refIdx);
    EXPECT_EQ(y, ref);
    EXPECT_EQ(idx, refIdx);
    std::vector<float> y2(s.outputSize());
    maxPool2dForward<float>(s, x.data(), y2.data(), nullptr);
    EXPECT_EQ(y2, ref);
  }
}

// The inference path (no argmax: vector max per tap row) and the argmax
// path agree bit for bit, NaNs included: a NaN propagates and the first
// one in window order (its payload) is the one kept.
TEST(MaxPool, NoArgmaxPathPropagatesTheFirstNaN) {
  Random rng(31);
  for (const PoolShape &s : poolShapes()) {
    auto x = uniform<float>(rng, s.inputSize());
    for (size_t i = 0; i < x.size(); i += 7) {
      uint32_t bits = 0x7fc00000u | static_cast<uint32_t>(i); // payload = i
      std::memcpy(&x[i], &bits, sizeof bits);
    }
    std::vector<float> a(s.outputSize()), b(s.outputSize());
    std::vector<int32_t> idx(s.outputSize());
    maxPool2dForward<float>(s, x.data(), a.data(), idx.data());
    maxPool2dForward<float>(s, x.data(), b.data(), nullptr);
    int64_t nans = 0;
    for (size_t o = 0; o < a.size(); ++o)
      nans += std::isnan(a[o]);
    EXPECT_GT(nans, 0);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  }
}

TEST(MaxPool, FirstMaximumWinsTies) {
  PoolShape s = PoolShape::make(1, 1, 2, 2, 2, 2, 0);
  std::vector<double> x = {1, 3, 3, 0}, y(1);
  std::vector<int32_t> idx(1);
  maxPool2dForward<double>(s, x.data(), y.data(), idx.data());
  EXPECT_EQ(y[0], 3);
  EXPECT_EQ(idx[0], 1);
}

TEST(MaxPool, GradCheckAndRecomputeAgree) {
  Random rng(31);
  for (const PoolShape &s : poolShapes()) {
    auto x = uniform(rng, s.inputSize());
    auto r = uniform(rng, s.outputSize());
    std::vector<double> y(s.outputSize());
    std::vector<int32_t> idx(s.outputSize());
    auto loss = [&] {
      maxPool2dForward<double>(s, x.data(), y.data(), nullptr);
      return dot(r, y);
    };
    maxPool2dForward<double>(s, x.data(), y.data(), idx.data());
    std::vector<double> dx(s.inputSize(), 5.0), dx2(s.inputSize(), 5.0);
    maxPool2dBackward<double>(s, idx.data(), r.data(), dx.data());
    maxPool2dBackwardRecompute<double>(s, x.data(), r.data(), dx2.data());
    EXPECT_EQ(dx, dx2);
    expectGradient("dx", x, loss, dx);
    // accumulate adds onto what is there.
    std::vector<double> acc(s.inputSize(), 1.0);
    maxPool2dBackward<double>(s, idx.data(), r.data(), acc.data(), true);
    for (size_t i = 0; i < acc.size(); ++i)
      EXPECT_DOUBLE_EQ(acc[i], 1.0 + dx[i]);
  }
}

//===----------------------------------------------------------------------===//
// Global average pool.
//===----------------------------------------------------------------------===//

TEST(GlobalAvgPool, ForwardAndGradCheck) {
  const ActShape s{2, 3, 4, 5};
  Random rng(32);
  auto x = uniform(rng, s.size());
  auto r = uniform(rng, s.n * s.c);
  std::vector<double> y(s.n * s.c);
  auto loss = [&] {
    globalAvgPoolForward<double>(s, x.data(), y.data());
    return dot(r, y);
  };
  loss();
  for (int64_t p = 0; p < s.n * s.c; ++p) {
    double sum = 0;
    for (int64_t i = 0; i < s.hw(); ++i)
      sum += x[p * s.hw() + i];
    EXPECT_NEAR(y[p], sum / s.hw(), 1e-14);
  }
  std::vector<double> dx(s.size());
  globalAvgPoolBackward<double>(s, r.data(), dx.data());
  expectGradient("dx", x, loss, dx);
  std::vector<double> acc(s.size(), 2.0);
  globalAvgPoolBackward<double>(s, r.data(), acc.data(), true);
  for (int64_t i = 0; i < s.size(); ++i)
    EXPECT_DOUBLE_EQ(acc[i], 2.0 + dx[i]);
}
