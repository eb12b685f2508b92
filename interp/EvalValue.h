//===- EvalValue.h - the interpreter's values (internal) -------------------===//
#ifndef CARDINAL_INTERP_EVALVALUE_H
#define CARDINAL_INTERP_EVALVALUE_H

#include "interp/GF61.h"
#include "interp/GFKernels.h"
#include "interp/HostTensor.h"
#include "ir/ValueShapes.h"

#include "mlir/IR/Operation.h"

#include <cmath>
#include <sstream>
#include <type_traits>

namespace cardinal::interp::detail {

template <typename T> constexpr bool kIsGF = std::is_same_v<T, GF61>;

/// A computed value: the tensor, its GF channel labels, its degree bound.
template <typename T> struct Val {
  HostTensor<T> t;
  gf::Labels labels; // one per channel (dim 1); GF61 only
  uint64_t degree = 1;
};

using nn::shapeOf;
inline std::vector<int64_t> vec(llvm::ArrayRef<int64_t> a) {
  return nn::toVector(a);
}

/// Labels must be integral class indices in [0, K) of NxK logits.
template <typename T>
mlir::LogicalResult checkLabels(mlir::Operation *op,
                                const HostTensor<T> &logits,
                                const HostTensor<T> &labels) {
  if constexpr (!kIsGF<T>) {
    const int64_t classes = logits.shape[1];
    for (int64_t n = 0; n < labels.numel(); ++n) {
      T l = labels.data[n];
      if (!(l >= T(0) && l < T(classes) && std::floor(l) == l)) {
        std::ostringstream value; // "5", "2.5": shortest, not "5.0e+00"
        value << l;
        return op->emitError()
               << "label #" << n << " is " << value.str()
               << ", not a class index in [0, " << classes << ")";
      }
    }
  }
  return mlir::success();
}

} // namespace cardinal::interp::detail

#endif
