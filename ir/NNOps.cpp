//===- NNOps.cpp - nn op builders and verifiers ----------------------------===//
//
// Shapes come from ShapeRules (shared with the DSL); each verifier recomputes
// the result shape, reports the rule's message naming operand and dimension,
// and checks the declared result type against the inferred one.
//
//===----------------------------------------------------------------------===//
#include "ir/NNDialect.h"
#include "ir/ShapeRules.h"
#include "ir/BnAttributes.h"
#include "ir/ValueShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace cardinal::nn;

namespace {

RankedTensorType tensorLike(Value like, const Shape &shape) {
  auto t = cast<RankedTensorType>(like.getType());
  return RankedTensorType::get(shape, t.getElementType());
}

// Turns a ShapeRules result into a result type; used by builders, whose
// callers (the DSL) check the rule first, so failure is a programming error.
RankedTensorType mustInfer(Value like, const std::optional<Shape> &shape,
                           const std::string &error) {
  if (!shape)
    llvm::report_fatal_error(llvm::Twine("nn builder: ") + error);
  return tensorLike(like, *shape);
}

// Compares the declared result with the rule's shape and element type.
LogicalResult checkResult(Operation *op, Value like, Type declared,
                          const std::optional<Shape> &shape,
                          const std::string &error) {
  if (!shape)
    return op->emitOpError() << error;
  auto expected = tensorLike(like, *shape);
  if (declared != expected)
    return op->emitOpError() << "result type " << declared
                             << " does not match the inferred type "
                             << expected;
  return success();
}

LogicalResult checkSameElementType(Operation *op, Value a, StringRef aName,
                                   Value b, StringRef bName) {
  Type ea = cast<ShapedType>(a.getType()).getElementType();
  Type eb = cast<ShapedType>(b.getType()).getElementType();
  if (ea != eb)
    return op->emitOpError() << "element type of '" << bName << "' (" << eb
                             << ") differs from '" << aName << "' (" << ea
                             << ")";
  return success();
}

// The shape rules work on static shapes only (a dynamic dim would reach them
// as ShapedType::kDynamic, a huge negative number): reject dynamic operands
// up front with a message that names the operand.
LogicalResult checkStatic(Operation *op,
                          ArrayRef<std::pair<Value, StringRef>> operands) {
  for (auto [value, name] : operands)
    if (value && !cast<ShapedType>(value.getType()).hasStaticShape())
      return op->emitOpError() << "operand '" << name
                               << "' must have a static shape, got "
                               << value.getType();
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Graph values
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a non-empty name";
  if (!isParamInit(getInit().str()))
    return emitOpError() << "parameter '" << getName()
                         << "' has unknown init '" << getInit()
                         << "' (expected he_normal, linear_uniform, ones or "
                            "zeros)";
  if (!getResult().getType().hasStaticShape())
    return emitOpError() << "parameter '" << getName()
                         << "' must have a static shape";
  return success();
}

LogicalResult StateOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a non-empty name";
  if (!isStateInit(getInit().str()))
    return emitOpError() << "state '" << getName() << "' has unknown init '"
                         << getInit() << "' (expected ones or zeros)";
  if (!getResult().getType().hasStaticShape())
    return emitOpError() << "state '" << getName()
                         << "' must have a static shape";
  return success();
}

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

static Conv2dAttrs conv2dAttrs(ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> padding,
                               ArrayRef<int64_t> dilation, int64_t groups) {
  Conv2dAttrs a;
  a.strides = toVector(strides);
  a.padding = toVector(padding);
  a.dilation = toVector(dilation);
  a.groups = groups;
  return a;
}

void Conv2dOp::build(OpBuilder &b, OperationState &state, Value input,
                     Value weight, Value bias, int64_t stride, int64_t pad,
                     int64_t groups) {
  SmallVector<int64_t> strides{stride, stride}, padding{pad, pad}, dil{1, 1};
  std::string error;
  Shape biasShape = bias ? shapeOf(bias) : Shape{};
  auto shape = conv2dShape(shapeOf(input), shapeOf(weight),
                           bias ? &biasShape : nullptr,
                           conv2dAttrs(strides, padding, dil, groups), error);
  build(b, state, mustInfer(input, shape, error), input, weight, bias,
        b.getDenseI64ArrayAttr(strides), b.getDenseI64ArrayAttr(padding),
        b.getDenseI64ArrayAttr(dil), b.getI64IntegerAttr(groups));
}

