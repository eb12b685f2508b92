//===- MathBnTest.cpp - math/BnMath.h vs the CPU batch-norm kernels -------===//
//
// The device algorithm replayed on the host: each channel's elements split
// into slices and per-"thread" Welford states, merged pairwise (Chan) in a
// tree as the kernels do; then apply / running update / backward formulas.
// Results must match runtime/kernels' double-precision two-pass BN.
//
//===----------------------------------------------------------------------===//
#include "CudaTestUtil.h"

#include "runtime/cuda/math/BnMath.h"
#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/FusedBn.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace cardinal::rt::cuda {
namespace {

using test::randomFloats;
using test::relError;

/// Channel c's statistics the way the kernels get them: `slices` blocks of
/// `threads` strided Welford states, tree-merged, then slices merged in
/// order.
Welford deviceStats(const ActShape &s, const std::vector<float> &x, int64_t c,
                    int64_t slices, int64_t threads) {
  const int64_t hw = s.hw(), count = s.n * hw;
  const int64_t per = (count + slices - 1) / slices;
  Welford total;
  for (int64_t sl = 0; sl < slices; ++sl) {
    std::vector<Welford> t(threads);
    for (int64_t i = sl * per; i < std::min(count, (sl + 1) * per); ++i) {
      const int64_t n = i / hw, p = i % hw;
      t[(i - sl * per) % threads].add(x[(n * s.c + c) * hw + p]);
    }
    for (int64_t stride = 1; stride < threads; stride *= 2)
      for (int64_t k = 0; k + stride < threads; k += 2 * stride)
        t[k].merge(t[k + stride]);
    total.merge(t[0]);
  }
  return total;
}

struct BnCase {
  int64_t n, c, h, w;
  float mean, spread;
  int64_t slices, threads;
};

/// The case's name in test ids and gtest's value printout.
std::string caseName(const BnCase &c) {
  return std::to_string(c.n) + "x" + std::to_string(c.c) + "x" +
         std::to_string(c.h) + "x" + std::to_string(c.w) + "_mean" +
         std::to_string(static_cast<int>(c.mean)) + "_slices" +
         std::to_string(c.slices);
}
void PrintTo(const BnCase &c, std::ostream *os) { *os << caseName(c); }

class BnMathTest : public ::testing::TestWithParam<BnCase> {};

TEST_P(BnMathTest, TrainForwardMatchesCpu) {
  const BnCase p = GetParam();
  const ActShape s{p.n, p.c, p.h, p.w};
  std::mt19937 rng(7);
  auto x = randomFloats(rng, s.size(), p.mean - p.spread, p.mean + p.spread);
  auto scale = randomFloats(rng, s.c, 0.5f, 1.5f),
       shift = randomFloats(rng, s.c);
  const float eps = 1e-5f, momentum = 0.1f;
  for (bool relu : {false, true}) {
    std::vector<float> y(s.size()), mean(s.c), invStd(s.c), rm(s.c, 0.5f),
        rv(s.c, 2.f);
    if (relu)
      bnTrainReluForward<float>(s, x.data(), scale.data(), shift.data(), eps,
                                momentum, y.data(), mean.data(), invStd.data(),
                                rm.data(), rv.data());
    else
      batchNormForwardTrain<float>(s, x.data(), scale.data(), shift.data(), eps,
                                   momentum, y.data(), mean.data(),
                                   invStd.data(), rm.data(), rv.data());
    std::vector<float> gy(s.size()), gMean(s.c), gInv(s.c), gRm(s.c), gRv(s.c);
    for (int64_t c = 0; c < s.c; ++c) {
      const Welford w = deviceStats(s, x, c, p.slices, p.threads);
      ASSERT_EQ(w.count, float(s.n * s.hw()));
      gMean[c] = w.mean;
      gInv[c] = bnInvStd(w.variance(), eps);
      gRm[c] = bnRunningMean(0.5f, w.mean, momentum);
      gRv[c] = bnRunningVar(2.f, w.variance(), w.count, momentum);
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t i = 0; i < s.hw(); ++i) {
          const int64_t at = (n * s.c + c) * s.hw() + i;
          gy[at] = bnApply(x[at], gMean[c], scale[c] * gInv[c], shift[c], relu);
        }
    }
    EXPECT_LT(relError(gMean, mean), 1e-6) << "relu " << relu;
    EXPECT_LT(relError(gInv, invStd), 1e-4) << "relu " << relu;
    EXPECT_LT(relError(gRm, rm), 1e-6);
    EXPECT_LT(relError(gRv, rv), 1e-4);
    EXPECT_LT(relError(gy, y), 1e-4) << "relu " << relu;
  }
}

