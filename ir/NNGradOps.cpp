//===- NNGradOps.cpp - verifiers of backward and optimizer ops -------------===//
//
// Each backward op is checked against the forward shape rule it inverts:
// e.g. conv2d_grad_input's result must be an input shape that the conv maps
// to grad_output's shape.
//
//===----------------------------------------------------------------------===//
#include "ir/NNGradOps.h"
#include "ir/ShapeRules.h"
#include "ir/ValueShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace cardinal::nn;

namespace {

// The forward rule applied to the backward op's shapes must give `expected`.
LogicalResult expectShape(Operation *op, const std::optional<Shape> &got,
                          const std::string &error, const Shape &expected,
                          StringRef what) {
  if (!got)
    return op->emitOpError() << error;
  if (*got != expected)
    return op->emitOpError() << what << " has shape " << formatShape(expected)
                             << " but the forward op would produce "
                             << formatShape(*got);
  return success();
}

Conv2dAttrs convAttrs(ArrayRef<int64_t> s, ArrayRef<int64_t> p,
                      ArrayRef<int64_t> d, int64_t g) {
  Conv2dAttrs a;
  a.strides = toVector(s);
  a.padding = toVector(p);
  a.dilation = toVector(d);
  a.groups = g;
  return a;
}

} // namespace

LogicalResult Conv2dGradInputOp::verify() {
  std::string error;
  auto y = conv2dShape(shapeOf(getResult()), shapeOf(getWeight()), nullptr,
                       convAttrs(getStrides(), getPadding(), getDilation(),
                                 getGroups()),
                       error);
  return expectShape(*this, y, error, shapeOf(getGradOutput()), "'grad_output'");
}

LogicalResult Conv2dGradWeightOp::verify() {
  std::string error;
  auto y = conv2dShape(shapeOf(getInput()), shapeOf(getResult()), nullptr,
                       convAttrs(getStrides(), getPadding(), getDilation(),
                                 getGroups()),
                       error);
  return expectShape(*this, y, error, shapeOf(getGradOutput()), "'grad_output'");
}

LogicalResult BiasGradOp::verify() {
  Shape dy = shapeOf(getGradOutput());
  if (dy.size() < 2)
    return emitOpError() << "'grad_output' needs a channel dimension";
  if (shapeOf(getResult()) != Shape{dy[1]})
    return emitOpError() << "result must have shape [" << dy[1] << "]";
  return success();
}

LogicalResult BatchNormGradOp::verify() {
  std::string error;
  if (!batchNormShape(shapeOf(getInput()), shapeOf(getScale()), error))
    return emitOpError() << error;
  if (getGradOutput().getType() != getInput().getType() ||
      getGradInput().getType() != getInput().getType())
    return emitOpError() << "'grad_output' and 'grad_input' must have the "
                            "input's type";
  if (getGradScale().getType() != getScale().getType() ||
      getGradShift().getType() != getScale().getType())
    return emitOpError() << "'grad_scale' and 'grad_shift' must have the "
                            "scale's type";
  return success();
}

LogicalResult SliceGradOp::verify() {
  Shape dy = shapeOf(getGradOutput());
  std::string error;
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= static_cast<int64_t>(dy.size()))
    return emitOpError() << "attribute 'axis' is out of range";
  auto s = sliceShape(shapeOf(getResult()), axis, getStart(), dy[axis], error);
  return expectShape(*this, s, error, dy, "'grad_output'");
}

LogicalResult MaxPool2dGradOp::verify() {
  std::string error;
  auto y = maxPool2dShape(shapeOf(getInput()), toVector(getKernel()),
                          toVector(getStrides()), toVector(getPadding()), error);
  if (getResult().getType() != getInput().getType())
    return emitOpError() << "result must have the input's type";
  return expectShape(*this, y, error, shapeOf(getGradOutput()), "'grad_output'");
}

LogicalResult GlobalAvgPoolGradOp::verify() {
  std::string error;
  auto y = globalAvgPoolShape(shapeOf(getResult()), error);
  return expectShape(*this, y, error, shapeOf(getGradOutput()), "'grad_output'");
}

LogicalResult LinearGradInputOp::verify() {
  std::string error;
  auto y = linearShape(shapeOf(getResult()), shapeOf(getWeight()), nullptr, error);
  return expectShape(*this, y, error, shapeOf(getGradOutput()), "'grad_output'");
}

LogicalResult LinearGradWeightOp::verify() {
  std::string error;
  auto y = linearShape(shapeOf(getInput()), shapeOf(getResult()), nullptr, error);
  return expectShape(*this, y, error, shapeOf(getGradOutput()), "'grad_output'");
}

LogicalResult SoftmaxCrossEntropyGradOp::verify() {
  std::string error;
  if (!softmaxCrossEntropyShape(shapeOf(getLogits()), shapeOf(getLabels()), error))
    return emitOpError() << error;
  if (getResult().getType() != getLogits().getType())
    return emitOpError() << "result must have the logits' type";
  return success();
}

LogicalResult SgdUpdateOp::verify() {
  if (getGrad().getType() != getParam().getType())
    return emitOpError() << "'grad' type " << getGrad().getType()
                         << " differs from 'param' type "
                         << getParam().getType();
  double m = getMomentum().convertToDouble();
  double wd = getWeightDecay().convertToDouble();
  if (!(m >= 0 && m < 1))
    return emitOpError() << "attribute 'momentum' must be in [0, 1), got " << m;
  if (!(wd >= 0))
    return emitOpError() << "attribute 'weight_decay' must be >= 0, got " << wd;
  if (!getParam().getDefiningOp<ParamOp>())
    return emitOpError() << "'param' must be an nn.param";
  return success();
}

#define GET_OP_CLASSES
#include "ir/NNGradOps.cpp.inc"
