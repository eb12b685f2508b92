//===- FormMatch.h - matching blocks written in forms (a), (b), (c) --------===//
//
// Shared by form recognition's three steps, each in its own file:
// PathMatching.cpp (are C paths isomorphic up to their parameters?),
// FormMatchers.cpp (an add tree, a conv of a concat, a dense-grouped-dense
// chain) and FormRecognition.cpp (raising a match to nn.aggregate).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_PASSES_FORMMATCH_H
#define CARDINAL_PASSES_FORMMATCH_H

#include "passes/FormLowering.h"
#include "passes/FormRecognition.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>
#include <string>
#include <vector>

namespace cardinal::formmatch {

using mlir::Operation;
using mlir::Value;
using mlir::FailureOr;

//===----------------------------------------------------------------------===//
// Matches
//===----------------------------------------------------------------------===//

/// One parameter slot of a raised template: its template name, and how each
/// path's instance is made from the input graph's parameters.
struct TemplateParam {
  Operation *proto;            // op cloned into the template (name, init)
  std::string name;            // template name N
  std::vector<int64_t> shape;  // per-path shape
  // How path i's instance is made: a whole source (rename) or a slice.
  std::vector<Piece> perPath;
  std::vector<std::vector<int64_t>> sourceShapes;
};

struct Match {
  Form form;
  Operation *root = nullptr;
  int64_t C = 0;
  Value x;
  // (a)/(b): template ops = path-0 ops and absorbed shared ops, block order.
  std::vector<Operation *> templateOps;
  llvm::DenseMap<Operation *, size_t> paramIndex; // path-0 param -> params[]
  Value leaf0;                                   // (a) the yielded value
  // (b): the concat and the conv's weight; (c): the chain, x side first.
  Operation *concat = nullptr;
  std::vector<Operation *> chain;
  llvm::DenseMap<std::pair<Operation *, unsigned>, size_t> operandParam;
  std::vector<TemplateParam> params;
  // Ops that become dead once the root is replaced (erased afterwards).
  llvm::SetVector<Operation *> erase;
  std::vector<Operation *> absorbed;
};

inline int64_t channels(Value v) {
  return detail::shapeOf(v.getType())[1];
}


/// C paths that are the same graph up to their parameters: path 0's ops and,
/// for each, the same op on every path.
struct Paths {
  Value x;
  std::vector<Operation *> ops0;                 // path 0, block order
  llvm::DenseMap<Operation *, llvm::SmallVector<Operation *>> tuple; // per path-0 op
  std::vector<Operation *> absorbed;             // shared ops recomputed
  llvm::SetVector<Operation *> all;              // every path's ops
};

/// Walks back from the C leaves to `x`; fails with `why` naming the first op
/// where a path differs from path 0.
FailureOr<Paths> matchPaths(llvm::ArrayRef<Value> leaves,
                            const llvm::SmallPtrSetImpl<Operation *> &consumers,
                            mlir::Block *block, std::string &why);
/// Template parameters of isomorphic paths (names per the header's rule).
void collectPathParams(const Paths &paths, Match &m);
/// If every path's parameters carry one `path<k>` tag and the tags are a
/// permutation of 0..C-1, the leaves in tag order.
std::optional<llvm::SmallVector<Value>>
leavesInTagOrder(const Paths &paths, llvm::ArrayRef<Value> leaves);

/// An nn.add inside an add tree (a sum of paths), not its root.
bool isInnerAdd(Operation *op);

/// Each form's matcher at a candidate root. `candidate` says whether the root
/// looked like that form at all (for remarks); `why`, what stopped it.
FailureOr<Match> matchA(Operation *root, std::string &why, bool &candidate);
FailureOr<Match> matchB(nn::Conv2dOp conv, std::string &why, bool &candidate);
FailureOr<Match> matchC(nn::Conv2dOp conv, std::string &why, bool &candidate);

} // namespace cardinal::formmatch

#endif // CARDINAL_PASSES_FORMMATCH_H
