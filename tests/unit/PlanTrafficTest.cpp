//===- PlanTrafficTest.cpp - bytes per step against hand counts ------------===//
//
// Tiny hand-built plans (the predict plan of a conv-BN-ReLU -> pool -> fc
// model, and the multi-pass training kernels) whose byte counts are worked
// out by hand in the comments, element counts times 4 bytes.
//
//===----------------------------------------------------------------------===//
#include "codegen/PlanTraffic.h"

#include <gtest/gtest.h>

using namespace cardinal::codegen;

namespace {

Buffer buf(std::vector<int64_t> shape) {
  Buffer b;
  b.shape = std::move(shape);
  return b;
}

KernelCall callOf(std::string kernel, std::vector<Buffer> in,
                  std::vector<Buffer> out) {
  KernelCall c;
  c.kernel = std::move(kernel);
  c.inputs = std::move(in);
  c.outputs = std::move(out);
  return c;
}

/// conv3x3 (3 -> 4, BN folded, ReLU) -> global average pool -> fc 4 -> 3,
/// batch 2, 4x4 images.
KernelPlan tinyPredict(bool residual) {
  KernelPlan p;
  p.function = "tiny";
  std::vector<Buffer> in = {buf({2, 3, 4, 4}), buf({4, 3, 3, 3}), buf({4}),
                            buf({4}),          buf({4}),          buf({4})};
  if (residual)
    in.push_back(buf({2, 4, 4, 4}));
  KernelCall conv = callOf("conv2d_bn_act", in, {buf({2, 4, 4, 4})});
  conv.ints = {{"residual", residual ? 1 : 0}, {"relu", 1}};
  p.calls.push_back(conv);
  p.calls.push_back(callOf("global_avg_pool_forward", {buf({2, 4, 4, 4})},
                           {buf({2, 4})}));
  p.calls.push_back(callOf("linear_forward",
                           {buf({2, 4}), buf({3, 4}), buf({3})},
                           {buf({2, 3})}));
  return p;
}

} // namespace

TEST(PlanTraffic, TinyPredictPlanMatchesHandCount) {
  // conv2d_bn_act: x 96 + W' 108 + b' 4 elements read, y 128 written
  //   (scale, shift, mean, var are read by the cached fold, not per step).
  EXPECT_EQ(callTraffic(tinyPredict(false).calls[0]).read, (96 + 108 + 4) * 4);
  EXPECT_EQ(callTraffic(tinyPredict(false).calls[0]).written, 128 * 4);
  // pool: 128 read, 8 written. fc: 8 + 12 + 3 read, 6 written.
  const Traffic t = planTraffic(tinyPredict(false));
  EXPECT_EQ(t.read, (208 + 128 + 23) * 4);
  EXPECT_EQ(t.written, (128 + 8 + 6) * 4);
  EXPECT_EQ(t.total(), 2004);
  // A residual adds one read of y's size.
  EXPECT_EQ(planTraffic(tinyPredict(true)).total(), 2004 + 128 * 4);
}

TEST(PlanTraffic, MultiPassKernelsCountEveryPass) {
  const Buffer x = buf({2, 4, 4, 4}), v = buf({4}), w = buf({4, 3, 3, 3});
  // BN train: x twice (128 + 128) + 4 vectors (16) read; y (128) and the
  // running mean and variance (8) written.
  Traffic bn = callTraffic(callOf("batch_norm_train", {x, v, v, v, v}, {x}));
  EXPECT_EQ(bn.read, (256 + 16) * 4);
  EXPECT_EQ(bn.written, (128 + 8) * 4);
  EXPECT_EQ(callTraffic(callOf("bn_train_relu", {x, v, v, v, v}, {x})).total(),
            bn.total());
  // Fused dReLU + dBN backward: dy, y, x twice each (768) + scale (4) read;
  // dx (128), dscale and dshift (8) written.
  Traffic back =
      callTraffic(callOf("bn_relu_backward", {x, x, x, v}, {x, v, v}));
  EXPECT_EQ(back.read, (768 + 4) * 4);
  EXPECT_EQ(back.written, (128 + 8) * 4);
  // SGD: param, grad, velocity (108 each) read; param, velocity written.
  Traffic sgd = callTraffic(callOf("sgd_update", {w, w}, {}));
  EXPECT_EQ(sgd.read, 3 * 108 * 4);
  EXPECT_EQ(sgd.written, 2 * 108 * 4);
  // Default single-pass rule: relu reads and writes 128 each.
  EXPECT_EQ(callTraffic(callOf("relu_forward", {x}, {x})).total(), 256 * 4);
}

TEST(PlanTraffic, BnGradSumsFusedIntoConvBackwardData) {
  // The backward of conv(relu(BN(x)), w) with x [2,4,4,4] (128 elements),
  // w [6,4,1,1] (24), the conv's output gradient dz [2,6,4,4] (192) and
  // the BN's vectors [4].
  const Buffer x = buf({2, 4, 4, 4}), dz = buf({2, 6, 4, 4}),
               w = buf({6, 4, 1, 1}), v = buf({4});
  // Unfused: conv2d_backward_data reads dz + w (216), writes dy (128);
  // bn_relu_apply_backward reads dy and x twice (512) + 4 vectors (16),
  // writes dx (128) + dscale and dshift (8).
  Traffic data = callTraffic(callOf("conv2d_backward_data", {dz, w}, {x}));
  EXPECT_EQ(data.read, 216 * 4);
  EXPECT_EQ(data.written, 128 * 4);
  Traffic apply = callTraffic(
      callOf("bn_relu_apply_backward", {x, x, v, v, v, v}, {x, v, v}));
  EXPECT_EQ(apply.read, (512 + 16) * 4);
  EXPECT_EQ(apply.written, (128 + 8) * 4);
  // Fused: conv2d_backward_data_bn_sums reads dz + w + x (344) + 4 vectors
  // (16), writes dy (128) + the two sums (8); bn_relu_apply_backward_input
  // reads dy and x once (256) + 6 vectors (24), writes dx (128).
  Traffic sums = callTraffic(callOf("conv2d_backward_data_bn_sums",
                                    {dz, w, x, v, v, v, v}, {x, v, v}));
  EXPECT_EQ(sums.read, (344 + 16) * 4);
  EXPECT_EQ(sums.written, (128 + 8) * 4);
  Traffic dx = callTraffic(callOf("bn_relu_apply_backward_input",
                                  {x, x, v, v, v, v, v, v}, {x}));
  EXPECT_EQ(dx.read, (256 + 24) * 4);
  EXPECT_EQ(dx.written, 128 * 4);
  // One read of dy (128 elements) less; the dx pass reads the four BN
  // vectors again and the two sums (24 elements more).
  EXPECT_EQ((data.total() + apply.total()) - (sums.total() + dx.total()),
            (128 - 24) * 4);
}

TEST(PlanTraffic, FooterNamesTheTotalAndKernels) {
  const std::string s = printPlanTraffic(tinyPredict(false));
  EXPECT_NE(s.find("bytes moved per step (tiny): 2004 "), std::string::npos)
      << s;
  EXPECT_NE(s.find("conv2d_bn_act"), std::string::npos) << s;
}
