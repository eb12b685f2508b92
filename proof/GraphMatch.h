//===- GraphMatch.h - are two graphs the same up to parameter renaming? ----===//
#ifndef CARDINAL_PROOF_GRAPHMATCH_H
#define CARDINAL_PROOF_GRAPHMATCH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>
#include <string>

namespace cardinal::proof {

struct GraphMatch {
  bool equal = false;
  std::string mismatch;                       // the first difference found
  std::map<std::string, std::string> renaming; // left param/state -> right
};

/// Compares the graphs that compute the two functions' results: same ops,
/// attributes, types and wiring; parameters and state may have other names
/// as long as the renaming is a bijection and shapes and inits agree.
GraphMatch matchGraphs(mlir::func::FuncOp left, mlir::func::FuncOp right);

} // namespace cardinal::proof

#endif
