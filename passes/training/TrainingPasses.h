//===- TrainingPasses.h - passes that build a training step ----------------===//
#ifndef CARDINAL_PASSES_TRAINING_TRAININGPASSES_H
#define CARDINAL_PASSES_TRAINING_TRAININGPASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace cardinal {

#define GEN_PASS_DECL
#include "passes/training/TrainingPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/training/TrainingPasses.h.inc"

} // namespace cardinal

#endif
