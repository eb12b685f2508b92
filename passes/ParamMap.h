//===- ParamMap.h - how a rewrite's parameters are made from its input's -===//
//
// Every form rewrite (lowering an nn.aggregate, converting a block between
// forms (a), (b), (c)) records, for each parameter/state of the output graph,
// how it is made from those of the input graph:
//
//   target = concat_{pieces, along axis} slice(source, piece.axis,
//                                               [start, start + size))
//
// A single piece that covers its whole source is a rename (identity when the
// names agree). Names are *instance* names: a parameter inside an
// nn.aggregate stands for one parameter per path, named by pathParamName()
// (interp/PathNames.h), nested aggregates outermost first. A map covers every
// instance parameter/state of its output graph; untouched ones appear as
// identity entries.
//
// Maps are exact: applying one is pure copying, so checkpoints convert between
// forms bit-exactly. Two maps compose (compose(first, second) = apply first,
// then second). On a module the map lives in the attribute `nn.param_map`, an
// ArrayAttr with one DictionaryAttr per entry:
//
//   {target = "s.b.conv3.weight", shape = array<i64: 8, 4, 1, 1>, axis = 1,
//    pieces = [{source = "s.b.path0.conv3.weight",
//               source_shape = array<i64: 8, 2, 1, 1>,
//               axis = 0, start = 0, size = 8}, ...]}
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_PASSES_PARAMMAP_H
#define CARDINAL_PASSES_PARAMMAP_H

#include "interp/HostTensor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ErrorHandling.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cardinal {

/// The [start, start + size) range of `source` along `axis` (the whole source
/// when start == 0 and size is the source's extent along axis).
struct Piece {
  std::string source;
  int64_t axis = 0;
  int64_t start = 0;
  int64_t size = 0;
};

/// target (of `shape`) = concatenation of `pieces` along `axis`.
struct ParamMapEntry {
  std::string target;
  std::vector<int64_t> shape;
  int64_t axis = 0;
  std::vector<Piece> pieces;
};

struct ParamMap {
  /// One entry per parameter/state of the output graph, in graph order.
  std::vector<ParamMapEntry> entries;
  /// Shapes of the input graph's parameters/state that the pieces read (what
  /// makes a piece recognisably "whole"). The form passes fill it for every
  /// source; validateParamMap needs it, applying a map does not, and compose
  /// needs it only to re-slice a piece along another axis (fillSourceShapes
  /// in FormLowering.h fills it from the input module).
  std::map<std::string, std::vector<int64_t>> sources;
};

/// Name of the module attribute that holds a module's ParamMap.
inline constexpr llvm::StringLiteral kParamMapAttrName = "nn.param_map";

//===----------------------------------------------------------------------===//
// Building, checking, composing
//===----------------------------------------------------------------------===//

/// An entry that copies `source` (of `shape`) to `target` unchanged.
ParamMapEntry renameEntry(const std::string &target, const std::string &source,
                          const std::vector<int64_t> &shape);

/// True when `e` is one whole piece of a source of the same shape (a rename),
/// and, for isIdentity, the names agree too.
bool isRename(const ParamMap &m, const ParamMapEntry &e);
bool isIdentity(const ParamMap &m, const ParamMapEntry &e);
/// Every entry an identity.
bool isIdentity(const ParamMap &m);

/// The entry whose target is `name`, or nullptr.
const ParamMapEntry *findEntry(const ParamMap &m, llvm::StringRef name);

/// Checks that every piece lies inside its source, that the pieces' shapes
/// concatenate to the entry's shape, and that targets are unique. On failure
/// returns false and says why in `error`.
bool validateParamMap(const ParamMap &m, std::string *error = nullptr);

/// Merges adjacent pieces of one source, gives whole pieces a canonical axis
/// and drops sources no piece reads. The map means the same afterwards.
void simplify(ParamMap &m);

/// The map "apply `first`, then `second`": second's pieces read first's
/// targets. Fails (with a reason) when a source of `second` is not a target of
/// `first`, or when a result would need a slice along two axes or a nested
/// concatenation (never the case for form conversions, whose merges and
/// splits of one parameter always use one axis).
mlir::FailureOr<ParamMap> tryCompose(const ParamMap &first,
                                     const ParamMap &second,
                                     std::string *error = nullptr);
/// tryCompose, aborting (report_fatal_error) on failure.
ParamMap compose(const ParamMap &first, const ParamMap &second);

/// JSON: {"entries":[{"target":..,"shape":[..],"axis":k,"pieces":[{"source":
/// ..,"source_shape":[..],"axis":..,"start":..,"size":..}]}]}.
std::string toJson(const ParamMap &m);

/// The attribute form described at the top of this file, and back.
mlir::ArrayAttr toAttribute(mlir::MLIRContext *context, const ParamMap &m);
mlir::FailureOr<ParamMap> paramMapFromAttribute(mlir::Attribute attr,
                                                std::string *error = nullptr);

