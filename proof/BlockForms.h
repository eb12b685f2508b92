//===- BlockForms.h - one aggregated block, alone, in each form ------------===//
#ifndef CARDINAL_PROOF_BLOCKFORMS_H
#define CARDINAL_PROOF_BLOCKFORMS_H

#include "passes/ParamMap.h"

#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <array>
#include <string>
#include <vector>

namespace cardinal::proof {

/// The paper's block parameters, read off the aggregate.
struct BlockInfo {
  std::string name;          // "stage2.block0"
  int64_t cardinality = 0;   // C
  int64_t widthIn = 0, widthOut = 0;
  int64_t bottleneck = 0;    // d: output channels of the template's first conv
  int64_t height = 0, width = 0;
  int64_t stride = 1;
};

/// Parameter and multiply-add counts of one form of a block.
struct FormCounts {
  int64_t convParams = 0; // conv weights only: the paper's Eq. 4
  int64_t bnParams = 0;   // BN scale and shift
  int64_t macs = 0;       // per image
};

/// A block as a standalone function `@block` (nn.input "x" -> aggregate ->
/// return) plus its three lowerings and the parameter maps from the
/// aggregate's (per-path) parameters to each form's.
struct BlockForms {
  BlockInfo info;
  mlir::OwningOpRef<mlir::ModuleOp> aggregate;
  std::array<mlir::OwningOpRef<mlir::ModuleOp>, 3> forms;
  std::array<ParamMap, 3> maps;
  std::array<FormCounts, 3> counts;
  std::array<std::string, 3> unavailable; // why a form could not be built
};

/// Every top-level nn.aggregate of the module's first function, in order.
std::vector<cardinal::nn::AggregateOp> findBlocks(mlir::ModuleOp model);

/// The block's name: its first parameter's scope ("stage2.block0").
std::string blockName(cardinal::nn::AggregateOp agg);

/// Extracts `agg` and lowers it to (a), (b), (c).
BlockForms makeBlockForms(cardinal::nn::AggregateOp agg);

/// The single function of a module built by makeBlockForms.
mlir::func::FuncOp blockFunction(mlir::ModuleOp m);

/// Extracts `agg` alone (no lowering).
mlir::OwningOpRef<mlir::ModuleOp> extractBlock(cardinal::nn::AggregateOp agg);

FormCounts countForm(mlir::func::FuncOp f);

} // namespace cardinal::proof

#endif
