//===- ValueShapes.h - MLIR values to ShapeRules shapes --------------------===//
#ifndef CARDINAL_IR_VALUESHAPES_H
#define CARDINAL_IR_VALUESHAPES_H

#include "ir/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace cardinal::nn {

/// The static shape of a ranked-tensor value.
inline Shape shapeOf(mlir::Value v) {
  auto t = llvm::cast<mlir::RankedTensorType>(v.getType());
  return Shape(t.getShape().begin(), t.getShape().end());
}

inline std::vector<int64_t> toVector(llvm::ArrayRef<int64_t> a) {
  return {a.begin(), a.end()};
}

} // namespace cardinal::nn

#endif