LogicalResult Conv2dOp::verify() {
  if (failed(checkStatic(*this, {{getInput(), "input"},
                                 {getWeight(), "weight"},
                                 {getBias(), "bias"}})))
    return failure();
  std::string error;
  Shape biasShape = getBias() ? shapeOf(getBias()) : Shape{};
  auto shape = conv2dShape(
      shapeOf(getInput()), shapeOf(getWeight()),
      getBias() ? &biasShape : nullptr,
      conv2dAttrs(getStrides(), getPadding(), getDilation(), getGroups()),
      error);
  if (failed(checkSameElementType(*this, getInput(), "input", getWeight(),
                                  "weight")) ||
      (getBias() && failed(checkSameElementType(*this, getInput(), "input",
                                                getBias(), "bias"))))
    return failure();
  return checkResult(*this, getInput(), getType(), shape, error);
}

//===----------------------------------------------------------------------===//
// batch_norm
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::verify() {
  if (failed(checkStatic(*this, {{getInput(), "input"}, {getScale(), "scale"}})))
    return failure();
  std::string error;
  auto shape = batchNormShape(shapeOf(getInput()), shapeOf(getScale()), error);
  if (!shape)
    return emitOpError() << error;
  if (failed(checkSameElementType(*this, getInput(), "input", getScale(),
                                  "scale")))
    return failure();
  return verifyBnAttributes(*this, getEps().convertToDouble(),
                            getMomentum().convertToDouble());
}

//===----------------------------------------------------------------------===//
// concat / slice
//===----------------------------------------------------------------------===//

void ConcatOp::build(OpBuilder &b, OperationState &state, ValueRange inputs,
                     int64_t axis) {
  std::vector<Shape> shapes;
  for (Value v : inputs)
    shapes.push_back(shapeOf(v));
  std::string error;
  auto shape = concatShape(shapes, axis, error);
  build(b, state, mustInfer(inputs.front(), shape, error), inputs,
        b.getI64IntegerAttr(axis));
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one operand";
  std::vector<Shape> shapes;
  for (auto [i, v] : llvm::enumerate(getInputs())) {
    std::string name = "operand #" + std::to_string(i);
    if (failed(checkStatic(*this, {{v, name}})) ||
        failed(checkSameElementType(*this, getInputs().front(), "operand #0",
                                    v, name)))
      return failure();
    shapes.push_back(shapeOf(v));
  }
  std::string error;
  auto shape = concatShape(shapes, getAxis(), error);
  return checkResult(*this, getInputs().front(), getType(), shape, error);
}

void SliceOp::build(OpBuilder &b, OperationState &state, Value input,
                    int64_t axis, int64_t start, int64_t size) {
  std::string error;
  auto shape = sliceShape(shapeOf(input), axis, start, size, error);
  build(b, state, mustInfer(input, shape, error), input,
        b.getI64IntegerAttr(axis), b.getI64IntegerAttr(start),
        b.getI64IntegerAttr(size));
}

LogicalResult SliceOp::verify() {
  if (failed(checkStatic(*this, {{getInput(), "input"}})))
    return failure();
  std::string error;
  auto shape =
      sliceShape(shapeOf(getInput()), getAxis(), getStart(), getSize(), error);
  return checkResult(*this, getInput(), getType(), shape, error);
}

//===----------------------------------------------------------------------===//
// pooling
//===----------------------------------------------------------------------===//

void MaxPool2dOp::build(OpBuilder &b, OperationState &state, Value input,
                        int64_t kernel, int64_t stride, int64_t pad) {
  SmallVector<int64_t> k{kernel, kernel}, s{stride, stride}, p{pad, pad};
  std::string error;
  auto shape = maxPool2dShape(shapeOf(input), toVector(k), toVector(s), toVector(p), error);
  build(b, state, mustInfer(input, shape, error), input,
        b.getDenseI64ArrayAttr(k), b.getDenseI64ArrayAttr(s),
        b.getDenseI64ArrayAttr(p));
}

