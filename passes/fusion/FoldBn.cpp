//===- FoldBn.cpp - --nn-fold-bn ---------------------------------------------===//
//
// The inference fusion (DESIGN §5). For every eval-mode nn.batch_norm whose
// input is a bias-free nn.conv2d used only by that BN, the chain
//
//   conv -> batch_norm [-> add(·, residual)] [-> relu]
//
// becomes one nn.conv2d_bn_act. The chain grows only through values with
// exactly one use, so no intermediate value that something else reads is
// lost. The fused op is created where the chain's last op was: every operand
// (the residual included) dominates it.
//
//===----------------------------------------------------------------------===//
#include "passes/fusion/FusionPasses.h"

#include "ir/NNDialect.h"
#include "ir/NNFusedOps.h"

#include "mlir/IR/Builders.h"

namespace cardinal {
#define GEN_PASS_DEF_FOLDBN
#include "passes/fusion/FusionPasses.h.inc"
} // namespace cardinal

using namespace mlir;
namespace nn = cardinal::nn;

namespace {

/// The only user of `v`, if it has exactly one use.
Operation *soleUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

struct FoldBnPass : public cardinal::impl::FoldBnBase<FoldBnPass> {
  void runOnOperation() override {
    SmallVector<nn::BatchNormOp> bns;
    getOperation().walk([&](nn::BatchNormOp bn) { bns.push_back(bn); });
    for (nn::BatchNormOp bn : bns)
      fuse(bn);
  }

  void fuse(nn::BatchNormOp bn) {
    if (bn.getTraining())
      return;
    auto conv = bn.getInput().getDefiningOp<nn::Conv2dOp>();
    if (!conv || conv.getBias() || !conv.getResult().hasOneUse())
      return;
    SmallVector<Operation *> chain{conv, bn};
    Value last = bn.getResult(), residual;
    if (auto add = dyn_cast_or_null<nn::AddOp>(soleUser(last))) {
      residual = add.getLhs() == last ? add.getRhs() : add.getLhs();
      chain.push_back(add);
      last = add.getResult();
    }
    bool relu = false;
    if (auto r = dyn_cast_or_null<nn::ReluOp>(soleUser(last))) {
      relu = true;
      chain.push_back(r);
      last = r.getResult();
    }
    OpBuilder b(chain.back());
    auto fused = b.create<nn::Conv2dBnActOp>(
        chain.back()->getLoc(), last.getType(), conv.getInput(),
        conv.getWeight(), bn.getScale(), bn.getShift(), bn.getRunningMean(),
        bn.getRunningVar(), residual, conv.getStridesAttr(),
        conv.getPaddingAttr(), conv.getDilationAttr(), conv.getGroupsAttr(),
        bn.getEpsAttr(), relu ? b.getUnitAttr() : UnitAttr());
    last.replaceAllUsesWith(fused.getResult());
    for (Operation *op : llvm::reverse(chain))
      op->erase();
  }
};

} // namespace
