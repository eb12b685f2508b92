//===- FusedConvTest.cpp - conv2dBnActForward vs the unfused kernels ------===//
//
// The fused kernel (BN folded into weights and bias at call time, residual
// and ReLU in the epilogue) against conv2dForward -> batchNormForwardEval ->
// add -> reluForward, in float, ≤ 1e-5 norm-wise relative, over dense,
// strided, grouped (both conv algorithms) and depthwise shapes.
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

std::vector<float> uniform(Random &rng, int64_t n, double lo, double hi) {
  std::vector<float> v(n);
  for (auto &e : v)
    e = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return v;
}

double relError(const std::vector<float> &a, const std::vector<float> &b) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs((double)a[i] - b[i]));
    ref = std::max(ref, std::fabs((double)b[i]));
  }
  return diff / std::max(ref, 1e-30);
}

void checkShape(const ConvShape &s, bool residual, bool relu, ConvAlgo algo) {
  Random rng(17 + s.o + s.groups);
  auto x = uniform(rng, s.inputSize(), -1, 1);
  auto w = uniform(rng, s.weightSize(), -0.5, 0.5);
  auto scale = uniform(rng, s.o, 0.5, 1.5), shift = uniform(rng, s.o, -0.5, 0.5);
  auto mean = uniform(rng, s.o, -0.2, 0.2), var = uniform(rng, s.o, 0.1, 2.0);
  auto r = uniform(rng, s.outputSize(), -1, 1);
  const float eps = 1e-5f;
  std::vector<float> conv(s.outputSize()), ref(s.outputSize()),
      got(s.outputSize(), NAN);
  conv2dForward<float>(s, x.data(), w.data(), nullptr, conv.data(), algo);
  ActShape a{s.n, s.o, s.oh, s.ow};
  batchNormForwardEval<float>(a, conv.data(), scale.data(), shift.data(),
                              mean.data(), var.data(), eps, ref.data());
  if (residual)
    add<float>(s.outputSize(), ref.data(), r.data(), ref.data());
  if (relu)
    reluForward<float>(s.outputSize(), ref.data(), ref.data());
  conv2dBnActForward<float>(s, x.data(), w.data(), scale.data(), shift.data(),
                            mean.data(), var.data(), eps,
                            residual ? r.data() : nullptr, relu, got.data(),
                            algo);
  EXPECT_LE(relError(got, ref), 1e-5)
      << "n" << s.n << " c" << s.c << " o" << s.o << " k" << s.kh << " g"
      << s.groups << " residual " << residual << " relu " << relu;
}

} // namespace

TEST(FusedConv, MatchesUnfusedKernels) {
  const ConvShape shapes[] = {
      ConvShape::make(2, 3, 9, 11, 5, 3, 3, 1, 1),
      ConvShape::make(2, 8, 9, 9, 6, 1, 1, 2, 0),
      ConvShape::make(2, 16, 7, 7, 32, 1, 1),
      ConvShape::make(2, 32, 12, 12, 32, 3, 3, 1, 1, 1, 8),
      ConvShape::make(2, 32, 13, 13, 32, 3, 3, 2, 1, 1, 8),
      ConvShape::make(1, 6, 7, 7, 6, 3, 3, 1, 1, 1, 6),
      ConvShape::make(1, 128, 14, 14, 128, 3, 3, 1, 1, 1, 32),
  };
  for (const ConvShape &s : shapes)
    for (ConvAlgo algo : {ConvAlgo::Auto, ConvAlgo::Gemm, ConvAlgo::Direct})
      for (int mode = 0; mode < 4; ++mode)
        checkShape(s, mode & 1, mode & 2, algo);
}

TEST(FusedConv, FoldsIntoWeightsAndBias) {
  // One output channel, 1x1: W' = W·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε).
  ConvShape s = ConvShape::make(1, 2, 1, 1, 1, 1, 1);
  const double w[2] = {0.5, -2}, g = 3, b = 0.25, m = 0.5, v = 3, eps = 1;
  double wf[2], bf;
  foldBatchNorm<double>(s, w, &g, &b, &m, &v, eps, wf, &bf);
  EXPECT_DOUBLE_EQ(wf[0], 0.75);
  EXPECT_DOUBLE_EQ(wf[1], -3);
  EXPECT_DOUBLE_EQ(bf, 0.25 - 0.75);
}

TEST(FusedConv, OutputIndependentOfThreadCount) {
  ConvShape s = ConvShape::make(2, 64, 16, 16, 64, 3, 3, 1, 1, 1, 16);
  Random rng(5);
  auto x = uniform(rng, s.inputSize(), -1, 1), w = uniform(rng, s.weightSize(), -1, 1);
  auto p = uniform(rng, s.o, 0.5, 1.5), r = uniform(rng, s.outputSize(), -1, 1);
  std::vector<float> y1(s.outputSize()), y2(s.outputSize());
  setNumThreads(1);
  conv2dBnActForward<float>(s, x.data(), w.data(), p.data(), p.data(), p.data(),
                            p.data(), 1e-5f, r.data(), true, y1.data());
  setNumThreads(2);
  conv2dBnActForward<float>(s, x.data(), w.data(), p.data(), p.data(), p.data(),
                            p.data(), 1e-5f, r.data(), true, y2.data());
  EXPECT_EQ(y1, y2);
}
