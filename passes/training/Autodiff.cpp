//===- Autodiff.cpp - --nn-autodiff: reverse mode on the nn graph ----------===//
//
// Walks the forward ops backwards from the loss, applying one vector-Jacobian
// rule per op and summing gradients of values with several uses. Backward
// ops are appended before the return, so the function stays one straight-
// line schedule that the kernel plan can print as it is.
//
//===----------------------------------------------------------------------===//
#include "passes/training/FuncResults.h"
#include "passes/training/TrainingPasses.h"

#include "ir/NNDialect.h"
#include "ir/NNGradOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace cardinal {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/training/TrainingPasses.h.inc"
} // namespace cardinal

using namespace mlir;
namespace nn = cardinal::nn;

namespace {

class Differentiator {
public:
  Differentiator(func::FuncOp f, OpBuilder &b) : f(f), b(b) {}

  LogicalResult run(Value loss, SmallVectorImpl<Value> &grads,
                    SmallVectorImpl<Attribute> &names) {
    markRequiresGrad();
    SmallVector<Operation *> ops;
    for (Operation &op : f.getBody().front().without_terminator())
      ops.push_back(&op);
    auto lossOp = loss.getDefiningOp<nn::SoftmaxCrossEntropyOp>();
    if (!lossOp)
      return f.emitError() << "nn-autodiff: the first result of '" << f.getName()
                           << "' must be an nn.softmax_cross_entropy loss "
                              "(run --nn-attach-loss first)";
    for (Operation *op : llvm::reverse(ops)) {
      if (isa<nn::AggregateOp>(op))
        return op->emitError() << "nn-autodiff: lower nn.aggregate first "
                                  "(--nn-lower-aggregate=form=c)";
      if (op == lossOp.getOperation()) {
        accumulate(lossOp.getLogits(),
                   b.create<nn::SoftmaxCrossEntropyGradOp>(
                       op->getLoc(), lossOp.getLogits().getType(),
                       lossOp.getLogits(), lossOp.getLabels()));
        continue;
      }
      if (op->getNumResults() != 1 || !grad.count(op->getResult(0)))
        continue;
      if (failed(vjp(op, grad[op->getResult(0)])))
        return failure();
    }
    for (Operation *op : ops)
      if (auto p = dyn_cast<nn::ParamOp>(op))
        if (grad.count(p.getResult())) {
          grads.push_back(grad[p.getResult()]);
          names.push_back(p.getNameAttr());
        }
    return success();
  }

private:
  // A value needs a gradient iff it depends on some parameter.
  void markRequiresGrad() {
    for (Operation &op : f.getBody().front()) {
      bool needs = isa<nn::ParamOp>(op);
      for (Value v : op.getOperands())
        needs |= needsGrad.contains(v);
      if (needs)
        for (Value r : op.getResults())
          needsGrad.insert(r);
    }
  }

  void accumulate(Value v, Value g) {
    if (!needsGrad.contains(v))
      return;
    auto it = grad.find(v);
    if (it == grad.end()) {
      grad[v] = g;
      return;
    }
    it->second = b.create<nn::AddOp>(g.getLoc(), it->second, g);
  }

