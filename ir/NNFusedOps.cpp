//===- NNFusedOps.cpp - verifiers of the fused ops --------------------------===//
//
// nn.conv2d_bn_act is checked with the rules of the ops it fuses: the conv
// shape rule on input/weight, the BN rule on the conv's output and the
// statistics, and the residual must have the result's type.
//
//===----------------------------------------------------------------------===//
#include "ir/NNFusedOps.h"
#include "ir/ShapeRules.h"
#include "ir/BnAttributes.h"
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
  return verifyBnAttributes(*this, getEps().convertToDouble(),
                            getMomentum().convertToDouble());
}

LogicalResult BnReluGradOp::verify() {
  return verifyBn(*this, getInput(), getScale(), getEps().convertToDouble());
}

namespace {
/// Static shapes for the named operands.
LogicalResult requireStatic(Operation *op,
                            ArrayRef<std::pair<Value, StringRef>> values) {
  for (auto [v, name] : values)
    if (!cast<ShapedType>(v.getType()).hasStaticShape())
      return op->emitOpError() << "operand '" << name
                               << "' must have a static shape, got "
                               << v.getType();
  return success();
}

/// The conv shape rule on (input, weight) with the op's conv attributes;
/// the output shape, or a diagnostic naming both operands' shapes.
FailureOr<Shape> convShapeOf(Operation *op, Value input, Value weight,
                             ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> padding,
                             ArrayRef<int64_t> dilation, int64_t groups) {
  Conv2dAttrs a;
  a.strides = toVector(strides);
  a.padding = toVector(padding);
  a.dilation = toVector(dilation);
  a.groups = groups;
  std::string error;
  auto shape =
      conv2dShape(shapeOf(input), shapeOf(weight), nullptr, a, error);
  if (!shape)
    return op->emitOpError() << error;
  return *shape;
}

/// `stats` (mean, invstd, ...) hold one value per channel of `x`, as `scale`
/// does: the BN rule on (x, scale).
LogicalResult verifyStats(Operation *op, Value x, Value scale) {
  std::string error;
  if (!batchNormShape(shapeOf(x), shapeOf(scale), error))
    return op->emitOpError() << error;
  if (cast<ShapedType>(x.getType()).getElementType() !=
      cast<ShapedType>(scale.getType()).getElementType())
    return op->emitOpError() << "element type of 'scale' differs from 'input'";
  return success();
}

LogicalResult expectType(Operation *op, Value v, StringRef name,
                         ArrayRef<int64_t> shape, Type elem) {
  auto expected = RankedTensorType::get(shape, elem);
  if (v.getType() != expected)
    return op->emitOpError() << "'" << name << "' has type " << v.getType()
                             << " but the inferred type is " << expected;
  return success();
}
} // namespace

LogicalResult Conv2dStatsOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getWeight(), "weight"},
                                   {getScale(), "scale"}})))
    return failure();
  auto shape = convShapeOf(*this, getInput(), getWeight(), getStrides(),
                           getPadding(), getDilation(), getGroups());
  if (failed(shape))
    return failure();
  Type elem = getInput().getType().getElementType();
  if (getWeight().getType().getElementType() != elem)
    return emitOpError() << "element type of 'weight' differs from 'input' ("
                         << elem << ")";
  if (failed(expectType(*this, getResult(), "result", *shape, elem)) ||
      failed(verifyStats(*this, getResult(), getScale())))
    return failure();
  return verifyBnAttributes(*this, getEps().convertToDouble(),
                            getMomentum().convertToDouble());
}

LogicalResult BnReluConv2dOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getWeight(), "weight"},
                                   {getScale(), "scale"}})) ||
      failed(verifyStats(*this, getInput(), getScale())))
    return failure();
  auto shape = convShapeOf(*this, getInput(), getWeight(), getStrides(),
                           getPadding(), getDilation(), getGroups());
  if (failed(shape))
    return failure();
  return expectType(*this, getResult(), "result", *shape,
                    getInput().getType().getElementType());
}

LogicalResult BnReluConv2dStatsOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getWeight(), "weight"},
                                   {getInScale(), "in_scale"},
                                   {getScale(), "scale"}})) ||
      failed(verifyStats(*this, getInput(), getInScale())))
    return failure();
  auto shape = convShapeOf(*this, getInput(), getWeight(), getStrides(),
                           getPadding(), getDilation(), getGroups());
  if (failed(shape))
    return failure();
  if (failed(expectType(*this, getResult(), "result", *shape,
                        getInput().getType().getElementType())) ||
      failed(verifyStats(*this, getResult(), getScale())))
    return failure();
  return verifyBnAttributes(*this, getEps().convertToDouble(),
                            getMomentum().convertToDouble());
}

LogicalResult BnAddReluOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getScale(), "scale"}})))
    return failure();
  return verifyStats(*this, getInput(), getScale());
}

LogicalResult BnReluConv2dGradWeightOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getGradOutput(), "grad_output"},
                                   {getScale(), "scale"}})) ||
      failed(verifyStats(*this, getInput(), getScale())))
    return failure();
  // The result is the weight: the conv rule on (input, result) must give
  // grad_output's shape.
  auto shape = convShapeOf(*this, getInput(), getResult(), getStrides(),
                           getPadding(), getDilation(), getGroups());
  if (failed(shape))
    return failure();
  return expectType(*this, getGradOutput(), "grad_output", *shape,
                    getInput().getType().getElementType());
}

LogicalResult BnReluApplyGradOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getScale(), "scale"}})))
    return failure();
  return verifyStats(*this, getInput(), getScale());
}

LogicalResult BnAddReluGradOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getScale(), "scale"}})))
    return failure();
  return verifyStats(*this, getInput(), getScale());
}

LogicalResult Conv2dGradInputBnSumsOp::verify() {
  if (failed(requireStatic(*this, {{getGradOutput(), "grad_output"},
                                   {getWeight(), "weight"},
                                   {getInput(), "input"},
                                   {getScale(), "scale"}})) ||
      failed(verifyStats(*this, getInput(), getScale())))
    return failure();
  Type elem = getInput().getType().getElementType();
  if (getWeight().getType().getElementType() != elem)
    return emitOpError() << "element type of 'weight' differs from 'input' ("
                         << elem << ")";
  // `input` is the transposed conv's result: the conv rule on (input,
  // weight) must give grad_output's shape.
  auto shape = convShapeOf(*this, getInput(), getWeight(), getStrides(),
                           getPadding(), getDilation(), getGroups());
  if (failed(shape))
    return failure();
  return expectType(*this, getGradOutput(), "grad_output", *shape, elem);
}

LogicalResult BnReluApplyGradInputOp::verify() {
  if (failed(requireStatic(*this, {{getInput(), "input"},
                                   {getScale(), "scale"}})))
    return failure();
  return verifyStats(*this, getInput(), getScale());
}

#define GET_OP_CLASSES
#include "ir/NNFusedOps.cpp.inc"
