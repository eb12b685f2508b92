//===- PlanTraffic.h - bytes a kernel plan moves per step ------------------===//
//
// A plan-level model of memory traffic: for each kernel call, the bytes of
// the tensors it reads and writes, summed over a step. It compares fused and
// unfused plans (fusion's point is fewer passes over activations) without
// hardware counters, and is what `cardinal build --emit=plan` prints under
// each plan and bench/fusion_table.py reports.
//
// Rules (4 bytes per element, labels included):
//  - Default: every input is read once and every output written once: a
//    kernel that streams each operand one time.
//  - Scratch that stays in cache is not counted (im2col panels, packed
//    inputs of the direct conv, per-thread partial sums).
//  - conv2d_bn_act reads x, the cached folded weights (W' and b', as many
//    elements as W plus one per output channel) and the residual, and writes
//    y: BN's four vectors are read by the fold, once per weight version, not
//    per step.
//  - batch_norm_train, bn_train_relu: two passes over x (moments, then
//    normalize); the running mean and variance are read and written.
//  - batch_norm_backward, bn_relu_backward, and the conv-level fusion's
//    bn_relu_apply_backward and bn_add_relu_backward: two passes over their
//    activation inputs (the reductions, then dx); the ReLU mask's source
//    (the ReLU output, or the BN input it is recomputed from) is an input.
//  - conv2d_backward_data_bn_sums (the BN+ReLU backward's reductions fused
//    into the conv backward-data that writes its dy) reads dy's producer
//    inputs and the BN input x once and writes dy once: the chunk of dy it
//    sums is still in cache. bn_relu_apply_backward_input then makes one
//    pass (dy, x -> dx). Both are the default rule; together they move one
//    read of dy less than conv2d_backward_data + bn_relu_apply_backward.
//    (With --sync-bn the dx kernel makes the reductions pass again; the
//    plan does not model that.)
//  - sgd_update: reads the parameter, its gradient and the velocity; writes
//    the parameter and the velocity.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_CODEGEN_PLANTRAFFIC_H
#define CARDINAL_CODEGEN_PLANTRAFFIC_H

#include "codegen/KernelPlan.h"

#include <cstdint>
#include <string>

namespace cardinal::codegen {

struct Traffic {
  int64_t read = 0, written = 0; // bytes
  int64_t total() const { return read + written; }
  Traffic &operator+=(const Traffic &o) {
    read += o.read, written += o.written;
    return *this;
  }
};

/// Bytes one call moves, by the rules above.
Traffic callTraffic(const KernelCall &c);

/// The sum over every call of the plan: bytes moved per step.
Traffic planTraffic(const KernelPlan &plan);

/// The footer `--emit=plan` prints: the total per step, then the bytes per
/// kernel name, largest first.
std::string printPlanTraffic(const KernelPlan &plan);

} // namespace cardinal::codegen

#endif
