//===- GradientReadinessTest.cpp - when a gradient may be reduced in place -===//
//
// gradientsReadyAfter (codegen/EmitterUtil.h) tells both emitters after
// which call data parallelism may start reducing each gradient while
// backward goes on. In place on another stream (NCCL), that must be after
// the last call that reads the gradient, not just the one that writes it:
// a fused BN backward reads the BN-parameter gradients the conv
// backward-data wrote. Hand-built plans.
//
//===----------------------------------------------------------------------===//
#include "codegen/EmitterUtil.h"

#include <gtest/gtest.h>

#include <map>

using namespace cardinal::codegen;

namespace {

Buffer arena(int64_t offset, std::vector<int64_t> shape) {
  Buffer b;
  b.offset = offset;
  b.shape = std::move(shape);
  return b;
}

Buffer param(std::string name) {
  Buffer b;
  b.kind = Buffer::Kind::Persistent;
  b.name = std::move(name);
  b.shape = {4};
  return b;
}

KernelCall callOf(std::string kernel, std::vector<Buffer> in,
                  std::vector<Buffer> out, int64_t producer = -2) {
  KernelCall c;
  c.kernel = std::move(kernel);
  c.inputs = std::move(in);
  c.outputs = std::move(out);
  if (producer > -2)
    c.ints["grad_producer"] = producer;
  return c;
}

} // namespace

TEST(GradientReadiness, AfterTheLastCallThatTouchesTheGradient) {
  // Arena: dx [0, 64), dW [64, 128), dscale [128, 144), dshift [144, 160),
  // tmp [160, 224) (bytes, 4 per element).
  const Buffer dx = arena(0, {16}), dW = arena(64, {16}),
               dscale = arena(128, {4}), dshift = arena(144, {4}),
               tmp = arena(160, {16});
  KernelPlan p;
  p.calls = {
      callOf("conv2d_backward_weight", {tmp, tmp}, {dW}),                  // 0
      callOf("conv2d_backward_data_bn_sums", {tmp}, {dx, dscale, dshift}), // 1
      callOf("relu_backward", {tmp}, {tmp}),                               // 2
      callOf("bn_relu_apply_backward_input", {dx, dscale, dshift}, {tmp}), // 3
      callOf("relu_backward", {tmp}, {tmp}),                               // 4
      callOf("sgd_update", {param("w"), dW}, {}, 0),
      callOf("sgd_update", {param("bn.scale"), dscale}, {}, 1),
      callOf("sgd_update", {param("bn.shift"), dshift}, {}, 1),
      callOf("sgd_update", {param("never"), arena(300, {4})}, {}, -1),
  };
  const std::multimap<int64_t, int64_t> ready = gradientsReadyAfter(p);
  const std::multimap<int64_t, int64_t> expected = {
      {0, 0},  // dW: written by 0, read by nothing later
      {3, 1},  // dscale: written by 1, read by 3
      {3, 2},  // dshift likewise
      {-1, 3}, // no producer: never reported (reduced with the rest)
  };
  EXPECT_EQ(ready, expected);
}
