//===- Passes.h - Cardinal pass declarations and registration --------------===//
#ifndef CARDINAL_PASSES_PASSES_H
#define CARDINAL_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace cardinal {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace cardinal

#endif // CARDINAL_PASSES_PASSES_H
