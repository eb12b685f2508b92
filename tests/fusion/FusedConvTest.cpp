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

namespace {

/// Direct definition in double: y = maybe_relu(conv(x, w) + b + r).
std::vector<float> naiveBiasAct(const ConvShape &s, const std::vector<float> &x,
                                const std::vector<float> &w,
                                const std::vector<float> &b,
                                const std::vector<float> *r, bool relu) {
  std::vector<float> y(s.outputSize());
  const int64_t cg = s.cPerGroup(), og = s.oPerGroup();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.o; ++o)
      for (int64_t i = 0; i < s.oh; ++i)
        for (int64_t j = 0; j < s.ow; ++j) {
          double acc = b[o];
          const int64_t g = o / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t u = 0; u < s.kh; ++u)
              for (int64_t v = 0; v < s.kw; ++v) {
                const int64_t ih = i * s.strideH - s.padH + u * s.dilationH;
                const int64_t iw = j * s.strideW - s.padW + v * s.dilationW;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w)
                  continue;
                acc += (double)x[((n * s.c + g * cg + c) * s.h + ih) * s.w + iw] *
                       w[((o * cg + c) * s.kh + u) * s.kw + v];
              }
          const int64_t k = ((n * s.o + o) * s.oh + i) * s.ow + j;
          if (r)
            acc += (*r)[k];
          y[k] = static_cast<float>(relu && acc < 0 ? 0 : acc);
        }
  return y;
}

} // namespace

// The epilogue runs per output tile inside the conv: shapes whose GEMM
// output splits into several column tiles (tile edges mid-row, im2col'ed
// per tile) and, at batch 1 and small spatial sizes, into row tiles; and
// the direct grouped kernel's vector tails; small spatial sizes with
// several samples in one GEMM panel. Against the direct definition.
TEST(FusedConv, TiledEpilogueMatchesDefinition) {
  const ConvShape shapes[] = {
      ConvShape::make(1, 5, 50, 50, 40, 3, 3, 1, 1),       // 2 column tiles
      ConvShape::make(1, 4, 61, 61, 16, 3, 3, 1, 1),       // 4 column tiles
      ConvShape::make(2, 8, 33, 31, 24, 3, 3, 2, 1),       // strided im2col
      ConvShape::make(1, 64, 7, 7, 256, 1, 1),             // 8 row tiles
      ConvShape::make(1, 48, 14, 14, 96, 1, 1, 2, 0),      // strided 1x1
      ConvShape::make(1, 32, 45, 45, 64, 1, 1),            // pointwise tiles
      ConvShape::make(2, 64, 15, 15, 64, 3, 3, 1, 1, 1, 16), // direct, tails
      ConvShape::make(1, 256, 7, 7, 256, 3, 3, 1, 1, 1, 8),  // GEMM, groups
      ConvShape::make(8, 64, 7, 7, 96, 1, 1),              // 2 blocks of 4
      ConvShape::make(3, 32, 13, 13, 64, 1, 1, 2, 0),      // samples, im2col
      ConvShape::make(5, 16, 6, 6, 32, 3, 3, 1, 1, 1, 2),  // samples, groups
  };
  for (const ConvShape &s : shapes) {
    Random rng(3 + s.o + s.h);
    auto x = uniform(rng, s.inputSize(), -1, 1);
    auto w = uniform(rng, s.weightSize(), -0.5, 0.5);
    auto b = uniform(rng, s.o, -0.5, 0.5);
    auto r = uniform(rng, s.outputSize(), -1, 1);
    for (ConvAlgo algo : {ConvAlgo::Gemm, ConvAlgo::Direct})
      for (int mode = 0; mode < 4; ++mode) {
        const bool residual = mode & 1, relu = mode & 2;
        auto ref = naiveBiasAct(s, x, w, b, residual ? &r : nullptr, relu);
        std::vector<float> got(s.outputSize(), NAN);
        conv2dBiasActForward<float>(s, x.data(), w.data(), b.data(),
                                    residual ? r.data() : nullptr, relu,
                                    got.data(), algo);
        EXPECT_LE(relError(got, ref), 1e-5)
            << "n" << s.n << " c" << s.c << " h" << s.h << " o" << s.o << " k"
            << s.kh << " g" << s.groups << " algo " << (int)algo
            << " residual " << residual << " relu " << relu;
      }
  }
}

// Folding once (the generated model's cache) then running the bias/act
// conv gives the per-call fused kernel's result exactly.
TEST(FusedConv, CachedFoldMatchesPerCallFold) {
  ConvShape s = ConvShape::make(2, 32, 10, 10, 64, 1, 1);
  Random rng(11);
  auto x = uniform(rng, s.inputSize(), -1, 1), w = uniform(rng, s.weightSize(), -1, 1);
  auto g = uniform(rng, s.o, 0.5, 1.5), be = uniform(rng, s.o, -1, 1);
  auto m = uniform(rng, s.o, -1, 1), v = uniform(rng, s.o, 0.5, 2);
  auto r = uniform(rng, s.outputSize(), -1, 1);
  std::vector<float> wf(s.weightSize()), bf(s.o), y1(s.outputSize()),
      y2(s.outputSize());
  foldBatchNorm<float>(s, w.data(), g.data(), be.data(), m.data(), v.data(),
                       1e-5f, wf.data(), bf.data());
  conv2dBiasActForward<float>(s, x.data(), wf.data(), bf.data(), r.data(),
                              true, y1.data());
  conv2dBnActForward<float>(s, x.data(), w.data(), g.data(), be.data(),
                            m.data(), v.data(), 1e-5f, r.data(), true,
                            y2.data());
  EXPECT_EQ(y1, y2);
}
