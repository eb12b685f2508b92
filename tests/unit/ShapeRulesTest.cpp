//===- ShapeRulesTest.cpp - result shapes and diagnostics of nn ops -------===//
#include "ir/ShapeRules.h"

#include <gtest/gtest.h>

using namespace cardinal::nn;

namespace {

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)            \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

Conv2dAttrs convAttrs(int64_t stride, int64_t pad, int64_t groups = 1,
                      int64_t dilation = 1) {
  Conv2dAttrs a;
  a.strides = {stride, stride};
  a.padding = {pad, pad};
  a.dilation = {dilation, dilation};
  a.groups = groups;
  return a;
}

// The shape, or the error text prefixed with "error: ".
std::string conv(const Shape &in, const Shape &w, const Conv2dAttrs &a,
                 const Shape *bias = nullptr) {
  std::string error;
  auto s = conv2dShape(in, w, bias, a, error);
  return s ? formatShape(*s) : "error: " + error;
}

std::string convError(const Shape &in, const Shape &w, const Conv2dAttrs &a,
                      const Shape *bias = nullptr) {
  std::string error;
  auto s = conv2dShape(in, w, bias, a, error);
  EXPECT_FALSE(s.has_value()) << formatShape(*s);
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(ShapeRulesTest, FormatShape) {
  EXPECT_EQ(formatShape({}), "[]");
  EXPECT_EQ(formatShape({7}), "[7]");
  EXPECT_EQ(formatShape({1, 3, 224, 224}), "[1, 3, 224, 224]");
}

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

TEST(ShapeRulesTest, Conv2dResNetStem) {
  // 7x7, 64, stride 2, pad 3: 224 -> 112.
  EXPECT_EQ(conv({1, 3, 224, 224}, {64, 3, 7, 7}, convAttrs(2, 3)),
            "[1, 64, 112, 112]");
}

TEST(ShapeRulesTest, Conv2dStridedAndPadded) {
  // 3x3 stride 2 pad 1 halves: 56 -> 28, odd 7 -> 4.
  EXPECT_EQ(conv({8, 128, 56, 56}, {128, 128, 3, 3}, convAttrs(2, 1)),
            "[8, 128, 28, 28]");
  EXPECT_EQ(conv({1, 4, 7, 7}, {4, 4, 3, 3}, convAttrs(2, 1)),
            "[1, 4, 4, 4]");
  // 3x3 "same" padding keeps size; no padding shrinks by 2.
  EXPECT_EQ(conv({1, 16, 32, 32}, {16, 16, 3, 3}, convAttrs(1, 1)),
            "[1, 16, 32, 32]");
  EXPECT_EQ(conv({1, 16, 32, 32}, {16, 16, 3, 3}, convAttrs(1, 0)),
            "[1, 16, 30, 30]");
  // 1x1 stride-2 projection shortcut: 56 -> 28.
  EXPECT_EQ(conv({1, 256, 56, 56}, {512, 256, 1, 1}, convAttrs(2, 0)),
            "[1, 512, 28, 28]");
  // Dilation 2, pad 2 keeps size for 3x3.
  EXPECT_EQ(conv({1, 8, 10, 10}, {8, 8, 3, 3}, convAttrs(1, 2, 1, 2)),
            "[1, 8, 10, 10]");
  // Non-square strides/padding.
  Conv2dAttrs a;
  a.strides = {1, 2};
  a.padding = {0, 1};
  EXPECT_EQ(conv({1, 2, 9, 9}, {3, 2, 3, 3}, a), "[1, 3, 7, 5]");
}

TEST(ShapeRulesTest, Conv2dGrouped) {
  // ResNeXt form (c): 3x3, 128, C=32 -> weight [128, 4, 3, 3].
  EXPECT_EQ(conv({2, 128, 56, 56}, {128, 4, 3, 3}, convAttrs(1, 1, 32)),
            "[2, 128, 56, 56]");
  EXPECT_EQ(conv({2, 256, 56, 56}, {256, 8, 3, 3}, convAttrs(2, 1, 32)),
            "[2, 256, 28, 28]");
  // Depthwise.
  EXPECT_EQ(conv({1, 64, 8, 8}, {64, 1, 3, 3}, convAttrs(1, 1, 64)),
            "[1, 64, 8, 8]");
}

TEST(ShapeRulesTest, Conv2dWithBias) {
  Shape bias{64};
  EXPECT_EQ(conv({1, 3, 8, 8}, {64, 3, 1, 1}, convAttrs(1, 0), &bias),
            "[1, 64, 8, 8]");
  Shape wrong{32};
  std::string e = convError({1, 3, 8, 8}, {64, 3, 1, 1}, convAttrs(1, 0),
                            &wrong);
  EXPECT_CONTAINS(e, "operand 'bias'");
  EXPECT_CONTAINS(e, "[64]");
  EXPECT_CONTAINS(e, "dim 0 of 'weight'");
  EXPECT_CONTAINS(e, "got [32]");
}

TEST(ShapeRulesTest, Conv2dErrorsNameOperandAndDim) {
  std::string e = convError({3, 224, 224}, {64, 3, 7, 7}, convAttrs(2, 3));
  EXPECT_CONTAINS(e, "operand 'input' must be 4-D NCHW");
  EXPECT_CONTAINS(e, "[3, 224, 224]");

  e = convError({1, 3, 224, 224}, {64, 3, 7}, convAttrs(2, 3));
  EXPECT_CONTAINS(e, "operand 'weight' must be 4-D OIHW");

  // Channel mismatch names dim 1 of both operands and the groups.
  e = convError({1, 6, 8, 8}, {8, 2, 3, 3}, convAttrs(1, 1, 4));
  EXPECT_CONTAINS(e, "dim 1 of 'input' = 6");
  EXPECT_CONTAINS(e, "dim 1 of 'weight' (2)");
  EXPECT_CONTAINS(e, "groups (4)");
  EXPECT_CONTAINS(e, "= 8");

  e = convError({1, 8, 8, 8}, {6, 2, 3, 3}, convAttrs(1, 1, 4));
  EXPECT_CONTAINS(e, "dim 0 of 'weight' = 6");
  EXPECT_CONTAINS(e, "divisible by groups (4)");

  e = convError({1, 8, 8, 8}, {8, 8, 3, 3}, convAttrs(1, 1, 0));
  EXPECT_CONTAINS(e, "attribute 'groups' must be >= 1, got 0");

  e = convError({1, 3, 2, 5}, {8, 3, 3, 3}, convAttrs(1, 0));
  EXPECT_CONTAINS(e, "output height would be empty");
  EXPECT_CONTAINS(e, "input 2, kernel 3");
  e = convError({1, 3, 5, 2}, {8, 3, 3, 3}, convAttrs(1, 0));
  EXPECT_CONTAINS(e, "output width would be empty");

  Conv2dAttrs a = convAttrs(1, 0);
  a.strides = {1, 0};
  e = convError({1, 3, 8, 8}, {8, 3, 3, 3}, a);
  EXPECT_CONTAINS(e, "attribute 'strides' entry 1 (W) must be >= 1, got 0");
  a = convAttrs(1, 0);
  a.padding = {-1, 0};
  e = convError({1, 3, 8, 8}, {8, 3, 3, 3}, a);
  EXPECT_CONTAINS(e, "attribute 'padding' entry 0 (H) must be >= 0");
  a = convAttrs(1, 0);
  a.dilation = {1};
  e = convError({1, 3, 8, 8}, {8, 3, 3, 3}, a);
  EXPECT_CONTAINS(e, "attribute 'dilation' must have 2 entries (H, W), got 1");
}

//===----------------------------------------------------------------------===//
// Pooling: the ResNet stem 224 -> 112 -> 56.
//===----------------------------------------------------------------------===//

TEST(ShapeRulesTest, MaxPoolResNetStem) {
  std::string error;
  auto c = conv2dShape({1, 3, 224, 224}, {64, 3, 7, 7}, nullptr,
                       convAttrs(2, 3), error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(*c, (Shape{1, 64, 112, 112}));
  auto p = maxPool2dShape(*c, {3, 3}, {2, 2}, {1, 1}, error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(*p, (Shape{1, 64, 56, 56}));
  // Non-overlapping 2x2 pooling, odd input floors.
  p = maxPool2dShape({4, 8, 7, 7}, {2, 2}, {2, 2}, {0, 0}, error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(*p, (Shape{4, 8, 3, 3}));
}

TEST(ShapeRulesTest, MaxPoolErrors) {
  std::string error;
  EXPECT_FALSE(maxPool2dShape({64, 56, 56}, {3, 3}, {2, 2}, {1, 1}, error));
  EXPECT_CONTAINS(error, "operand 'input' must be 4-D NCHW");
  EXPECT_FALSE(maxPool2dShape({1, 64, 56, 56}, {3, 3}, {2, 2}, {2, 2}, error));
  EXPECT_CONTAINS(error, "padding (2) must be at most half the kernel (3)");
  EXPECT_FALSE(maxPool2dShape({1, 64, 56, 56}, {3}, {2, 2}, {1, 1}, error));
  EXPECT_CONTAINS(error, "attribute 'kernel' must have 2 entries");
  EXPECT_FALSE(maxPool2dShape({1, 64, 2, 2}, {3, 3}, {1, 1}, {0, 0}, error));
  EXPECT_CONTAINS(error, "output height would be empty");
}

TEST(ShapeRulesTest, GlobalAvgPool) {
  std::string error;
  auto s = globalAvgPoolShape({2, 2048, 7, 7}, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{2, 2048}));
  EXPECT_FALSE(globalAvgPoolShape({2, 2048}, error));
  EXPECT_CONTAINS(error, "operand 'input' must be 4-D");
}

//===----------------------------------------------------------------------===//
// concat / slice (forms (b) and (c) of the block).
//===----------------------------------------------------------------------===//

TEST(ShapeRulesTest, Concat) {
  std::string error;
  // 32 paths of d=4 channels -> C*d = 128.
  std::vector<Shape> paths(32, Shape{2, 4, 56, 56});
  auto s = concatShape(paths, 1, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{2, 128, 56, 56}));
  s = concatShape({{2, 3, 4, 4}, {2, 5, 4, 4}, {2, 1, 4, 4}}, 1, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{2, 9, 4, 4}));
  s = concatShape({{2, 3}, {5, 3}}, 0, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{7, 3}));
  s = concatShape({{1, 8, 4, 4}}, 1, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{1, 8, 4, 4}));
}

