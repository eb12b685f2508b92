//===- FusionPasses.h - op fusion passes ------------------------------------===//
#ifndef CARDINAL_PASSES_FUSION_FUSIONPASSES_H
#define CARDINAL_PASSES_FUSION_FUSIONPASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace cardinal {

#define GEN_PASS_DECL
#include "passes/fusion/FusionPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/fusion/FusionPasses.h.inc"

} // namespace cardinal

#endif
