//===- FuseConvBnRelu.cpp - --nn-fuse-conv-bn-relu --------------------------===//
//
// The training fusion (DESIGN §5), first slice: BN-apply + ReLU in one pass
// after the statistics pass, and dReLU fused with dBN in the backward.
//
//   %n = nn.batch_norm %x, %s, ... {training}    (one use: the relu)
//   %y = nn.relu %n
//     ->  %y = nn.bn_train_relu %x, %s, ...
//
//   %g = nn.relu_grad %dy, %y                    (one use: the BN grad)
//   %dx, %ds, %dt = nn.batch_norm_grad %g, %x, %s
//     ->  %dx, %ds, %dt = nn.bn_relu_grad %dy, %y, %x, %s
//
// The backward pair is fused only when its relu is one the forward fusion
// replaced (same BN: input, scale, eps). Fused ops are created where the
// last replaced op was (the relu; the batch_norm_grad): every operand
// dominates that point.
//
//===----------------------------------------------------------------------===//
#include "passes/fusion/FusionPasses.h"

#include "ir/NNDialect.h"
#include "ir/NNFusedOps.h"
#include "ir/NNGradOps.h"

#include "mlir/IR/Builders.h"

namespace cardinal {
#define GEN_PASS_DEF_FUSECONVBNRELU
#include "passes/fusion/FusionPasses.h.inc"
} // namespace cardinal

using namespace mlir;
namespace nn = cardinal::nn;

namespace {

struct FuseConvBnReluPass
    : public cardinal::impl::FuseConvBnReluBase<FuseConvBnReluPass> {
  void runOnOperation() override {
    SmallVector<nn::BatchNormOp> bns;
    getOperation().walk([&](nn::BatchNormOp bn) { bns.push_back(bn); });
    for (nn::BatchNormOp bn : bns)
      fuse(bn);
  }

  void fuse(nn::BatchNormOp bn) {
    if (!bn.getTraining() || !bn.getResult().hasOneUse())
      return;
    auto relu = dyn_cast<nn::ReluOp>(*bn.getResult().getUsers().begin());
    if (!relu)
      return;

    // Backward pairs on this relu's output, decided before rewriting.
    SmallVector<std::pair<nn::ReluGradOp, nn::BatchNormGradOp>> pairs;
    for (Operation *user : relu.getResult().getUsers()) {
      auto rg = dyn_cast<nn::ReluGradOp>(user);
      if (!rg || rg.getOutput() != relu.getResult() ||
          !rg.getResult().hasOneUse())
        continue;
      auto g = dyn_cast<nn::BatchNormGradOp>(*rg.getResult().getUsers().begin());
      if (!g || g.getGradOutput() != rg.getResult() ||
          g.getInput() != bn.getInput() || g.getScale() != bn.getScale() ||
          g.getEps() != bn.getEps())
        continue;
      pairs.push_back({rg, g});
    }

    OpBuilder b(relu);
    auto fused = b.create<nn::BnTrainReluOp>(
        relu.getLoc(), relu.getType(), bn.getInput(), bn.getScale(),
        bn.getShift(), bn.getRunningMean(), bn.getRunningVar(),
        bn.getEpsAttr(), bn.getMomentumAttr());
    relu.getResult().replaceAllUsesWith(fused.getResult());
    relu->erase();
    bn->erase();

    for (auto [rg, g] : pairs) {
      OpBuilder gb(g);
      auto fg = gb.create<nn::BnReluGradOp>(
          g.getLoc(), g->getResultTypes(), rg.getGradOutput(),
          fused.getResult(), g.getInput(), g.getScale(), g.getEpsAttr());
      g->replaceAllUsesWith(fg->getResults());
      g->erase();
      rg->erase();
    }
  }
};

} // namespace