TEST_P(BnMathTest, BackwardMatchesCpu) {
  const BnCase p = GetParam();
  const ActShape s{p.n, p.c, p.h, p.w};
  std::mt19937 rng(8);
  auto x = randomFloats(rng, s.size(), p.mean - p.spread, p.mean + p.spread);
  auto dy = randomFloats(rng, s.size()),
       scale = randomFloats(rng, s.c, .5f, 2.f), shift = randomFloats(rng, s.c);
  std::vector<float> y(s.size()), mean(s.c), invStd(s.c);
  for (bool relu : {false, true}) {
    if (relu)
      bnTrainReluForward<float>(s, x.data(), scale.data(), shift.data(), 1e-5f,
                                0.1f, y.data(), mean.data(), invStd.data(),
                                nullptr, nullptr);
    else
      batchNormForwardTrain<float>(s, x.data(), scale.data(), shift.data(),
                                   1e-5f, 0.1f, y.data(), mean.data(),
                                   invStd.data(), nullptr, nullptr);
    std::vector<float> dx(s.size()), dscale(s.c), dshift(s.c);
    if (relu)
      bnReluBackward<float>(s, x.data(), y.data(), dy.data(), scale.data(),
                            mean.data(), invStd.data(), dx.data(),
                            dscale.data(), dshift.data());
    else
      batchNormBackward<float>(s, x.data(), dy.data(), scale.data(),
                               mean.data(), invStd.data(), dx.data(),
                               dscale.data(), dshift.data());
    std::vector<float> gdx(s.size()), gds(s.c), gdb(s.c);
    const int64_t hw = s.hw();
    for (int64_t c = 0; c < s.c; ++c) {
      float sumDy = 0, sumDyXmu = 0;
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t i = 0; i < hw; ++i) {
          const int64_t at = (n * s.c + c) * hw + i;
          const float g = relu ? reluGrad(y[at], dy[at]) : dy[at];
          sumDy += g;
          sumDyXmu += g * (x[at] - mean[c]);
        }
      const BnBackwardCoefs k = bnBackwardCoefs(scale[c], invStd[c], sumDy,
                                                sumDyXmu, float(s.n * hw));
      gds[c] = sumDyXmu * invStd[c];
      gdb[c] = sumDy;
      for (int64_t n = 0; n < s.n; ++n)
        for (int64_t i = 0; i < hw; ++i) {
          const int64_t at = (n * s.c + c) * hw + i;
          const float g = relu ? reluGrad(y[at], dy[at]) : dy[at];
          gdx[at] = bnBackwardElement(k, g, x[at], mean[c]);
        }
    }
    EXPECT_LT(relError(gdx, dx), 2e-4) << "relu " << relu;
    EXPECT_LT(relError(gds, dscale), 1e-4) << "relu " << relu;
    EXPECT_LT(relError(gdb, dshift), 1e-4) << "relu " << relu;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BnMathTest,
    ::testing::Values(BnCase{4, 3, 5, 5, 0.f, 1.f, 1, 32},
                      BnCase{8, 5, 7, 9, 0.3f, 2.f, 3, 64},
                      BnCase{16, 2, 1, 1, 0.f, 1.f, 2, 8}, // [N, C] (BN1d)
                      // |mean| >> std: E[x^2] - E[x]^2 would lose it all.
                      BnCase{4, 2, 16, 16, 1000.f, 1.f, 4, 256}),
    [](const ::testing::TestParamInfo<BnCase> &info) {
      return caseName(info.param);
    });

TEST(WelfordTest, MergeEqualsSequentialAndHandlesEmpty) {
  std::mt19937 rng(9);
  auto v = randomFloats(rng, 1000, 5.f, 6.f);
  Welford all, a, b, empty;
  for (size_t i = 0; i < v.size(); ++i) {
    all.add(v[i]);
    (i < 300 ? a : b).add(v[i]);
  }
  Welford m = a;
  m.merge(empty);
  m.merge(b);
  Welford e = empty;
  e.merge(a);
  EXPECT_EQ(e.count, a.count);
  EXPECT_EQ(e.mean, a.mean);
  EXPECT_EQ(m.count, 1000.f);
  EXPECT_NEAR(m.mean, all.mean, 1e-5);
  EXPECT_NEAR(m.variance(), all.variance(), 1e-5);
  double mean = 0, var = 0;
  for (float f : v)
    mean += f;
  mean /= v.size();
  for (float f : v)
    var += (f - mean) * (f - mean);
  var /= v.size();
  EXPECT_NEAR(m.variance(), var, 1e-5);
  EXPECT_NEAR(m.variance(), 1.0 / 12, 1e-2); // uniform on an interval of 1
}

} // namespace
} // namespace cardinal::rt::cuda
