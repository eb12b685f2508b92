//===- SgdUpdate.cpp - --nn-sgd ---------------------------------------------===//
#include "passes/training/FuncResults.h"
#include "passes/training/TrainingPasses.h"

#include "ir/NNDialect.h"
#include "ir/NNGradOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace cardinal {
#define GEN_PASS_DEF_SGDUPDATE
#include "passes/training/TrainingPasses.h.inc"
} // namespace cardinal

using namespace mlir;
namespace nn = cardinal::nn;

namespace {

// BN's affine parameters are named <layer>.scale / <layer>.shift by the DSL.
bool isBnParam(StringRef name) {
  return name.ends_with(".scale") || name.ends_with(".shift");
}

struct SgdUpdatePass : public cardinal::impl::SgdUpdateBase<SgdUpdatePass> {
  using SgdUpdateBase::SgdUpdateBase;

  void runOnOperation() override {
    for (auto f : getOperation().getOps<func::FuncOp>()) {
      auto names = f->getAttrOfType<ArrayAttr>("nn.grads");
      if (!names) {
        f.emitError() << "nn-sgd: '" << f.getName()
                      << "' has no gradients (run --nn-autodiff first)";
        return signalPassFailure();
      }
      auto ret = cast<func::ReturnOp>(f.getBody().front().getTerminator());
      unsigned numGrads = names.size();
      unsigned keep = ret.getNumOperands() - numGrads;
      DenseMap<StringAttr, Value> params;
      f.walk([&](nn::ParamOp p) { params[p.getNameAttr()] = p.getResult(); });
      OpBuilder b(ret);
      for (unsigned i = 0; i < numGrads; ++i) {
        auto name = cast<StringAttr>(names[i]);
        Value grad = ret.getOperand(keep + i);
        double wd = noBnDecay && isBnParam(name.getValue()) ? 0.0 : weightDecay;
        b.create<nn::SgdUpdateOp>(ret.getLoc(), params[name], grad,
                                  b.getStringAttr(name.getValue() + ".velocity"),
                                  b.getF64FloatAttr(momentum),
                                  b.getF64FloatAttr(wd));
      }
      SmallVector<Value> results(ret.getOperands().take_front(keep));
      cardinal::setFunctionResults(f, results);
      f->removeAttr("nn.grads");
      f->setAttr("nn.optimizer", b.getStringAttr("sgd"));
    }
  }
};

} // namespace
