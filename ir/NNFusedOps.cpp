//===- NNFusedOps.cpp - verifiers of the fused ops --------------------------===//
//
// nn.conv2d_bn_act is checked with the rules of the ops it fuses: the conv
// shape rule on input/weight, the BN rule on the conv's output and the
// statistics, and the residual must have the result's type.
//
//===----------------------------------------------------------------------===//
#include "ir/NNFusedOps.h"
#include "ir/ShapeRules.h"
#include "ir/ValueShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace cardinal::nn;

LogicalResult Conv2dBnActOp::verify() {
  for (auto [v, name] :
       {std::pair<Value, StringRef>{getInput(), "input"},
        {getWeight(), "weight"}, {getScale(), "scale"},
        {getResidual(), "residual"}})
    if (v && !cast<ShapedType>(v.getType()).hasStaticShape())
      return emitOpError() << "operand '" << name
                           << "' must have a static shape, got "
                           << v.getType();
  Conv2dAttrs a;
  a.strides = toVector(getStrides());
  a.padding = toVector(getPadding());
  a.dilation = toVector(getDilation());
  a.groups = getGroups();
  std::string error;
  auto shape = conv2dShape(shapeOf(getInput()), shapeOf(getWeight()), nullptr,
                           a, error);
  if (!shape)
    return emitOpError() << error;
  auto bn = batchNormShape(*shape, shapeOf(getScale()), error);
  if (!bn)
    return emitOpError() << error;
  Type elem = getInput().getType().getElementType();
  for (auto [v, name] : {std::pair<Value, StringRef>{getWeight(), "weight"},
                         {getScale(), "scale"}})
    if (cast<ShapedType>(v.getType()).getElementType() != elem)
      return emitOpError() << "element type of '" << name
                           << "' differs from 'input' (" << elem << ")";
  auto expected = RankedTensorType::get(*shape, elem);
  if (getType() != expected)
    return emitOpError() << "result type " << getType()
                         << " does not match the inferred type " << expected;
  if (getResidual() && getResidual().getType() != expected)
    return emitOpError() << "'residual' has type " << getResidual().getType()
                         << " but the result has type " << expected;
  if (!(getEps().convertToDouble() > 0))
    return emitOpError() << "attribute 'eps' must be > 0, got "
                         << getEps().convertToDouble();
  return success();
}

namespace {
/// The batch_norm shape rule on (input, scale), static shapes, same element
/// type, eps > 0.
LogicalResult verifyBn(Operation *op, Value input, Value scale, double eps) {
  for (auto [v, name] : {std::pair<Value, StringRef>{input, "input"},
                         {scale, "scale"}})
    if (!cast<ShapedType>(v.getType()).hasStaticShape())
      return op->emitOpError() << "operand '" << name
                               << "' must have a static shape, got "
                               << v.getType();
  std::string error;
  if (!batchNormShape(shapeOf(input), shapeOf(scale), error))
    return op->emitOpError() << error;
  if (cast<ShapedType>(input.getType()).getElementType() !=
      cast<ShapedType>(scale.getType()).getElementType())
    return op->emitOpError() << "element type of 'scale' differs from 'input'";
  if (!(eps > 0))
    return op->emitOpError() << "attribute 'eps' must be > 0, got " << eps;
  return success();
}
} // namespace

LogicalResult BnTrainReluOp::verify() {
  if (failed(verifyBn(*this, getInput(), getScale(),
                      getEps().convertToDouble())))
    return failure();
  double m = getMomentum().convertToDouble();
  if (!(m >= 0 && m <= 1))
    return emitOpError() << "attribute 'momentum' must be in [0, 1], got " << m;
  return success();
}

LogicalResult BnReluGradOp::verify() {
  return verifyBn(*this, getInput(), getScale(), getEps().convertToDouble());
}

#define GET_OP_CLASSES
#include "ir/NNFusedOps.cpp.inc"
