//===- Prover.h - rewrite one form into another, keeping the trace --------===//
#ifndef CARDINAL_PROOF_PROVER_H
#define CARDINAL_PROOF_PROVER_H

#include "proof/GraphMatch.h"
#include "proof/Rules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace cardinal::proof {

/// A checkable proof that `source` computes the same function as `target`:
/// the rules applied to `source`, and the renaming under which the result is
/// `target`'s graph.
struct Certificate {
  std::vector<Step> steps;
  GraphMatch final; // rewritten source vs target
  bool proved() const { return final.equal; }
};

/// Rewrites `source` (mutated in place: pass a clone) with the rule library
/// until it is `target`'s graph up to renaming or no rule applies.
Certificate prove(mlir::func::FuncOp source, mlir::func::FuncOp target);

/// Replays `steps` on `source` (mutated in place): each rule must match at
/// its recorded site and create the recorded parameters, and the result
/// must be `target` up to renaming. Fills `error` on the first failure.
bool checkCertificate(mlir::func::FuncOp source, mlir::func::FuncOp target,
                      const std::vector<Step> &steps, std::string &error);

/// The op at position `index` of a pre-order walk of `f`'s body; nullptr if
/// out of range. Sites in certificates are such positions.
mlir::Operation *opAt(mlir::func::FuncOp f, int64_t index);
int64_t indexOf(mlir::func::FuncOp f, mlir::Operation *op);

} // namespace cardinal::proof

#endif
