//===- PlanExecutor.cpp ----------------------------------------------------===//
#include "tools/cardinal/PlanExecutor.h"

#include "runtime/Random.h"
#include "runtime/kernels/Kernels.h"

#include <algorithm>
#include <chrono>

namespace cardinal {

using codegen::Buffer;
using codegen::KernelCall;
using namespace cardinal::rt;

namespace {

ActShape act(const std::vector<int64_t> &s) {
  return {s[0], s[1], s.size() > 2 ? s[2] : 1, s.size() > 3 ? s[3] : 1};
}

ConvShape convShape(const KernelCall &c) {
  const auto &x = c.inputs[0].shape, &w = c.inputs[1].shape,
             &y = c.outputs[0].shape;
  ConvShape s{x[0], x[1], x[2], x[3], w[0], w[2], w[3],
              c.ints.at("stride_h"), c.ints.at("stride_w"), c.ints.at("pad_h"),
              c.ints.at("pad_w"), c.ints.at("dilation_h"),
              c.ints.at("dilation_w"), c.ints.at("groups"), y[2], y[3]};
  return s;
}

} // namespace

PlanExecutor::PlanExecutor(const codegen::KernelPlan &plan, uint64_t seed)
    : plan_(plan), arena_((plan.arenaBytes + 63) / 64 * 64 + 64) {
  rt::Random rng(seed);
  for (const codegen::PersistentTensor &t : plan.tensors) {
    int64_t n = 1;
    for (int64_t d : t.shape)
      n *= d;
    std::vector<float> v(n);
    for (float &x : v)
      x = t.init == "ones" ? 0.5f + static_cast<float>(rng.uniform())
                           : static_cast<float>(rng.normal() * 0.1);
    tensors_[t.name] = std::move(v);
  }
  int64_t n = 1;
  for (int64_t d : plan.imageShape)
    n *= d;
  images_.resize(n);
  for (float &x : images_)
    x = static_cast<float>(rng.normal());
}

float *PlanExecutor::ptr(const Buffer &b, const float *images) {
  switch (b.kind) {
  case Buffer::Kind::Arena:
    return reinterpret_cast<float *>(arena_.data() + b.offset);
  case Buffer::Kind::Persistent:
    return tensors_.at(b.name).data();
  case Buffer::Kind::Images:
    return const_cast<float *>(images);
  case Buffer::Kind::Labels:
    break;
  }
  return nullptr;
}

bool PlanExecutor::run(const float *images, std::string &error) {
  for (const KernelCall &c : plan_.calls) {
    auto in = [&](size_t i) { return ptr(c.inputs[i], images); };
    float *out = c.outputs.empty() ? nullptr : ptr(c.outputs[0], images);
    const std::string &k = c.kernel;
    if (k == "conv2d_forward") {
      conv2dForward<float>(convShape(c), in(0), in(1),
                           c.inputs.size() > 2 ? in(2) : nullptr, out);
    } else if (k == "batch_norm_eval") {
      batchNormForwardEval<float>(act(c.inputs[0].shape), in(0), in(1), in(2),
                                  in(3), in(4), c.reals.at("eps"), out);
    } else if (k == "relu_forward") {
      reluForward<float>(c.inputs[0].elements(), in(0), out);
    } else if (k == "add") {
      add<float>(c.inputs[0].elements(), in(0), in(1), out);
    } else if (k == "concat" && c.ints.at("axis") == 1) {
      std::vector<const float *> parts;
      std::vector<int64_t> channels;
      for (size_t i = 0; i < c.inputs.size(); ++i) {
        parts.push_back(in(i));
        channels.push_back(c.inputs[i].shape[1]);
      }
      const auto &s = c.outputs[0].shape;
      concatChannelsForward<float>(s[0], s.size() > 2 ? s[2] * s[3] : 1,
                                   parts.size(), parts.data(), channels.data(),
                                   out);
    } else if (k == "slice" && c.ints.at("axis") == 1) {
      const auto &s = c.inputs[0].shape;
      sliceChannelsForward<float>(s[0], s[1], s.size() > 2 ? s[2] * s[3] : 1,
                                  c.ints.at("start"), c.outputs[0].shape[1],
                                  in(0), out);
    } else {
      error = "the plan executor has no kernel '" + k + "'";
      return false;
    }
  }
  return true;
}

double PlanExecutor::time(int repeats, std::string &error) {
  if (!run(images_.data(), error))
    return -1;
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    run(images_.data(), error);
    seconds.push_back(std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

} // namespace cardinal
