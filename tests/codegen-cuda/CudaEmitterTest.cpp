//===- CudaEmitterTest.cpp - CUDA emitter refusals --------------------------===//
//
// Plans the CUDA emitter cannot print must fail with a message naming the
// kernel and the op it came from (not print code nvcc would reject later).
//
//===----------------------------------------------------------------------===//
#include "codegen/CudaEmitter.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace cardinal::codegen;

namespace {

Buffer arena(int64_t offset, std::vector<int64_t> shape) {
  Buffer b;
  b.kind = Buffer::Kind::Arena;
  b.offset = offset;
  b.shape = std::move(shape);
  return b;
}

// A training plan whose only call is `kernel`, and a trivial inference plan.
std::string emitWith(const KernelCall &call, bool bf16) {
  KernelPlan train, predict;
  train.imageShape = {2, 1, 4, 4};
  train.calls.push_back(call);
  train.results = {arena(0, {}), arena(64, {2, 10})};
  predict.results = {arena(0, {2, 10})};
  CudaOptions opts;
  opts.bf16 = bf16;
  return emitCudaTrainer(train, predict, TrainerSpec{}, opts);
}

std::string messageOf(const KernelCall &call, bool bf16) {
  try {
    emitWith(call, bf16);
  } catch (const std::runtime_error &e) {
    return e.what();
  }
  return "";
}

TEST(CudaEmitter, UnknownKernelNamesKernelAndOp) {
  // A kernel the plan may gain before runtime/cuda has it (`cardinal build
  // --target cuda` then falls back to a fusion level the emitter prints).
  KernelCall c;
  c.kernel = "conv3d_forward";
  c.origin = "nn.conv3d loc(\"stem.conv\")";
  std::string m = messageOf(c, false);
  EXPECT_NE(m.find("no CUDA code for kernel 'conv3d_forward'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("nn.conv3d loc(\"stem.conv\")"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("--target cpu"), std::string::npos) << m;
}

TEST(CudaEmitter, SupportedKernels) {
  // Including every kernel of the conv-level training fusion.
  for (const char *k :
       {"conv2d_forward", "conv2d_bn_act", "bn_train_relu", "bn_relu_backward",
        "sgd_update", "concat", "conv2d_stats", "bn_relu_conv2d_stats",
        "bn_relu_conv2d", "bn_relu_conv2d_backward_weight", "bn_add_relu",
        "bn_relu_apply_backward", "bn_add_relu_backward"})
    EXPECT_TRUE(cudaEmitterSupports(k)) << k;
  EXPECT_FALSE(cudaEmitterSupports("conv3d_forward"));
}

TEST(CudaEmitter, Bf16TypeMismatchIsRefused) {
  KernelCall grad;
  grad.kernel = "bias_grad";
  grad.origin = "nn.bias_grad";
  grad.inputs = {arena(0, {2, 4, 1, 1})};
  grad.outputs = {arena(128, {4})};
  KernelCall relu;
  relu.kernel = "relu_forward";
  relu.origin = "nn.relu";
  relu.inputs = {arena(128, {4})};
  relu.outputs = {arena(256, {4})};
  KernelCall conv;
  conv.kernel = "batch_norm_eval";
  conv.origin = "nn.batch_norm loc(\"x\")";
  conv.inputs = {arena(256, {1, 4, 1, 1}), arena(0, {4}), arena(0, {4}),
                 arena(0, {4}), arena(0, {4})};
  conv.outputs = {arena(512, {1, 4, 1, 1})};
  conv.reals = {{"eps", 1e-5}};
  KernelPlan train, predict;
  train.imageShape = {2, 1, 4, 4};
  train.calls = {grad, relu, conv};
  train.results = {arena(0, {}), arena(64, {2, 10})};
  predict.results = {arena(0, {2, 10})};
  CudaOptions opts;
  opts.bf16 = true;
  try {
    emitCudaTrainer(train, predict, TrainerSpec{}, opts);
    FAIL() << "no error";
  } catch (const std::runtime_error &e) {
    std::string m = e.what();
    EXPECT_NE(m.find("'batch_norm_eval'"), std::string::npos) << m;
    EXPECT_NE(m.find("reads a float buffer as bf16"), std::string::npos) << m;
  }
}

} // namespace
