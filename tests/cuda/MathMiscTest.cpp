//===- MathMiscTest.cpp - loss, SGD and pooling math vs the CPU kernels ---===//
#include "CudaTestUtil.h"

#include "runtime/cuda/math/LossMath.h"
#include "runtime/cuda/math/PoolMath.h"
#include "runtime/cuda/math/SgdMath.h"
#include "runtime/kernels/Loss.h"
#include "runtime/kernels/Pool.h"
#include "runtime/kernels/Sgd.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace cardinal::rt::cuda {
namespace {

using test::randomFloats;
using test::randomLabels;
using test::relError;

TEST(LossMathTest, CrossEntropyAndGradientMatchCpu) {
  std::mt19937 rng(21);
  const int64_t n = 13, k = 37;
  auto logits = randomFloats(rng, n * k, -8.f, 8.f);
  auto labels = randomLabels(rng, n, k);
  const float ref = softmaxCrossEntropyForward<float>(n, k, logits.data(),
                                                      labels.data(), nullptr);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += rowCrossEntropy(k, logits.data() + i * k, labels[i]);
  EXPECT_NEAR(sum / n, ref, 1e-5 * std::fabs(ref));

  std::vector<float> dref(n * k), dgot(n * k);
  softmaxCrossEntropyBackward<float>(n, k, logits.data(), labels.data(), 2.f,
                                     dref.data());
  for (int64_t i = 0; i < n; ++i) {
    const float lse = rowLogSumExp(k, logits.data() + i * k);
    for (int64_t j = 0; j < k; ++j)
      dgot[i * k + j] =
          crossEntropyGrad(logits[i * k + j], lse, j == labels[i], 2.f / n);
  }
  EXPECT_LT(relError(dgot, dref), 1e-5);
}

TEST(LossMathTest, LabelRankMatchesCpuTopKWithTies) {
  std::mt19937 rng(22);
  const int64_t n = 200, k = 10;
  auto logits = randomFloats(rng, n * k);
  for (auto &v : logits) // coarse values: many ties
    v = std::round(v * 2.f);
  auto labels = randomLabels(rng, n, k);
  const TopKCorrect ref =
      countTopKCorrect<float>(n, k, logits.data(), labels.data());
  int64_t top1 = 0, top5 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = labelRank(k, logits.data() + i * k, labels[i]);
    top1 += r < 1;
    top5 += r < 5;
  }
  EXPECT_EQ(top1, ref.top1);
  EXPECT_EQ(top5, ref.top5);
  EXPECT_GT(ref.top5, ref.top1); // the case is not degenerate
}

TEST(SgdMathTest, MatchesCpuForEveryVariant) {
  std::mt19937 rng(23);
  const int64_t n = 257;
  const auto w0 = randomFloats(rng, n), g = randomFloats(rng, n),
             v0 = randomFloats(rng, n);
  struct Variant {
    float momentum, wd;
    bool nesterov, velocity;
  };
  for (Variant var :
       {Variant{0.9f, 1e-4f, false, true}, Variant{0.9f, 5e-4f, true, true},
        Variant{0.f, 1e-4f, false, true}, Variant{0.9f, 0.f, false, false}}) {
    auto wRef = w0, vRef = v0, wGot = w0, vGot = v0;
    sgdUpdate<float>(n, wRef.data(), g.data(),
                     var.velocity ? vRef.data() : nullptr, 0.1f, var.momentum,
                     var.wd, var.nesterov);
    for (int64_t i = 0; i < n; ++i)
      sgdElement(wGot[i], g[i], var.velocity ? &vGot[i] : nullptr, 0.1f,
                 var.momentum, var.wd, var.nesterov);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_FLOAT_EQ(wGot[i], wRef[i]) << i;
      ASSERT_FLOAT_EQ(vGot[i], vRef[i]) << i;
    }
    if (var.velocity && var.momentum != 0.f) {
      EXPECT_NE(vGot, v0);
    }
  }
}

struct PoolCase {
  int64_t n, c, h, w, k, stride, pad;
};

/// The case's name in test ids and gtest's value printout.
std::string caseName(const PoolCase &c) {
  return std::to_string(c.h) + "x" + std::to_string(c.w) + "_k" +
         std::to_string(c.k) + "s" + std::to_string(c.stride) + "p" +
         std::to_string(c.pad);
}
void PrintTo(const PoolCase &c, std::ostream *os) { *os << caseName(c); }

class PoolMathTest : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolMathTest, MaxPoolForwardAndGradMatchCpu) {
  const PoolCase p = GetParam();
  const PoolShape s = PoolShape::make(p.n, p.c, p.h, p.w, p.k, p.stride, p.pad);
  std::mt19937 rng(24);
  auto x = randomFloats(rng, s.inputSize());
  for (auto &v : x) // ties between window elements
    v = std::round(v * 3.f);
  x[1] = NAN; // NaN wins its windows
  auto dy = randomFloats(rng, s.outputSize());
  std::vector<float> y(s.outputSize()), gy(s.outputSize());
  std::vector<int32_t> arg(s.outputSize()), garg(s.outputSize());
  maxPool2dForward<float>(s, x.data(), y.data(), arg.data());
  const int64_t in = s.h * s.w, out = s.oh * s.ow;
  for (int64_t pl = 0; pl < s.n * s.c; ++pl)
    for (int64_t o = 0; o < out; ++o)
      garg[pl * out + o] = maxPoolWindow(s, x.data() + pl * in, o / s.ow,
                                         o % s.ow, &gy[pl * out + o]);
  EXPECT_EQ(garg, arg);
  EXPECT_EQ(relError(gy, y), 0.0);
  EXPECT_TRUE(std::isnan(gy[0])) << "the NaN at x[1] wins window 0";

  std::vector<float> dx(s.inputSize()), gdx(s.inputSize());
  maxPool2dBackwardRecompute<float>(s, x.data(), dy.data(), dx.data());
  for (int64_t pl = 0; pl < s.n * s.c; ++pl)
    for (int64_t q = 0; q < in; ++q)
      gdx[pl * in + q] = maxPoolInputGrad(
          s, x.data() + pl * in, dy.data() + pl * out, q / s.w, q % s.w);
  EXPECT_LT(relError(gdx, dx), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PoolMathTest,
                         ::testing::Values(PoolCase{2, 3, 8, 8, 3, 2, 1},
                                           PoolCase{1, 2, 7, 9, 2, 2, 0},
                                           PoolCase{2, 2, 5, 5, 3, 1, 1},
                                           PoolCase{1, 1, 6, 6, 3, 3, 0}),
                         [](const ::testing::TestParamInfo<PoolCase> &info) {
                           return caseName(info.param);
                         });

TEST(PoolMathTest, PlaneMeanMatchesGlobalAvgPool) {
  std::mt19937 rng(25);
  const ActShape s{3, 4, 7, 7};
  auto x = randomFloats(rng, s.size());
  std::vector<float> y(s.n * s.c), g(s.n * s.c);
  globalAvgPoolForward<float>(s, x.data(), y.data());
  for (int64_t p = 0; p < s.n * s.c; ++p)
    g[p] = planeMean(x.data() + p * s.hw(), s.hw());
  EXPECT_LT(relError(g, y), 1e-6);
}

} // namespace
} // namespace cardinal::rt::cuda
