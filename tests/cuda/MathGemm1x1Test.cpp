//===- MathGemm1x1Test.cpp - math/Gemm1x1.h's GEMM plans vs the CPU conv ---===//
//
// The plans say which cuBLAS strided-batched GEMM computes a 1x1 conv's
// forward and data gradient in NCHW. Run here through a column-major
// reference GEMM with cuBLAS's semantics (alpha = 1, beta = 0 or 1 for
// accumulate), and for strided convs through the gather/scatter index maps
// the GemmConv.cu kernels apply per element, they must give what the CPU
// conv kernels give, so the GPU call differs from this only by being
// cuBLAS.
//
//===----------------------------------------------------------------------===//
#include "CudaTestUtil.h"

#include "runtime/cuda/math/Gemm1x1.h"
#include "runtime/kernels/Conv2d.h"

#include <gtest/gtest.h>

#include <vector>

namespace cardinal::rt::cuda {
namespace {

using test::randomFloats;
using test::relError;

/// cublasSgemmStridedBatched on the host, in double.
void referenceGemm(const Gemm1x1Plan &p, const float *a, const float *b,
                   float *c, float beta) {
  for (int64_t i = 0; i < p.batch; ++i)
    for (int64_t col = 0; col < p.n; ++col)
      for (int64_t row = 0; row < p.m; ++row) {
        double sum = 0;
        for (int64_t k = 0; k < p.k; ++k) {
          const float *ai = a + i * p.strideA, *bi = b + i * p.strideB;
          const float av = p.transA ? ai[k + row * p.lda] : ai[row + k * p.lda];
          const float bv = p.transB ? bi[col + k * p.ldb] : bi[k + col * p.ldb];
          sum += double(av) * bv;
        }
        float &out = c[i * p.strideC + row + col * p.ldc];
        out = static_cast<float>(sum + beta * out);
      }
}

/// gatherKeptKernel: x' from x.
std::vector<float> gatherKept(const ConvShape &s, const std::vector<float> &x) {
  std::vector<float> kept(s.n * s.c * s.oh * s.ow);
  for (int64_t i = 0; i < static_cast<int64_t>(kept.size()); ++i)
    kept[i] = x[gemm1x1KeptOffset(s, i)];
  return kept;
}

/// scatterKeptKernel: dx' onto dx.
void scatterKept(const ConvShape &s, const std::vector<float> &dkept,
                 std::vector<float> &dx, bool accumulate) {
  for (int64_t i = 0; i < s.inputSize(); ++i) {
    const int64_t k = gemm1x1KeptIndex(s, i);
    const float g = k >= 0 ? dkept[k] : 0.f;
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

TEST(Gemm1x1Test, OnlyUnpaddedDense1x1ConvsFit) {
  EXPECT_TRUE(fitsGemm1x1(ConvShape::make(2, 8, 5, 5, 4, 1, 1)));
  EXPECT_FALSE(gemm1x1Gathers(ConvShape::make(2, 8, 5, 5, 4, 1, 1)));
  EXPECT_TRUE(fitsGemm1x1(ConvShape::make(2, 8, 5, 5, 4, 1, 1, 2))); // stride
  EXPECT_TRUE(gemm1x1Gathers(ConvShape::make(2, 8, 5, 5, 4, 1, 1, 2)));
  EXPECT_FALSE(fitsGemm1x1(ConvShape::make(2, 8, 5, 5, 4, 3, 3, 1, 1))); // 3x3
  EXPECT_FALSE(fitsGemm1x1(ConvShape::make(2, 8, 5, 5, 4, 1, 1, 1, 1))); // pad
  EXPECT_FALSE(
      fitsGemm1x1(ConvShape::make(2, 8, 5, 5, 4, 1, 1, 1, 0, 1, 2))); // groups
}

/// Stride 2 along H only (a shape no zoo model has; the index maps must
/// not assume square strides).
ConvShape rowsOnly(ConvShape s) {
  s.strideH = 2;
  return s.computeOutput();
}

class Gemm1x1ShapeTest : public ::testing::TestWithParam<ConvShape> {};

TEST_P(Gemm1x1ShapeTest, PlansComputeTheConvAndItsGradients) {
  const ConvShape s = GetParam();
  ASSERT_TRUE(fitsGemm1x1(s));
  std::mt19937 rng(5);
  const auto x = randomFloats(rng, s.inputSize()),
             w = randomFloats(rng, s.weightSize()),
             dy = randomFloats(rng, s.outputSize()),
             dx0 = randomFloats(rng, s.inputSize());
  // What the GEMMs read: x, or the gathered x'.
  const std::vector<float> input = gemm1x1Gathers(s) ? gatherKept(s, x) : x;

  std::vector<float> y(s.outputSize()), gy(s.outputSize(), 7.f);
  rt::conv2dForward<float>(s, x.data(), w.data(), nullptr, y.data());
  referenceGemm(gemm1x1Forward(s), input.data(), w.data(), gy.data(), 0.f);
  EXPECT_LT(relError(gy, y), 1e-5);

  for (bool accumulate : {false, true}) {
    std::vector<float> dx = dx0, gdx = dx0;
    rt::conv2dBackwardData<float>(s, dy.data(), w.data(), dx.data(),
                                  accumulate);
    if (gemm1x1Gathers(s)) { // into an fp32 dx', then onto dx
      std::vector<float> dkept(input.size(), 7.f);
      referenceGemm(gemm1x1BackwardData(s), dy.data(), w.data(), dkept.data(),
                    0.f);
      scatterKept(s, dkept, gdx, accumulate);
    } else {
      referenceGemm(gemm1x1BackwardData(s), dy.data(), w.data(), gdx.data(),
                    accumulate ? 1.f : 0.f);
    }
    EXPECT_LT(relError(gdx, dx), 1e-5) << "accumulate " << accumulate;
  }

  // Per-sample partials, then their sum in sample order.
  std::vector<float> dw(s.weightSize()), partial(s.n * s.weightSize(), 7.f),
      gdw(s.weightSize(), 0.f);
  rt::conv2dBackwardWeight<float>(s, x.data(), dy.data(), dw.data(), nullptr);
  referenceGemm(gemm1x1BackwardWeight(s), input.data(), dy.data(),
                partial.data(), 0.f);
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t i = 0; i < s.weightSize(); ++i)
      gdw[i] += partial[n * s.weightSize() + i];
  EXPECT_LT(relError(gdw, dw), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Gemm1x1ShapeTest,
    ::testing::Values(ConvShape::make(3, 8, 5, 7, 4, 1, 1),  // C > O
                      ConvShape::make(2, 3, 4, 4, 16, 1, 1), // C < O
                      ConvShape::make(1, 5, 1, 1, 6, 1, 1),  // 1x1 plane
                      ConvShape::make(4, 16, 7, 7, 16, 1, 1),
                      // Projections that halve the map: even, odd sides.
                      ConvShape::make(2, 8, 8, 6, 16, 1, 1, 2),
                      ConvShape::make(3, 6, 7, 5, 12, 1, 1, 2),
                      ConvShape::make(1, 4, 9, 9, 3, 1, 1, 3),
                      rowsOnly(ConvShape::make(2, 5, 6, 4, 7, 1, 1))),
    [](const ::testing::TestParamInfo<ConvShape> &info) {
      const ConvShape &s = info.param;
      return "n" + std::to_string(s.n) + "_" + std::to_string(s.c) + "to" +
             std::to_string(s.o) + "_" + std::to_string(s.h) + "x" +
             std::to_string(s.w) + "_s" + std::to_string(s.strideH) +
             std::to_string(s.strideW);
    });

} // namespace
} // namespace cardinal::rt::cuda
