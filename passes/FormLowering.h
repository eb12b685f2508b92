//===- FormLowering.h - nn.aggregate -> forms (a), (b), (c) ---------------===//
//
// The paper's three equivalent forms of an aggregated block (Fig. 3), as
// lowerings of `nn.aggregate %x cardinality C { T }` = sum_i T_i(x), where
// path i owns pathParamName(N, i) for each template parameter N:
//
//  (a) T cloned C times, parameters renamed pathParamName(N, i) (nn.state
//      too), the results summed by a chain ((p0 + p1) + p2) + ...
//  (b) T must yield a groups-1 conv without bias whose input depends on the
//      path: the paths are cloned as in (a) up to that conv's input, joined by
//      nn.concat (axis 1, path order), then ONE conv whose weight, named N, is
//      the per-path weights concatenated along axis 1.
//  (c) T "widened": shared values (the block argument and param-free ops of
//      shared values) are computed once, per-path values are stored as C*k
//      channels, path-major. Rules:
//        conv2d(shared, groups 1)     -> weight (and bias) concat axis 0
//        conv2d(per-path, groups g)   -> groups C*g, weight concat axis 0
//        batch_norm(per-path)         -> scale/shift/mean/var concat axis 0
//        relu(per-path)               -> relu
//        add(per-path, per-path)      -> add
//        yielded conv2d(per-path, groups 1, no bias)
//                                     -> weight concat axis 1
//                                        (sum-of-convs -> conv-of-concat)
//      Merged parameters are named N (the template names).
//
// A template with no such form is left unchanged and the aggregate gets a
// remark saying which op broke which rule. Forms (b) and (c) refuse nested
// aggregates (an aggregate inside, or containing, another). Form (a) lowers
// nested aggregates too, outermost first, so that the names follow
// PathNames.h (tags outermost first); the result is the graph innermost-first
// lowering would give.
//
// Every lowering returns the ParamMap of the whole enclosing module (instance
// names: an op inside an aggregate stands for one parameter per path). For
// (a) it is the identity: the aggregate's parameters ARE the per-path ones.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_PASSES_FORMLOWERING_H
#define CARDINAL_PASSES_FORMLOWERING_H

#include "ir/NNDialect.h"
#include "passes/ParamMap.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cardinal {

enum class Form { A, B, C };

/// "a", "b", "c" (case-insensitive; "(a)" too) -> Form.
std::optional<Form> parseForm(llvm::StringRef text);
/// Form -> "a", "b" or "c".
llvm::StringRef stringifyForm(Form form);

/// Every instance parameter/state under `root` (an nn.param/nn.state inside
/// aggregates expands to one name per path, outermost tag first), with its
/// shape, in walk order, each name once.
std::vector<std::pair<std::string, std::vector<int64_t>>>
instanceParams(mlir::Operation *root);

/// The identity map of every instance parameter/state under `root`.
ParamMap identityParamMap(mlir::Operation *root);

/// Fills m.sources with the shapes of the instance parameters under `input`
/// (the map's input graph) that its pieces read; false if one is missing.
bool fillSourceShapes(ParamMap &m, mlir::Operation *input);

/// Completes `delta` (entries for the parameters a rewrite produced, reading
/// parameters of the input graph whose shapes are in delta.sources) with
/// identity entries for every other instance parameter under `root` (the
/// output graph), in walk order.
ParamMap completeParamMap(const ParamMap &delta, mlir::Operation *root);

/// Checks whether `op` can be lowered to `form` without changing anything.
/// On failure `why` says which template op broke which rule.
mlir::LogicalResult canLowerAggregate(nn::AggregateOp op, Form form,
                                      std::string *why = nullptr);

/// Lowers one aggregate to `form`. On success the aggregate is replaced and
/// the result is the map of the whole enclosing module (input -> output). On
/// failure the IR is unchanged and a remark on `op` says why (unless
/// `emitRemarks` is false).
mlir::FailureOr<ParamMap> lowerAggregate(nn::AggregateOp op, Form form,
                                         bool emitRemarks = true);

/// Lowers every nn.aggregate under `root` (form (a): outermost first, nested
/// ones included; (b)/(c): un-nested ones, nested ones get a remark). An
/// aggregate that has no such form stays, with a remark; that is not a
/// failure. Returns the map of the whole of `root` (input -> output).
mlir::FailureOr<ParamMap> lowerAggregates(mlir::Operation *root, Form form);

//===----------------------------------------------------------------------===//
// Helpers shared by FormLowering.cpp and FormRecognition.cpp (not API).
//===----------------------------------------------------------------------===//
namespace detail {
bool isParamLike(mlir::Operation *op); // nn.param or nn.state
llvm::StringRef paramName(mlir::Operation *op);
void setParamName(mlir::Operation *op, llvm::StringRef name);
/// The nn.param/nn.state defining `v`, or nullptr.
mlir::Operation *paramDef(mlir::Value v);
std::vector<int64_t> shapeOf(mlir::Type t);
mlir::RankedTensorType withShape(mlir::Type like,
                                 const std::vector<int64_t> &shape);
/// `t` with dimension `dim` multiplied by `factor`.
mlir::RankedTensorType scaledDim(mlir::Type t, int64_t dim, int64_t factor);
/// "'nn.batch_norm' (stage2.block0.bn1)": the op and its layer name.
std::string describe(mlir::Operation *op);
/// Aggregates enclosing `op` (up to and including `root`), outermost first.
llvm::SmallVector<nn::AggregateOp> enclosingAggregates(mlir::Operation *op,
                                                       mlir::Operation *root);
bool containsRegionOps(nn::AggregateOp agg);
mlir::Operation *topLevelRoot(mlir::Operation *op);
/// Appends target = concat along axis of pathParamName(target, i), i < C.
void addWholeConcat(ParamMap &delta, const std::string &target,
                    const std::vector<int64_t> &pathShape, int64_t axis,
                    int64_t cardinality);
/// lowerAggregates without the identity completion (entries produced only).
mlir::FailureOr<ParamMap> lowerAggregatesDelta(mlir::Operation *root,
                                               Form form, bool emitRemarks);
} // namespace detail

} // namespace cardinal

#endif // CARDINAL_PASSES_FORMLOWERING_H