TEST(ShapeRulesTest, ConcatErrorsNameOperandAndDim) {
  std::string error;
  EXPECT_FALSE(concatShape({{2, 3, 4, 4}, {2, 5, 4, 6}}, 1, error));
  EXPECT_CONTAINS(error, "operand #1 dim 3 is 6 but operand #0 dim 3 is 4");
  EXPECT_CONTAINS(error, "concatenation axis 1");
  EXPECT_FALSE(concatShape({{2, 3, 4, 4}, {2, 3, 4}}, 1, error));
  EXPECT_CONTAINS(error, "operand #1 has rank 3 but operand #0 has rank 4");
  EXPECT_FALSE(concatShape({{2, 3, 4, 4}}, 4, error));
  EXPECT_CONTAINS(error, "attribute 'axis' (4) is out of range for rank 4");
  EXPECT_FALSE(concatShape({{2, 3, 4, 4}}, -1, error));
  EXPECT_CONTAINS(error, "attribute 'axis' (-1)");
  EXPECT_FALSE(concatShape({}, 1, error));
  EXPECT_CONTAINS(error, "at least one operand");
}

TEST(ShapeRulesTest, Slice) {
  std::string error;
  // Path 31 of form (c): channels [124, 128) of 128.
  auto s = sliceShape({2, 128, 56, 56}, 1, 124, 4, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{2, 4, 56, 56}));
  s = sliceShape({2, 128, 56, 56}, 1, 0, 128, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{2, 128, 56, 56}));

  EXPECT_FALSE(sliceShape({2, 128, 56, 56}, 1, 126, 4, error));
  EXPECT_CONTAINS(error, "range [126, 130) is outside dim 1 of 'input' "
                         "(size 128)");
  EXPECT_FALSE(sliceShape({2, 128, 56, 56}, 1, -1, 4, error));
  EXPECT_CONTAINS(error, "dim 1 of 'input'");
  EXPECT_FALSE(sliceShape({2, 128, 56, 56}, 1, 0, 0, error));
  EXPECT_CONTAINS(error, "range [0, 0)");
  EXPECT_FALSE(sliceShape({2, 128}, 2, 0, 1, error));
  EXPECT_CONTAINS(error, "attribute 'axis' (2) is out of range for rank 2");
}