LogicalResult MaxPool2dOp::verify() {
  if (failed(checkStatic(*this, {{getInput(), "input"}})))
    return failure();
  std::string error;
  auto shape = maxPool2dShape(shapeOf(getInput()), toVector(getKernel()),
                              toVector(getStrides()), toVector(getPadding()), error);
  return checkResult(*this, getInput(), getType(), shape, error);
}

void GlobalAvgPoolOp::build(OpBuilder &b, OperationState &state, Value input) {
  std::string error;
  auto shape = globalAvgPoolShape(shapeOf(input), error);
  build(b, state, mustInfer(input, shape, error), input);
}

LogicalResult GlobalAvgPoolOp::verify() {
  if (failed(checkStatic(*this, {{getInput(), "input"}})))
    return failure();
  std::string error;
  auto shape = globalAvgPoolShape(shapeOf(getInput()), error);
  return checkResult(*this, getInput(), getType(), shape, error);
}

//===----------------------------------------------------------------------===//
// linear / loss
//===----------------------------------------------------------------------===//

void LinearOp::build(OpBuilder &b, OperationState &state, Value input,
                     Value weight, Value bias) {
  std::string error;
  Shape biasShape = bias ? shapeOf(bias) : Shape{};
  auto shape = linearShape(shapeOf(input), shapeOf(weight),
                           bias ? &biasShape : nullptr, error);
  build(b, state, mustInfer(input, shape, error), input, weight, bias);
}

LogicalResult LinearOp::verify() {
  if (failed(checkStatic(*this, {{getInput(), "input"},
                                 {getWeight(), "weight"},
                                 {getBias(), "bias"}})))
    return failure();
  std::string error;
  Shape biasShape = getBias() ? shapeOf(getBias()) : Shape{};
  auto shape = linearShape(shapeOf(getInput()), shapeOf(getWeight()),
                           getBias() ? &biasShape : nullptr, error);
  if (failed(checkSameElementType(*this, getInput(), "input", getWeight(),
                                  "weight")) ||
      (getBias() && failed(checkSameElementType(*this, getInput(), "input",
                                                getBias(), "bias"))))
    return failure();
  return checkResult(*this, getInput(), getType(), shape, error);
}

void SoftmaxCrossEntropyOp::build(OpBuilder &b, OperationState &state,
                                  Value logits, Value labels) {
  std::string error;
  auto shape = softmaxCrossEntropyShape(shapeOf(logits), shapeOf(labels), error);
  build(b, state, mustInfer(logits, shape, error), logits, labels);
}

LogicalResult SoftmaxCrossEntropyOp::verify() {
  if (failed(checkStatic(*this, {{getLogits(), "logits"},
                                 {getLabels(), "labels"}})))
    return failure();
  std::string error;
  auto shape = softmaxCrossEntropyShape(shapeOf(getLogits()),
                                        shapeOf(getLabels()), error);
  return checkResult(*this, getLogits(), getType(), shape, error);
}

//===----------------------------------------------------------------------===//
// aggregate
//===----------------------------------------------------------------------===//

Value AggregateOp::getPathResult() {
  return cast<YieldOp>(getBody().front().getTerminator()).getValue();
}

LogicalResult AggregateOp::verifyRegions() {
  if (getCardinality() < 1)
    return emitOpError() << "attribute 'cardinality' must be >= 1, got "
                         << getCardinality();
  Block &body = getBody().front();
  if (body.getNumArguments() != 1 ||
      body.getArgument(0).getType() != getInput().getType())
    return emitOpError() << "path template must take exactly one argument of "
                            "the input's type "
                         << getInput().getType();
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "path template must end in nn.yield";
  if (yield.getValue().getType() != getType())
    return emitOpError() << "path template yields "
                         << yield.getValue().getType()
                         << " but the aggregate's result type is "
                         << getType();
  return success();
}

#define GET_OP_CLASSES
#include "ir/NNOps.cpp.inc"
