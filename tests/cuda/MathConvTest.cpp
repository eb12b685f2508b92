//===- MathConvTest.cpp - math/ConvMath.h vs the CPU conv kernels ---------===//
//
// Every element of the forward, input gradient and weight gradient computed
// by the host/device element functions must match runtime/kernels' conv on
// the same random shape (groups 1, 2, 4, 32; strides 1 and 2; 1x1 and 3x3;
// padding, dilation).
//
//===----------------------------------------------------------------------===//
#include "CudaTestUtil.h"

#include "runtime/cuda/math/ConvMath.h"
#include "runtime/kernels/Conv2d.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace cardinal::rt::cuda {
namespace {

using test::randomFloats;
using test::relError;

struct ConvCase {
  int64_t n, groups, cg, og, h, w, k, stride, pad, dilation;
};

/// The case's name in test ids and gtest's value printout.
std::string caseName(const ConvCase &c) {
  return "g" + std::to_string(c.groups) + "_" + std::to_string(c.cg) + "to" +
         std::to_string(c.og) + "_" + std::to_string(c.h) + "x" +
         std::to_string(c.w) + "_k" + std::to_string(c.k) + "s" +
         std::to_string(c.stride) + "p" + std::to_string(c.pad) + "d" +
         std::to_string(c.dilation);
}
void PrintTo(const ConvCase &c, std::ostream *os) { *os << caseName(c); }

ConvShape shapeOf(const ConvCase &c) {
  return ConvShape::make(c.n, c.groups * c.cg, c.h, c.w, c.groups * c.og, c.k,
                         c.k, c.stride, c.pad, c.dilation, c.groups);
}

class ConvMathTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvMathTest, ForwardMatchesCpu) {
  const ConvShape s = shapeOf(GetParam());
  ASSERT_TRUE(s.valid());
  std::mt19937 rng(1);
  auto x = randomFloats(rng, s.inputSize()),
       w = randomFloats(rng, s.weightSize());
  std::vector<float> ref(s.outputSize()), got(s.outputSize());
  conv2dForward<float>(s, x.data(), w.data(), nullptr, ref.data());
  for (int64_t n = 0, i = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.o; ++o)
      for (int64_t oh = 0; oh < s.oh; ++oh)
        for (int64_t ow = 0; ow < s.ow; ++ow, ++i)
          got[i] = convOutputElement(s, x.data(), w.data(), n, o, oh, ow);
  EXPECT_LT(relError(got, ref), 1e-5);
}

TEST_P(ConvMathTest, InputGradMatchesCpu) {
  const ConvShape s = shapeOf(GetParam());
  std::mt19937 rng(2);
  auto dy = randomFloats(rng, s.outputSize()),
       w = randomFloats(rng, s.weightSize());
  std::vector<float> ref(s.inputSize()), got(s.inputSize());
  conv2dBackwardData<float>(s, dy.data(), w.data(), ref.data());
  for (int64_t n = 0, i = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t ih = 0; ih < s.h; ++ih)
        for (int64_t iw = 0; iw < s.w; ++iw, ++i)
          got[i] = convInputGradElement(s, dy.data(), w.data(), n, c, ih, iw);
  EXPECT_LT(relError(got, ref), 1e-5);
}

TEST_P(ConvMathTest, WeightGradMatchesCpu) {
  const ConvShape s = shapeOf(GetParam());
  std::mt19937 rng(3);
  auto x = randomFloats(rng, s.inputSize()),
       dy = randomFloats(rng, s.outputSize());
  std::vector<float> ref(s.weightSize()), got(s.weightSize()),
      split(s.weightSize());
  conv2dBackwardWeight<float>(s, x.data(), dy.data(), ref.data(), nullptr);
  const int64_t cg = s.c / s.groups, half = s.n / 2;
  for (int64_t o = 0, i = 0; o < s.o; ++o)
    for (int64_t ci = 0; ci < cg; ++ci)
      for (int64_t kh = 0; kh < s.kh; ++kh)
        for (int64_t kw = 0; kw < s.kw; ++kw, ++i) {
          got[i] = convWeightGradElement(s, x.data(), dy.data(), o, ci, kh, kw);
          // Two sample slices summed, as the split kernels do.
          split[i] = convWeightGradPartial(s, x.data(), dy.data(), o, ci, kh,
                                           kw, 0, half) +
                     convWeightGradPartial(s, x.data(), dy.data(), o, ci, kh,
                                           kw, half, s.n);
        }
  EXPECT_LT(relError(got, ref), 1e-5);
  EXPECT_LT(relError(split, ref), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvMathTest,
    ::testing::Values(
        ConvCase{2, 1, 3, 5, 7, 6, 3, 1, 1, 1},  // dense 3x3
        ConvCase{2, 2, 3, 2, 6, 7, 3, 2, 1, 1},  // C=2, stride 2
        ConvCase{3, 4, 2, 3, 5, 5, 3, 1, 1, 1},  // C=4
        ConvCase{2, 32, 4, 4, 6, 6, 3, 1, 1, 1}, // ResNeXt 32x4d, stride 1
        ConvCase{2, 32, 4, 4, 7, 7, 3, 2, 1, 1}, // 32x4d, stride 2, odd
        ConvCase{2, 32, 1, 2, 5, 4, 3, 2, 0, 1}, // no padding
        ConvCase{2, 4, 2, 2, 8, 8, 3, 1, 2, 2},  // dilation 2
        ConvCase{3, 1, 8, 6, 5, 5, 1, 1, 0, 1},  // 1x1
        ConvCase{2, 1, 4, 8, 9, 9, 1, 2, 0, 1}), // 1x1 projection, stride 2
    [](const ::testing::TestParamInfo<ConvCase> &info) {
      return caseName(info.param);
    });

} // namespace
} // namespace cardinal::rt::cuda
