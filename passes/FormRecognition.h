//===- FormRecognition.h - blocks in forms (a), (b), (c) -> any form ------===//
//
// Recognises aggregated blocks already written in a concrete form, raises
// them to nn.aggregate and lowers them to a requested form:
//
//  (a) an nn.add tree (inner adds used once) whose C >= 2 leaves are computed
//      from one value x by isomorphic subgraphs: same ops, attributes and
//      types, different parameters, no value shared between paths other than
//      x (param-free ops of x read by every path are recomputed per path in
//      the template). Path order: the tree's leaves left to right, or the
//      paths' `path<i>` tags when they are a permutation of 0..C-1.
//  (b) a groups-1 conv without bias on an axis-1 nn.concat of C >= 2 such
//      paths (path order = concat order); the conv's weight is split into C
//      slices along axis 1.
//  (c) a dense (groups 1) conv without bias whose input is reached through
//      channelwise ops (nn.batch_norm, nn.relu) from a grouped conv with
//      groups G >= 2 (C = G), itself reached through channelwise ops and
//      convs with groups divisible by C from a dense conv on x. Parameters
//      split into C slices: dense-conv weights and BN parameters along
//      axis 0, the final conv's weight along axis 1.
//
// Isomorphism is checked structurally; names are never trusted. Every op of
// a block (parameters included) must be used only inside the block.
//
// Template names: (a)/(b) a path-0 parameter named pathParamName(N, 0)
// whose path-i counterpart is pathParamName(N, i) gets the template name N
// (so raising is the identity on instance names). Otherwise (imported names
// without tags) path 0's name is the template name N, and path i's parameter
// becomes instance pathParamName(N, i) (a rename in the map). (b)'s merged
// weight and (c)'s merged parameters keep their names as template names.
//
// Remarks: a candidate that matches no form is left unchanged with a remark
// on its root saying why. Candidates are: add trees with >= 3 leaves or with
// leaves all produced by nn.conv2d (residual joins such as BN(branch) +
// shortcut are not reported), groups-1 convs on an axis-1 concat, and
// groups-1 convs reached from a grouped conv through channelwise ops.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_PASSES_FORMRECOGNITION_H
#define CARDINAL_PASSES_FORMRECOGNITION_H

#include "passes/FormLowering.h"
#include "passes/ParamMap.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <optional>
#include <vector>

namespace cardinal {

/// A block found in a concrete form.
struct FormBlock {
  Form form;
  mlir::Operation *root; // the op whose result is the block's sum
  int64_t cardinality;
};

/// The blocks of `module`'s functions that are in a concrete form, in op
/// order (nothing is changed; remarks only when `emitRemarks`).
std::vector<FormBlock> recognizeForms(mlir::ModuleOp module,
                                      bool emitRemarks = false);

/// Raises every recognised block to an nn.aggregate, except (when `target`
/// is given) blocks already in `target` and blocks whose template has no
/// form `target` (those get a remark). Returns the map of the whole module.
mlir::FailureOr<ParamMap> raiseForms(mlir::ModuleOp module,
                                     std::optional<Form> target = std::nullopt);

/// raiseForms(module, form), then lowerAggregates(module, form): every block
/// in any form, and every nn.aggregate, ends in `form`. Returns the composed
/// map of the whole module (input -> output); the module's nn.param_map
/// attribute is not touched (the pass records it).
mlir::FailureOr<ParamMap> convertForms(mlir::ModuleOp module, Form form);

} // namespace cardinal

#endif // CARDINAL_PASSES_FORMRECOGNITION_H