  LogicalResult vjp(Operation *op, Value dy) {
    Location loc = op->getLoc();
    if (auto conv = dyn_cast<nn::Conv2dOp>(op)) {
      if (needsGrad.contains(conv.getInput()))
        accumulate(conv.getInput(),
                   b.create<nn::Conv2dGradInputOp>(
                       loc, conv.getInput().getType(), dy, conv.getWeight(),
                       conv.getStridesAttr(), conv.getPaddingAttr(),
                       conv.getDilationAttr(), conv.getGroupsAttr()));
      accumulate(conv.getWeight(),
                 b.create<nn::Conv2dGradWeightOp>(
                     loc, conv.getWeight().getType(), conv.getInput(), dy,
                     conv.getStridesAttr(), conv.getPaddingAttr(),
                     conv.getDilationAttr(), conv.getGroupsAttr()));
      if (conv.getBias())
        accumulate(conv.getBias(), b.create<nn::BiasGradOp>(
                                       loc, conv.getBias().getType(), dy));
      return success();
    }
    if (auto bn = dyn_cast<nn::BatchNormOp>(op)) {
      if (!bn.getTraining())
        return op->emitError() << "nn-autodiff: batch norm in eval mode; "
                                  "training graphs use batch statistics "
                                  "(--nn-attach-loss sets them)";
      auto g = b.create<nn::BatchNormGradOp>(loc, dy, bn.getInput(),
                                             bn.getScale(), bn.getEpsAttr());
      accumulate(bn.getInput(), g.getGradInput());
      accumulate(bn.getScale(), g.getGradScale());
      accumulate(bn.getShift(), g.getGradShift());
      return success();
    }
    if (auto relu = dyn_cast<nn::ReluOp>(op)) {
      accumulate(relu.getInput(),
                 b.create<nn::ReluGradOp>(loc, dy.getType(), dy, relu.getResult()));
      return success();
    }
    if (auto add = dyn_cast<nn::AddOp>(op)) {
      accumulate(add.getLhs(), dy);
      accumulate(add.getRhs(), dy);
      return success();
    }
    if (auto concat = dyn_cast<nn::ConcatOp>(op)) {
      int64_t offset = 0, axis = concat.getAxis();
      for (Value in : concat.getInputs()) {
        int64_t size = cast<RankedTensorType>(in.getType()).getDimSize(axis);
        if (needsGrad.contains(in))
          accumulate(in, b.create<nn::SliceOp>(loc, dy, axis, offset, size));
        offset += size;
      }
      return success();
    }
    if (auto slice = dyn_cast<nn::SliceOp>(op)) {
      accumulate(slice.getInput(),
                 b.create<nn::SliceGradOp>(loc, slice.getInput().getType(), dy,
                                           slice.getAxisAttr(),
                                           slice.getStartAttr()));
      return success();
    }
    if (auto pool = dyn_cast<nn::MaxPool2dOp>(op)) {
      accumulate(pool.getInput(),
                 b.create<nn::MaxPool2dGradOp>(
                     loc, pool.getInput().getType(), dy, pool.getInput(),
                     pool.getKernelAttr(), pool.getStridesAttr(),
                     pool.getPaddingAttr()));
      return success();
    }
    if (auto gap = dyn_cast<nn::GlobalAvgPoolOp>(op)) {
      accumulate(gap.getInput(), b.create<nn::GlobalAvgPoolGradOp>(
                                     loc, gap.getInput().getType(), dy));
      return success();
    }
    if (auto fc = dyn_cast<nn::LinearOp>(op)) {
      if (needsGrad.contains(fc.getInput()))
        accumulate(fc.getInput(), b.create<nn::LinearGradInputOp>(
                                      loc, fc.getInput().getType(), dy,
                                      fc.getWeight()));
      accumulate(fc.getWeight(), b.create<nn::LinearGradWeightOp>(
                                     loc, fc.getWeight().getType(),
                                     fc.getInput(), dy));
      if (fc.getBias())
        accumulate(fc.getBias(), b.create<nn::BiasGradOp>(
                                     loc, fc.getBias().getType(), dy));
      return success();
    }
    if (isa<nn::ParamOp, nn::StateOp, nn::InputOp>(op))
      return success();
    return op->emitError() << "nn-autodiff: no VJP rule for '"
                           << op->getName() << "'";
  }

  func::FuncOp f;
  OpBuilder &b;
  llvm::DenseSet<Value> needsGrad;
  llvm::DenseMap<Value, Value> grad;
};

struct AutodiffPass : public cardinal::impl::AutodiffBase<AutodiffPass> {
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
      if (ret.getNumOperands() == 0) {
        f.emitError() << "nn-autodiff: '" << f.getName() << "' returns nothing";
        return signalPassFailure();
      }
      OpBuilder b(ret);
      Differentiator d(f, b);
      SmallVector<Value> grads;
      SmallVector<Attribute> names;
      if (failed(d.run(ret.getOperand(0), grads, names)))
        return signalPassFailure();
      SmallVector<Value> results(ret.getOperands());
      results.append(grads.begin(), grads.end());
      cardinal::setFunctionResults(f, results);
      f->setAttr("nn.grads", b.getArrayAttr(names));
    }
  }
};

} // namespace
