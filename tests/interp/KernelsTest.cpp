//===- KernelsTest.cpp - reference kernels vs hand-computed cases ---------===//
#include "interp/GFKernels.h"
#include "interp/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace cardinal;
using HT = HostTensor<double>;

namespace {

HT tensor(std::vector<int64_t> shape, std::vector<double> data) {
  HT t(std::move(shape));
  EXPECT_EQ(t.numel(), (int64_t)data.size());
  t.data = std::move(data);
  return t;
}

HT randomTensor(std::vector<int64_t> shape, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  HT t(std::move(shape));
  for (double &x : t.data)
    x = u(rng);
  return t;
}

nn::Conv2dAttrs attrs(int64_t stride, int64_t pad, int64_t dilation = 1,
                      int64_t groups = 1) {
  nn::Conv2dAttrs a;
  a.strides = {stride, stride};
  a.padding = {pad, pad};
  a.dilation = {dilation, dilation};
  a.groups = groups;
  return a;
}

// 1 2 3 / 4 5 6 / 7 8 9 as a 1x1x3x3 image.
HT ramp3x3() { return tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}); }
HT ones2x2() { return tensor({1, 1, 2, 2}, {1, 1, 1, 1}); }

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

TEST(KernelsTest, ConvValidWindowSums) {
  HT y = kernels::conv2d(ramp3x3(), ones2x2(), nullptr, attrs(1, 0));
  EXPECT_EQ(y, tensor({1, 1, 2, 2}, {12, 16, 24, 28}));
}

TEST(KernelsTest, ConvStrideAndPaddingSkipOutOfBounds) {
  // Windows start at (-1,-1) and step by 2: {1}, {2,3}, {4,7}, {5,6,8,9}.
  HT y = kernels::conv2d(ramp3x3(), ones2x2(), nullptr, attrs(2, 1));
  EXPECT_EQ(y, tensor({1, 1, 2, 2}, {1, 5, 11, 28}));
}

TEST(KernelsTest, ConvDilationSpreadsTheKernel) {
  // A 2x2 kernel with dilation 2 touches the four corners.
  HT y = kernels::conv2d(ramp3x3(), ones2x2(), nullptr, attrs(1, 0, 2));
  EXPECT_EQ(y, tensor({1, 1, 1, 1}, {1 + 3 + 7 + 9}));
}

TEST(KernelsTest, ConvBiasAndChannelWeights) {
  // Two input channels (ones, twos), two 1x1 filters, a bias.
  HT x = tensor({1, 2, 1, 2}, {1, 1, 2, 2});
  HT w = tensor({2, 2, 1, 1}, {1, 3, -1, 0.5});
  HT b = tensor({2}, {0.5, -2});
  HT y = kernels::conv2d(x, w, &b, attrs(1, 0));
  EXPECT_EQ(y, tensor({1, 2, 1, 2}, {7.5, 7.5, -2, -2}));
}

TEST(KernelsTest, ConvAsymmetricKernelOrientation) {
  // OIHW: w[0,0,0,1] multiplies the pixel right of the window origin.
  HT w = tensor({1, 1, 1, 2}, {10, 1});
  HT y = kernels::conv2d(ramp3x3(), w, nullptr, attrs(1, 0));
  EXPECT_EQ(y, tensor({1, 1, 3, 2}, {12, 23, 45, 56, 78, 89}));
}

// groups = C equals C separate convs on channel slices, concatenated.
TEST(KernelsTest, GroupedConvEqualsConvsOnSlicesConcatenated) {
  const int64_t C = 4, d = 3; // 4 groups of 3 channels, 3 outputs each
  HT x = randomTensor({2, C * d, 7, 6}, 1);
  HT w = randomTensor({C * d, d, 3, 3}, 2);
  HT b = randomTensor({C * d}, 3);
  for (int64_t stride : {1, 2}) {
    HT grouped = kernels::conv2d(x, w, &b, attrs(stride, 1, 1, C));
    std::vector<HT> parts;
    for (int64_t g = 0; g < C; ++g) {
      HT xs = kernels::slice(x, 1, g * d, d);
      HT ws = kernels::slice(w, 0, g * d, d);
      HT bs = kernels::slice(b, 0, g * d, d);
      parts.push_back(kernels::conv2d(xs, ws, &bs, attrs(stride, 1)));
    }
    std::vector<const HT *> ptrs;
    for (const HT &p : parts)
      ptrs.push_back(&p);
    HT separate = kernels::concat(ptrs, 1);
    ASSERT_EQ(grouped.shape, separate.shape);
    for (int64_t i = 0; i < grouped.numel(); ++i)
      ASSERT_NEAR(grouped.data[i], separate.data[i], 1e-12);
  }
}

