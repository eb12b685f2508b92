//===- BnAttributes.h - the batch norm attribute checks every BN op shares -===//
#ifndef CARDINAL_IR_BNATTRIBUTES_H
#define CARDINAL_IR_BNATTRIBUTES_H

#include "mlir/IR/Operation.h"

namespace cardinal::nn {

/// eps > 0 and momentum in [0, 1], as nn.batch_norm and the fused ops that
/// carry its training statistics require.
inline mlir::LogicalResult verifyBnAttributes(mlir::Operation *op, double eps,
                                              double momentum) {
  if (!(eps > 0))
    return op->emitOpError() << "attribute 'eps' must be > 0, got " << eps;
  if (!(momentum >= 0 && momentum <= 1))
    return op->emitOpError()
           << "attribute 'momentum' must be in [0, 1], got " << momentum;
  return mlir::success();
}

} // namespace cardinal::nn

#endif