//===----------------------------------------------------------------------===//
// batch norm, linear, loss, elementwise.
//===----------------------------------------------------------------------===//

TEST(ShapeRulesTest, BatchNorm) {
  std::string error;
  auto s = batchNormShape({2, 64, 8, 8}, {64}, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{2, 64, 8, 8}));
  s = batchNormShape({2, 64}, {64}, error);
  ASSERT_TRUE(s) << error;
  EXPECT_FALSE(batchNormShape({2, 64, 8, 8}, {32}, error));
  EXPECT_CONTAINS(error, "operand 'scale' has 32 channels but dim 1 of "
                         "'input' has 64");
  EXPECT_FALSE(batchNormShape({2, 64, 8}, {64}, error));
  EXPECT_CONTAINS(error, "operand 'input'");
  EXPECT_FALSE(batchNormShape({2, 64, 8, 8}, {64, 1}, error));
  EXPECT_CONTAINS(error, "operand 'scale' must be 1-D");
}

TEST(ShapeRulesTest, Linear) {
  std::string error;
  Shape bias{1000};
  auto s = linearShape({4, 2048}, {1000, 2048}, &bias, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{4, 1000}));

  EXPECT_FALSE(linearShape({4, 2048, 1, 1}, {1000, 2048}, &bias, error));
  EXPECT_CONTAINS(error, "operand 'input' must be 2-D NxI");
  EXPECT_CONTAINS(error, "[4, 2048, 1, 1]");
  EXPECT_FALSE(linearShape({4, 2048}, {1000}, &bias, error));
  EXPECT_CONTAINS(error, "operand 'weight' must be 2-D");
  EXPECT_FALSE(linearShape({4, 1024}, {1000, 2048}, &bias, error));
  EXPECT_CONTAINS(error, "dim 1 of 'input' = 1024");
  EXPECT_CONTAINS(error, "dim 1 of 'weight' (2048)");
  Shape wrong{10};
  EXPECT_FALSE(linearShape({4, 2048}, {1000, 2048}, &wrong, error));
  EXPECT_CONTAINS(error, "operand 'bias' must have shape [1000]");
}