// Depthwise (groups = C, one channel per group) against a direct formula.
TEST(KernelsTest, DepthwiseConvIsPerChannel) {
  HT x = randomTensor({1, 3, 4, 4}, 5);
  HT w = randomTensor({3, 1, 1, 1}, 6);
  HT y = kernels::conv2d(x, w, nullptr, attrs(1, 0, 1, 3));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < 16; ++i)
      EXPECT_DOUBLE_EQ(y.data[c * 16 + i], x.data[c * 16 + i] * w.data[c]);
}

//===----------------------------------------------------------------------===//
// add, concat, slice
//===----------------------------------------------------------------------===//

TEST(KernelsTest, Add) {
  EXPECT_EQ(kernels::add(tensor({2}, {1, 2}), tensor({2}, {10, -5})),
            tensor({2}, {11, -3}));
}

TEST(KernelsTest, ConcatAndSliceOnEveryAxis) {
  HT a = tensor({2, 1, 2}, {1, 2, 3, 4});
  HT b = tensor({2, 1, 2}, {5, 6, 7, 8});
  EXPECT_EQ(kernels::concat<double>({&a, &b}, 0),
            tensor({4, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(kernels::concat<double>({&a, &b}, 1),
            tensor({2, 2, 2}, {1, 2, 5, 6, 3, 4, 7, 8}));
  EXPECT_EQ(kernels::concat<double>({&a, &b}, 2),
            tensor({2, 1, 4}, {1, 2, 5, 6, 3, 4, 7, 8}));
  HT c = kernels::concat<double>({&a, &b, &a}, 1);
  EXPECT_EQ(kernels::slice(c, 1, 1, 1), b);
  EXPECT_EQ(kernels::slice(c, 1, 2, 1), a);
  EXPECT_EQ(kernels::slice(a, 2, 1, 1), tensor({2, 1, 1}, {2, 4}));
  EXPECT_EQ(kernels::slice(a, 0, 1, 1), tensor({1, 1, 2}, {3, 4}));
}

//===----------------------------------------------------------------------===//
// Pools
//===----------------------------------------------------------------------===//

TEST(KernelsTest, MaxPoolPaddingNeverWins) {
  // All-negative input: zero padding would win if it were counted.
  HT x = tensor({1, 1, 3, 3}, {-1, -2, -3, -4, -5, -6, -7, -8, -9});
  HT y = kernels::maxPool2d(x, {3, 3}, {2, 2}, {1, 1});
  EXPECT_EQ(y, tensor({1, 1, 2, 2}, {-1, -2, -4, -5}));
}

TEST(KernelsTest, MaxPoolResNetStemShape) {
  // The ImageNet stem: 3x3, stride 2, pad 1 on 112x112 -> 56x56.
  HT x = randomTensor({2, 3, 112, 112}, 7);
  HT y = kernels::maxPool2d(x, {3, 3}, {2, 2}, {1, 1});
  ASSERT_EQ(y.shape, (std::vector<int64_t>{2, 3, 56, 56}));
  auto at = [&](int64_t n, int64_t c, int64_t h, int64_t w) {
    return x.data[((n * 3 + c) * 112 + h) * 112 + w];
  };
  auto out = [&](int64_t n, int64_t c, int64_t h, int64_t w) {
    return y.data[((n * 3 + c) * 56 + h) * 56 + w];
  };
  // Corner window: rows/cols -1..1, i.e. the 2x2 top-left block.
  EXPECT_EQ(out(1, 2, 0, 0), std::max({at(1, 2, 0, 0), at(1, 2, 0, 1),
                                       at(1, 2, 1, 0), at(1, 2, 1, 1)}));
  // An interior window: rows 2*5-1 .. 2*5+1, cols 2*9-1 .. 2*9+1.
  double m = -INFINITY;
  for (int64_t h = 9; h <= 11; ++h)
    for (int64_t w = 17; w <= 19; ++w)
      m = std::max(m, at(0, 1, h, w));
  EXPECT_EQ(out(0, 1, 5, 9), m);
  // The last window: rows/cols 109..111.
  m = -INFINITY;
  for (int64_t h = 109; h <= 111; ++h)
    for (int64_t w = 109; w <= 111; ++w)
      m = std::max(m, at(1, 0, h, w));
  EXPECT_EQ(out(1, 0, 55, 55), m);
}

TEST(KernelsTest, SumPoolIsTheWindowSum) {
  HT y = kernels::sumPool2d(ramp3x3(), {2, 2}, {1, 1}, {0, 0});
  EXPECT_EQ(y, tensor({1, 1, 2, 2}, {12, 16, 24, 28}));
}

TEST(KernelsTest, GlobalAvgPool) {
  HT x = tensor({1, 2, 2, 2}, {1, 2, 3, 4, 10, 10, 10, 14});
  EXPECT_EQ(kernels::globalAvgPool(x), tensor({1, 2}, {2.5, 11}));
}

TEST(KernelsTest, GlobalAvgPoolInGFMultipliesByInverseCount) {
  HostTensor<GF61> x({1, 1, 3, 1});
  x.data = {GF61(1), GF61(2), GF61(4)};
  GF61 y = kernels::globalAvgPool(x).data[0];
  EXPECT_EQ(y * GF61::fromInt(3), GF61::fromInt(7));
}

//===----------------------------------------------------------------------===//
// linear, relu, batch norm, loss
//===----------------------------------------------------------------------===//

TEST(KernelsTest, Linear) {
  HT x = tensor({2, 3}, {1, 2, 3, 0, -1, 1});
  HT w = tensor({2, 3}, {1, 0, 1, 2, 2, 2});
  HT b = tensor({2}, {0.5, -1});
  EXPECT_EQ(kernels::linear(x, w, &b), tensor({2, 2}, {4.5, 11, 1.5, -1}));
  EXPECT_EQ(kernels::linear(x, w, nullptr), tensor({2, 2}, {4, 12, 1, 0}));
}

TEST(KernelsTest, Relu) {
  EXPECT_EQ(kernels::relu(tensor({4}, {-1, 0, 2, -0.5})),
            tensor({4}, {0, 0, 2, 0}));
}

TEST(KernelsTest, BatchNormEvalUsesRunningStatistics) {
  // Channel 0: (x - 1) * 2 / sqrt(4) + 3; channel 1: (x + 1) * 1 / 1 - 1.
  HT x = tensor({1, 2, 1, 2}, {1, 3, 0, 2});
  HT y = kernels::batchNormEval(x, tensor({2}, {2, 1}), tensor({2}, {3, -1}),
                                tensor({2}, {1, -1}), tensor({2}, {4, 1}),
                                0.0);
  EXPECT_EQ(y, tensor({1, 2, 1, 2}, {3, 5, 0, 2}));
  // eps enters under the square root.
  HT z = kernels::batchNormEval(tensor({1, 1}, {2}), tensor({1}, {1}),
                                tensor({1}, {0}), tensor({1}, {0}),
                                tensor({1}, {3}), 1.0);
  EXPECT_DOUBLE_EQ(z.data[0], 1.0);
}

TEST(KernelsTest, BatchNormTrainNormalizesToMeanZeroVarianceOne) {
  HT x = randomTensor({4, 3, 5, 5}, 11);
  for (double &v : x.data)
    v = 3 * v + 7; // far from normalized
  HT y = kernels::batchNormTrain(x, tensor({3}, {1, 1, 1}),
                                 tensor({3}, {0, 0, 0}), 0.0);
  std::vector<double> mean, var;
  kernels::batchStatistics(y, mean, var);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(mean[c], 0.0, 1e-12);
    EXPECT_NEAR(var[c], 1.0, 1e-12);
  }
  // Affine part: scale and shift apply after normalizing.
  HT z = kernels::batchNormTrain(x, tensor({3}, {2, 2, 2}),
                                 tensor({3}, {5, 5, 5}), 0.0);
  kernels::batchStatistics(z, mean, var);
  EXPECT_NEAR(mean[1], 5.0, 1e-12);
  EXPECT_NEAR(var[1], 4.0, 1e-11);
}

TEST(KernelsTest, BatchNormTrainUsesBiasedVariance) {
  // Batch of two NxC rows: mean 2, biased variance 1 (unbiased would be 2).
  HT y = kernels::batchNormTrain(tensor({2, 1}, {1, 3}), tensor({1}, {1}),
                                 tensor({1}, {0}), 0.0);
  EXPECT_EQ(y, tensor({2, 1}, {-1, 1}));
}

TEST(KernelsTest, SoftmaxCrossEntropy) {
  HT loss = kernels::softmaxCrossEntropy(tensor({2, 3}, {0, 0, 0, 1, 2, 3}),
                                         tensor({2}, {0, 2}));
  double row1 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  EXPECT_TRUE(loss.shape.empty());
  EXPECT_NEAR(loss.data[0], (std::log(3.0) + row1) / 2, 1e-15);
  // Large logits stay finite.
  HT big = kernels::softmaxCrossEntropy(tensor({1, 2}, {1000, 0}),
                                        tensor({1}, {1}));
  EXPECT_NEAR(big.data[0], 1000.0, 1e-9);
}

//===----------------------------------------------------------------------===//
// GF61 channelwise stand-ins
//===----------------------------------------------------------------------===//

TEST(KernelsTest, GFKeyedCubicsDifferPerChannelAndKey) {
  gf::KeyedCubic a = gf::keyedCubic(1, gf::channelKey("relu", 5));
  gf::KeyedCubic b = gf::keyedCubic(1, gf::channelKey("relu", 6));
  gf::KeyedCubic c = gf::keyedCubic(2, gf::channelKey("relu", 5));
  GF61 t = GF61::fromInt(12345);
  EXPECT_NE(a(t), b(t));
  EXPECT_NE(a(t), c(t));
  EXPECT_EQ(a(t), gf::keyedCubic(1, gf::channelKey("relu", 5))(t));
  // φ(t) = a t³ + b t² + c t + d.
  EXPECT_EQ(a(t), a.a * t * t * t + a.b * t * t + a.c * t + a.d);
}

TEST(KernelsTest, GFReluAppliesTheChannelsFunction) {
  HostTensor<GF61> x({2, 2});
  x.data = {GF61(1), GF61(2), GF61(3), GF61(4)};
  gf::Labels labels{7, 8};
  HostTensor<GF61> y = gf::relu(x, labels, 99);
  gf::KeyedCubic f7 = gf::keyedCubic(99, gf::channelKey("relu", 7));
  gf::KeyedCubic f8 = gf::keyedCubic(99, gf::channelKey("relu", 8));
  EXPECT_EQ(y.data, (std::vector<GF61>{f7(GF61(1)), f8(GF61(2)), f7(GF61(3)),
                                       f8(GF61(4))}));
}

TEST(KernelsTest, GFBatchNormTrainCentresEachChannel) {
  // With the keyed rsqrt fixed per channel, y - shift is x - mean scaled:
  // its channel sum is zero in the field.
  HostTensor<GF61> x({3, 2, 2, 1}), scale({2}), shift({2}), m({2}), v({2});
  uint64_t s = 3;
  for (auto *t : {&x, &scale, &shift, &m, &v})
    for (GF61 &e : t->data)
      e = GF61::random(s);
  gf::Labels labels = gf::batchNormLabels(scale, shift, m, v);
  HostTensor<GF61> y = gf::batchNormTrain(x, scale, shift, labels, 1e-5, 5);
  for (int64_t c = 0; c < 2; ++c) {
    GF61 sum;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t j = 0; j < 2; ++j)
        sum += y.data[(n * 2 + c) * 2 + j] - shift.data[c];
    EXPECT_EQ(sum, GF61(0));
  }
}

TEST(KernelsTest, GFLabelsMergeSymmetrically) {
  EXPECT_EQ(gf::mergeLabel(3, 3), 3u);
  EXPECT_EQ(gf::mergeLabel(3, 9), gf::mergeLabel(9, 3));
  EXPECT_NE(gf::mergeLabel(3, 9), 3u);
}

} // namespace
