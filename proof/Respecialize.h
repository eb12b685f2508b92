//===- Respecialize.h - re-infer a graph's shapes for a smaller input -----===//
//
// Equivalence of two forms does not depend on the batch or the spatial size
// (beyond covering strides and padding), so the exact and float checks run
// blocks on small inputs: every nn.input gets the new N/H/W and every result
// type is recomputed with the shape rules.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_PROOF_RESPECIALIZE_H
#define CARDINAL_PROOF_RESPECIALIZE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace cardinal::proof {

/// Sets batch `n` and spatial size `hw` on every 4-D nn.input (labels get
/// batch `n`) and recomputes all result types in place; fails with a
/// diagnostic if some op becomes invalid (e.g. the window no longer fits).
mlir::LogicalResult respecialize(mlir::func::FuncOp f, int64_t n, int64_t hw);

} // namespace cardinal::proof

#endif