/// The module's `nn.param_map`, if it has one (fails if it is malformed).
mlir::FailureOr<std::optional<ParamMap>> getModuleParamMap(mlir::ModuleOp m);
/// Stores `m` as the module's `nn.param_map`, composed after the one already
/// there (existing: original -> module before the rewrite; m: before -> now).
/// Emits an error on the module and fails if the two do not compose.
mlir::LogicalResult recordParamMap(mlir::ModuleOp module, const ParamMap &m);

//===----------------------------------------------------------------------===//
// Applying a map to weights (pure copies, exact for any element type)
//===----------------------------------------------------------------------===//

namespace detail {
inline int64_t extent(const std::vector<int64_t> &shape, int64_t axis) {
  return shape.empty() ? 1 : shape[axis];
}
} // namespace detail

/// Applies `m` to `tensors` (named by the map's sources). Returns std::nullopt
/// and says why in `error` when a source is missing or a shape disagrees.
template <typename T>
std::optional<TensorMap<T>> tryApplyParamMap(const ParamMap &m,
                                             const TensorMap<T> &tensors,
                                             std::string *error = nullptr) {
  auto fail = [&](const std::string &why) -> std::optional<TensorMap<T>> {
    if (error)
      *error = why;
    return std::nullopt;
  };
  TensorMap<T> out;
  for (const ParamMapEntry &e : m.entries) {
    const size_t rank = e.shape.size();
    if (rank > 0 && (e.axis < 0 || e.axis >= static_cast<int64_t>(rank)))
      return fail("entry '" + e.target + "': axis out of range");
    HostTensor<T> result(e.shape);
    const int64_t total = detail::extent(e.shape, e.axis);
    int64_t offset = 0;
    for (const Piece &p : e.pieces) {
      auto it = tensors.find(p.source);
      if (it == tensors.end())
        return fail("entry '" + e.target + "': no tensor '" + p.source + "'");
      const HostTensor<T> &src = it->second;
      const size_t srank = src.shape.size();
      if (srank != rank)
        return fail("entry '" + e.target + "': source '" + p.source +
                    "' has rank " + std::to_string(srank));
      if (srank > 0 && (p.axis < 0 || p.axis >= static_cast<int64_t>(srank)))
        return fail("piece of '" + p.source + "': axis out of range");
      if (p.start < 0 || p.size < 0 ||
          p.start + p.size > detail::extent(src.shape, p.axis))
        return fail("piece of '" + p.source + "': range out of bounds");
      std::vector<int64_t> pshape = src.shape;
      if (srank)
        pshape[p.axis] = p.size;
      for (size_t d = 0; d < rank; ++d)
        if (static_cast<int64_t>(d) != e.axis && pshape[d] != e.shape[d])
          return fail("entry '" + e.target + "': piece of '" + p.source +
                      "' does not match the target's shape");
      const int64_t len = detail::extent(pshape, e.axis);
      if (offset + len > total)
        return fail("entry '" + e.target + "': pieces overflow the target");
      // Copy runs along the last dimension (contiguous in both tensors).
      std::vector<int64_t> sstride(rank, 1), rstride(rank, 1);
      for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
        sstride[d] = sstride[d + 1] * src.shape[d + 1];
        rstride[d] = rstride[d + 1] * e.shape[d + 1];
      }
      const int64_t last = rank ? pshape[rank - 1] : 1;
      const int64_t runs = last ? HostTensor<T>::numelOf(pshape) / last : 0;
      std::vector<int64_t> idx(rank, 0);
      for (int64_t k = 0; k < runs; ++k) {
        int64_t s = 0, r = 0;
        for (size_t d = 0; d < rank; ++d) {
          int64_t si = idx[d] + (static_cast<int64_t>(d) == p.axis ? p.start : 0);
          int64_t ri = idx[d] + (static_cast<int64_t>(d) == e.axis ? offset : 0);
          s += si * sstride[d];
          r += ri * rstride[d];
        }
        for (int64_t j = 0; j < last; ++j)
          result.data[r + j] = src.data[s + j];
        for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
          if (++idx[d] < pshape[d])
            break;
          idx[d] = 0;
        }
      }
      offset += len;
    }
    if (offset != total)
      return fail("entry '" + e.target + "': pieces cover " +
                  std::to_string(offset) + " of " + std::to_string(total) +
                  " along axis " + std::to_string(e.axis));
    out[e.target] = std::move(result);
  }
  return out;
}

/// tryApplyParamMap, aborting (report_fatal_error) on a malformed map.
template <typename T>
TensorMap<T> applyParamMap(const ParamMap &m, const TensorMap<T> &tensors) {
  std::string error;
  std::optional<TensorMap<T>> out = tryApplyParamMap(m, tensors, &error);
  if (!out)
    llvm::report_fatal_error(llvm::Twine("applyParamMap: ") + error);
  return std::move(*out);
}

} // namespace cardinal

#endif // CARDINAL_PASSES_PARAMMAP_H
