//===- PlanTraffic.cpp - bytes a kernel plan moves per step ----------------===//
#include "codegen/PlanTraffic.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

namespace cardinal::codegen {

namespace {

constexpr int64_t kElementBytes = 4; // f32, and the i32 labels

int64_t bytes(const Buffer &b) { return b.elements() * kElementBytes; }

/// Passes a kernel makes over its (non-parameter) inputs.
int64_t inputPasses(const std::string &kernel) {
  if (kernel == "batch_norm_train" || kernel == "bn_train_relu" ||
      kernel == "batch_norm_backward" || kernel == "bn_relu_backward" ||
      kernel == "bn_relu_apply_backward" || kernel == "bn_add_relu_backward")
    return 2;
  return 1;
}

} // namespace

Traffic callTraffic(const KernelCall &c) {
  Traffic t;
  const std::string &k = c.kernel;
  if (k == "conv2d_bn_act") {
    // x, W' (and b'), residual -> y.
    t.read = bytes(c.inputs[0]) + bytes(c.inputs[1]) +
             c.inputs[2].elements() * kElementBytes;
    if (c.inputs.size() > 6)
      t.read += bytes(c.inputs[6]);
    t.written = bytes(c.outputs[0]);
    return t;
  }
  if (k == "batch_norm_train" || k == "bn_train_relu") {
    // x twice; scale, shift, running mean, running var once; the running
    // statistics are written back, with y.
    t.read = 2 * bytes(c.inputs[0]);
    for (size_t i = 1; i < c.inputs.size(); ++i)
      t.read += bytes(c.inputs[i]);
    t.written = bytes(c.outputs[0]) + bytes(c.inputs[3]) + bytes(c.inputs[4]);
    return t;
  }
  if (k == "sgd_update") {
    // param, grad and velocity (the param's shape) in; param, velocity out.
    t.read = bytes(c.inputs[0]) + bytes(c.inputs[1]) + bytes(c.inputs[0]);
    t.written = 2 * bytes(c.inputs[0]);
    return t;
  }
  const int64_t passes = inputPasses(k);
  for (const Buffer &b : c.inputs) {
    // Per-channel vectors (BN scale) are read once even by two-pass kernels.
    const bool activation = b.shape.size() == 4;
    t.read += (activation ? passes : 1) * bytes(b);
  }
  for (const Buffer &b : c.outputs)
    t.written += bytes(b);
  return t;
}

Traffic planTraffic(const KernelPlan &plan) {
  Traffic t;
  for (const KernelCall &c : plan.calls)
    t += callTraffic(c);
  return t;
}

std::string printPlanTraffic(const KernelPlan &plan) {
  std::map<std::string, Traffic> byKernel;
  std::map<std::string, int64_t> calls;
  for (const KernelCall &c : plan.calls) {
    byKernel[c.kernel] += callTraffic(c);
    ++calls[c.kernel];
  }
  std::vector<std::pair<std::string, Traffic>> rows(byKernel.begin(),
                                                    byKernel.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.total() > b.second.total();
  });
  const Traffic t = planTraffic(plan);
  std::string s = fmt::format(
      "bytes moved per step ({}): {} ({:.1f} MiB; read {}, written {})\n",
      plan.function, t.total(), t.total() / 1048576.0, t.read, t.written);
  for (const auto &[kernel, k] : rows)
    s += fmt::format("  {:<32} {:>5} calls {:>14} bytes {:>10.1f} MiB\n",
                     kernel, calls[kernel], k.total(), k.total() / 1048576.0);
  return s;
}

} // namespace cardinal::codegen
