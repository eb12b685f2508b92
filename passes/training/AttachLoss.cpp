//===- AttachLoss.cpp - --nn-attach-loss -----------------------------------===//
#include "passes/training/FuncResults.h"
#include "passes/training/TrainingPasses.h"

#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace cardinal {
#define GEN_PASS_DEF_ATTACHLOSS
#include "passes/training/TrainingPasses.h.inc"
} // namespace cardinal

using namespace mlir;

namespace {

struct AttachLossPass : public cardinal::impl::AttachLossBase<AttachLossPass> {
  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
      auto logitsType = ret.getNumOperands() == 1
                            ? dyn_cast<RankedTensorType>(ret.getOperand(0).getType())
                            : RankedTensorType();
      if (!logitsType || logitsType.getRank() != 2) {
        f.emitError() << "nn-attach-loss: '" << f.getName()
                      << "' must return exactly one NxK logits tensor";
        return signalPassFailure();
      }
      f.walk([](cardinal::nn::BatchNormOp bn) {
        bn.setTraining(true);
      });
      OpBuilder b(ret);
      Location loc = ret.getLoc();
      auto labelsType = RankedTensorType::get({logitsType.getDimSize(0)},
                                              b.getI32Type());
      b.setInsertionPointToStart(&f.getBody().front());
      Value labels = b.create<cardinal::nn::InputOp>(loc, labelsType, "labels");
      b.setInsertionPoint(ret);
      Value logits = ret.getOperand(0);
      Value loss = b.create<cardinal::nn::SoftmaxCrossEntropyOp>(loc, logits,
                                                                 labels);
      cardinal::setFunctionResults(f, {loss, logits});
    }
  }
};

} // namespace
