//===- BackwardOps.h - the interpreter's backward ops (internal) -----------===//
//
// The ops --nn-autodiff and --nn-fuse-conv-bn-relu emit, evaluated in float
// and double (their kernels need exp and sqrt; over GF(2^61-1) the
// interpreter reports them as unsupported before getting here).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_BACKWARDOPS_H
#define CARDINAL_INTERP_BACKWARDOPS_H

#include "interp/EvalValue.h"

#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <vector>

namespace cardinal::interp {

/// nn.conv2d_grad_input ... nn.softmax_cross_entropy_grad, nn.bn_relu_grad.
bool isBackwardOp(mlir::Operation *op);

/// One value per result of backward op `op`; `get` yields operand values.
/// T is float or double.
template <typename T>
mlir::FailureOr<std::vector<detail::Val<T>>>
evalBackwardOp(mlir::Operation *op,
               llvm::function_ref<const detail::Val<T> &(mlir::Value)> get);

} // namespace cardinal::interp

#endif
