//===- FuncResults.h - replace what a function returns ---------------------===//
#ifndef CARDINAL_PASSES_TRAINING_FUNCRESULTS_H
#define CARDINAL_PASSES_TRAINING_FUNCRESULTS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace cardinal {

/// Makes `f` return `results` (replacing its func.return) and updates its
/// type; the training passes grow and shrink the results this way.
inline void setFunctionResults(mlir::func::FuncOp f, mlir::ValueRange results) {
  auto ret = llvm::cast<mlir::func::ReturnOp>(
      f.getBody().front().getTerminator());
  mlir::OpBuilder b(ret);
  llvm::SmallVector<mlir::Value> values(results.begin(), results.end());
  b.create<mlir::func::ReturnOp>(ret.getLoc(), values);
  ret.erase();
  llvm::SmallVector<mlir::Type> types;
  for (mlir::Value v : values)
    types.push_back(v.getType());
  f.setFunctionType(b.getFunctionType({}, types));
}

} // namespace cardinal

#endif