TEST(ShapeRulesTest, SoftmaxCrossEntropy) {
  std::string error;
  auto s = softmaxCrossEntropyShape({8, 10}, {8}, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, Shape{});
  EXPECT_FALSE(softmaxCrossEntropyShape({8, 10}, {4}, error));
  EXPECT_CONTAINS(error, "operand 'labels' has 4 entries");
  EXPECT_CONTAINS(error, "dim 0 of 'logits'");
  EXPECT_FALSE(softmaxCrossEntropyShape({8, 10, 1}, {8}, error));
  EXPECT_CONTAINS(error, "operand 'logits' must be 2-D");
}

TEST(ShapeRulesTest, SameShape) {
  std::string error;
  auto s = sameShape({1, 2, 3}, {1, 2, 3}, "lhs", "rhs", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(*s, (Shape{1, 2, 3}));
  EXPECT_FALSE(sameShape({1, 2, 3}, {1, 2, 4}, "lhs", "rhs", error));
  EXPECT_EQ(error,
            "operand 'lhs' has shape [1, 2, 3] but 'rhs' has shape [1, 2, 4]");
}

TEST(ShapeRulesTest, Initializers) {
  for (const char *i : {"he_normal", "linear_uniform", "ones", "zeros"})
    EXPECT_TRUE(isParamInit(i)) << i;
  EXPECT_FALSE(isParamInit("random"));
  EXPECT_TRUE(isStateInit("ones"));
  EXPECT_TRUE(isStateInit("zeros"));
  EXPECT_FALSE(isStateInit("he_normal"));
}

} // namespace
