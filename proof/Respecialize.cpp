//===- Respecialize.cpp ----------------------------------------------------===//
#include "proof/Respecialize.h"

#include "ir/NNDialect.h"
#include "ir/NNFusedOps.h"
#include "ir/ShapeRules.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
namespace nn = cardinal::nn;

namespace cardinal::proof {

namespace {

nn::Shape shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

void setShape(Value v, const nn::Shape &s) {
  auto t = cast<RankedTensorType>(v.getType());
  v.setType(RankedTensorType::get(s, t.getElementType()));
}

LogicalResult infer(Operation *op);

LogicalResult inferBlock(Block &block) {
  for (Operation &op : block)
    if (failed(infer(&op)))
      return failure();
  return success();
}

LogicalResult infer(Operation *op) {
  std::string error;
  std::optional<nn::Shape> shape;
  bool handled = true;
  llvm::TypeSwitch<Operation *>(op)
      .Case<nn::Conv2dOp>([&](nn::Conv2dOp c) {
        nn::Conv2dAttrs a;
        a.strides.assign(c.getStrides().begin(), c.getStrides().end());
        a.padding.assign(c.getPadding().begin(), c.getPadding().end());
        a.dilation.assign(c.getDilation().begin(), c.getDilation().end());
        a.groups = c.getGroups();
        nn::Shape bias = c.getBias() ? shapeOf(c.getBias()) : nn::Shape{};
        shape = nn::conv2dShape(shapeOf(c.getInput()), shapeOf(c.getWeight()),
                                c.getBias() ? &bias : nullptr, a, error);
      })
      .Case<nn::Conv2dBnActOp>([&](nn::Conv2dBnActOp c) {
        nn::Conv2dAttrs a;
        a.strides.assign(c.getStrides().begin(), c.getStrides().end());
        a.padding.assign(c.getPadding().begin(), c.getPadding().end());
        a.dilation.assign(c.getDilation().begin(), c.getDilation().end());
        a.groups = c.getGroups();
        shape = nn::conv2dShape(shapeOf(c.getInput()), shapeOf(c.getWeight()),
                                nullptr, a, error);
        if (shape && c.getResidual())
          shape = nn::sameShape(*shape, shapeOf(c.getResidual()), "result",
                                "residual", error);
      })
      // The conv-level training fusion: result 0 is the conv's (mean and
      // invstd keep their per-channel shapes).
      .Case<nn::Conv2dStatsOp, nn::BnReluConv2dStatsOp, nn::BnReluConv2dOp>(
          [&](auto c) {
            nn::Conv2dAttrs a;
            a.strides.assign(c.getStrides().begin(), c.getStrides().end());
            a.padding.assign(c.getPadding().begin(), c.getPadding().end());
            a.dilation.assign(c.getDilation().begin(), c.getDilation().end());
            a.groups = c.getGroups();
            shape = nn::conv2dShape(shapeOf(c.getInput()),
                                    shapeOf(c.getWeight()), nullptr, a, error);
          })
      .Case<nn::BnAddReluOp>(
          [&](nn::BnAddReluOp o) { shape = shapeOf(o.getInput()); })
      .Case<nn::BatchNormOp, nn::ReluOp, nn::BnTrainReluOp>(
          [&](Operation *o) { shape = shapeOf(o->getOperand(0)); })
      .Case<nn::AddOp>([&](nn::AddOp a) {
        shape = nn::sameShape(shapeOf(a.getLhs()), shapeOf(a.getRhs()), "lhs",
                              "rhs", error);
      })
      .Case<nn::ConcatOp>([&](nn::ConcatOp c) {
        std::vector<nn::Shape> shapes;
        for (Value v : c.getInputs())
          shapes.push_back(shapeOf(v));
        shape = nn::concatShape(shapes, c.getAxis(), error);
      })
      .Case<nn::SliceOp>([&](nn::SliceOp s) {
        shape = nn::sliceShape(shapeOf(s.getInput()), s.getAxis(), s.getStart(),
                               s.getSize(), error);
      })
      .Case<nn::MaxPool2dOp>([&](nn::MaxPool2dOp p) {
        shape = nn::maxPool2dShape(
            shapeOf(p.getInput()), {p.getKernel().begin(), p.getKernel().end()},
            {p.getStrides().begin(), p.getStrides().end()},
            {p.getPadding().begin(), p.getPadding().end()}, error);
      })
      .Case<nn::GlobalAvgPoolOp>([&](nn::GlobalAvgPoolOp p) {
        shape = nn::globalAvgPoolShape(shapeOf(p.getInput()), error);
      })
      .Case<nn::LinearOp>([&](nn::LinearOp l) {
        nn::Shape bias = l.getBias() ? shapeOf(l.getBias()) : nn::Shape{};
        shape = nn::linearShape(shapeOf(l.getInput()), shapeOf(l.getWeight()),
                                l.getBias() ? &bias : nullptr, error);
      })
      .Case<nn::SoftmaxCrossEntropyOp>([&](nn::SoftmaxCrossEntropyOp s) {
        shape = nn::softmaxCrossEntropyShape(shapeOf(s.getLogits()),
                                             shapeOf(s.getLabels()), error);
      })
      .Case<nn::AggregateOp>([&](nn::AggregateOp a) {
        Block &body = a.getBody().front();
        body.getArgument(0).setType(a.getInput().getType());
        if (failed(inferBlock(body))) {
          error = "its path template no longer fits the input";
          return;
        }
        shape = shapeOf(a.getPathResult());
      })
      .Default([&](Operation *) { handled = false; });
  if (!handled)
    return success(); // params, state, inputs, yield, return keep their types
  if (!shape)
    return op->emitError() << "cannot re-specialize for a smaller input: "
                           << error;
  setShape(op->getResult(0), *shape);
  return success();
}

} // namespace

LogicalResult respecialize(func::FuncOp f, int64_t n, int64_t hw) {
  for (auto in : f.getOps<nn::InputOp>()) {
    nn::Shape s = shapeOf(in.getResult());
    if (s.size() == 4)
      s = {n, s[1], hw, hw};
    else if (!s.empty())
      s[0] = n;
    setShape(in.getResult(), s);
  }
  if (failed(inferBlock(f.getBody().front())))
    return failure();
  auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
  f.setFunctionType(FunctionType::get(f.getContext(), {},
                                      ret.getOperandTypes()));
  return success();
}

} // namespace cardinal::proof
