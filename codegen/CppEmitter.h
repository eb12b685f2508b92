//===- CppEmitter.h - print kernel plans as a C++ trainer ------------------===//
#ifndef CARDINAL_CODEGEN_CPPEMITTER_H
#define CARDINAL_CODEGEN_CPPEMITTER_H

#include "codegen/KernelPlan.h"
#include "passes/ParamMap.h"

#include <array>
#include <optional>

#include <string>

namespace cardinal::codegen {

struct TrainerSpec {
  std::string model;        // name reported by the trainer
  float momentum = 0.9f;    // defaults of the compiled SGD update
  float weightDecay = 1e-4f;
  float lr = 0.1f;
  /// Maps from the trained (form (c)) tensors to forms (a), (b), (c), for
  /// `trainer export`; absent maps make export refuse that form.
  std::array<std::optional<ParamMap>, 3> formMaps;
};

/// One C++ file defining a CompiledModel (runtime/trainer/CompiledModel.h):
/// `train` is the planned training step (attach-loss, autodiff, sgd),
/// `predict` the planned inference function (BN with running statistics).
/// Deterministic: the same plans print the same bytes.
std::string emitCpuTrainer(const KernelPlan &train, const KernelPlan &predict,
                           const TrainerSpec &spec);

} // namespace cardinal::codegen

#endif
