//===- FuseConvBnRelu.cpp - --nn-fuse-conv-bn-relu --------------------------===//
//
// The training fusion (DESIGN §5). Per training-mode batch_norm, the first
// rule that applies:
//
// 1. Prologue (conv -> BN -> relu -> convs):
//      %c = nn.conv2d %x, %w                 (uses: the BN, its grads)
//      %n = nn.batch_norm %c ... {training}  (one use: the relu)
//      %r = nn.relu %n                       (uses: conv2d inputs,
//                                             conv2d_grad_weight inputs, one
//                                             relu_grad -> batch_norm_grad)
//    ->
//      %c, %mean, %invstd = nn.conv2d_stats %x, %w bn(...)   (statistics in
//                                                             the epilogue)
//    A conv that is itself a prologue reader of an earlier BN (the conv
//    between two BNs: ResNeXt's 3x3 and last 1x1) becomes
//    nn.bn_relu_conv2d_stats (prologue and epilogue).
//      nn.bn_relu_conv2d %c bn(%mean, %invstd, ...), %w2       (each conv)
//      nn.bn_relu_conv2d_grad_weight %c bn(...), %dy           (each grad_w)
//      nn.bn_relu_apply_grad %dy, %c bn(...)                   (dReLU + dBN)
//    %r is no longer computed: every reader recomputes it from %c.
//    Then, where the gradient of %r is one conv's backward-data and nothing
//    else (%dy = nn.conv2d_grad_input %dz, %w2 with the apply_grad its only
//    reader; not a sum of several contributions, as autodiff accumulates
//    them with nn.add), the BN backward's reductions move into that conv:
//      %dy, %ds, %dt = nn.conv2d_grad_input_bn_sums %dz, %w2 bn(%c, ...)
//      %dx = nn.bn_relu_apply_grad_input %dy, %c bn(...) sums(%ds, %dt)
//    (dx only, one pass; %ds/%dt are the BN's dscale/dshift).
//
// 2. Block output (conv -> BN -> add(residual) -> relu):
//      %c = nn.conv2d ...; %n = nn.batch_norm %c; %a = nn.add %n, %res;
//      %y = nn.relu %a                        (%n, %a: one use each)
//    ->
//      %c, %mean, %invstd = nn.conv2d_stats ...
//      %y = nn.bn_add_relu %c bn(%mean, %invstd, ...) residual %res
//    and its backward relu_grad(dy, %y) -> batch_norm_grad(., %c) becomes
//    nn.bn_add_relu_grad (dx, dresidual, dscale, dshift); the relu_grad's
//    other readers (the residual's gradient) take dresidual.
//
// 3. Otherwise BN -> relu (one use) becomes nn.bn_train_relu, and its
//    backward pair nn.bn_relu_grad (the first slice of this pass).
//
// Nothing fuses when a value in the chain has a reader outside the pattern:
// a BN input with another consumer (e.g. a conv feeding two BNs), a BN or
// add with a second user, a relu output returned, eval-mode BNs. Each new op
// is created where the last op it replaces (or its first reader) was, so
// every operand dominates it.
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

/// Is `g` the gradient of `bn` (same input, scale, eps)?
bool isGradOf(nn::BatchNormGradOp g, nn::BatchNormOp bn) {
  return g && g.getInput() == bn.getInput() && g.getScale() == bn.getScale() &&
         g.getEps() == bn.getEps();
}

/// The batch_norm_grad of `bn` that is the single reader of relu_grad `rg`
/// (reading it as grad_output), or null.
nn::BatchNormGradOp soleBnGrad(nn::ReluGradOp rg, nn::BatchNormOp bn) {
  if (!rg.getResult().hasOneUse())
    return {};
  auto g = dyn_cast<nn::BatchNormGradOp>(*rg.getResult().getUsers().begin());
  return g && g.getGradOutput() == rg.getResult() && isGradOf(g, bn)
             ? g
             : nn::BatchNormGradOp();
}

struct FuseConvBnReluPass
    : public cardinal::impl::FuseConvBnReluBase<FuseConvBnReluPass> {
  using FuseConvBnReluBase::FuseConvBnReluBase;
  void runOnOperation() override {
    SmallVector<nn::BatchNormOp> bns;
    getOperation().walk([&](nn::BatchNormOp bn) { bns.push_back(bn); });
    for (nn::BatchNormOp bn : bns)
      if (bn.getTraining() && bn.getResult().hasOneUse() &&
          (!convLevel ||
           (failed(fusePrologue(bn)) && failed(fuseBlockOutput(bn)))))
        fuseBnRelu(bn);
    if (!convLevel || !gradSums)
      return;
    SmallVector<nn::BnReluApplyGradOp> applyGrads;
    getOperation().walk(
        [&](nn::BnReluApplyGradOp g) { applyGrads.push_back(g); });
    for (nn::BnReluApplyGradOp g : applyGrads)
      (void)fuseGradSums(g);
  }

  /// nn.conv2d_grad_input -> nn.bn_relu_apply_grad, when the conv's result
  /// has no other reader, -> nn.conv2d_grad_input_bn_sums (dy and the two
  /// reductions) + nn.bn_relu_apply_grad_input (dx). Both are created at the
  /// apply_grad: its operands and the conv grad's dominate it.
  static LogicalResult fuseGradSums(nn::BnReluApplyGradOp g) {
    Value dy = g.getGradOutput();
    auto gi = dy.getDefiningOp<nn::Conv2dGradInputOp>();
    if (!gi || !dy.hasOneUse())
      return failure(); // a sum of contributions, or dy read elsewhere
    OpBuilder b(g);
    Type st = g.getScale().getType();
    auto sums = b.create<nn::Conv2dGradInputBnSumsOp>(
        gi.getLoc(), TypeRange{dy.getType(), st, st}, gi.getGradOutput(),
        gi.getWeight(), g.getInput(), g.getMean(), g.getInvstd(), g.getScale(),
        g.getShift(), gi.getStridesAttr(), gi.getPaddingAttr(),
        gi.getDilationAttr(), gi.getGroupsAttr());
    auto dx = b.create<nn::BnReluApplyGradInputOp>(
        g.getLoc(), g.getGradInput().getType(), sums.getResult(), g.getInput(),
        g.getMean(), g.getInvstd(), g.getScale(), g.getShift(),
        sums.getGradScale(), sums.getGradShift());
    g.getGradInput().replaceAllUsesWith(dx.getGradInput());
    g.getGradScale().replaceAllUsesWith(sums.getGradScale());
    g.getGradShift().replaceAllUsesWith(sums.getGradShift());
    g->erase();
    gi->erase();
    return success();
  }

  /// The conv whose result `bn` reads (a bias-free nn.conv2d, or an
  /// nn.bn_relu_conv2d made by an earlier BN's fusion: the conv between two
  /// BNs), if its only other readers are the batch_norm_grads in `grads`.
  static Operation *statsConv(nn::BatchNormOp bn,
                              ArrayRef<nn::BatchNormGradOp> grads) {
    Operation *def = bn.getInput().getDefiningOp();
    auto conv = dyn_cast_or_null<nn::Conv2dOp>(def);
    if (!(conv && !conv.getBias()) && !isa_and_nonnull<nn::BnReluConv2dOp>(def))
      return nullptr;
    for (Operation *user : bn.getInput().getUsers())
      if (user != bn.getOperation() &&
          !llvm::is_contained(grads, dyn_cast<nn::BatchNormGradOp>(user)))
        return nullptr;
    return def;
  }

  struct Stats {
    Value y, mean, invstd;
  };

  /// conv + bn -> nn.conv2d_stats (or nn.bn_relu_conv2d_stats), created at
  /// the BN (its parameters may be defined after the conv). Erases the
  /// conv; the caller erases the BN.
  static Stats makeStats(Operation *conv, nn::BatchNormOp bn) {
    OpBuilder b(bn);
    Type y = conv->getResult(0).getType(), st = bn.getScale().getType();
    Operation *stats;
    if (auto c = dyn_cast<nn::Conv2dOp>(conv))
      stats = b.create<nn::Conv2dStatsOp>(
          c.getLoc(), TypeRange{y, st, st}, c.getInput(), c.getWeight(),
          bn.getScale(), bn.getShift(), bn.getRunningMean(),
          bn.getRunningVar(), c.getStridesAttr(), c.getPaddingAttr(),
          c.getDilationAttr(), c.getGroupsAttr(), bn.getEpsAttr(),
          bn.getMomentumAttr());
    else {
      auto p = cast<nn::BnReluConv2dOp>(conv);
      stats = b.create<nn::BnReluConv2dStatsOp>(
          p.getLoc(), TypeRange{y, st, st}, p.getInput(), p.getMean(),
          p.getInvstd(), p.getScale(), p.getShift(), p.getWeight(),
          bn.getScale(), bn.getShift(), bn.getRunningMean(),
          bn.getRunningVar(), p.getStridesAttr(), p.getPaddingAttr(),
          p.getDilationAttr(), p.getGroupsAttr(), bn.getEpsAttr(),
          bn.getMomentumAttr());
    }
    conv->getResult(0).replaceAllUsesWith(stats->getResult(0));
    conv->erase();
    return {stats->getResult(0), stats->getResult(1), stats->getResult(2)};
  }

  LogicalResult fusePrologue(nn::BatchNormOp bn) {
    auto relu = dyn_cast<nn::ReluOp>(*bn.getResult().getUsers().begin());
    if (!relu)
      return failure();
    SmallVector<nn::Conv2dOp> convs;
    SmallVector<nn::Conv2dGradWeightOp> gradWeights;
    SmallVector<std::pair<nn::ReluGradOp, nn::BatchNormGradOp>> pairs;
    for (OpOperand &use : relu.getResult().getUses()) {
      Operation *user = use.getOwner();
      if (auto c = dyn_cast<nn::Conv2dOp>(user);
          c && use.getOperandNumber() == 0 && !c.getBias()) {
        convs.push_back(c);
      } else if (auto gw = dyn_cast<nn::Conv2dGradWeightOp>(user);
                 gw && use.getOperandNumber() == 0) {
        gradWeights.push_back(gw);
      } else if (auto rg = dyn_cast<nn::ReluGradOp>(user);
                 rg && rg.getOutput() == relu.getResult() &&
                 rg.getGradOutput() != relu.getResult() && soleBnGrad(rg, bn)) {
        pairs.push_back({rg, soleBnGrad(rg, bn)});
      } else {
        return failure(); // a reader that needs the activation itself
      }
    }
    SmallVector<nn::BatchNormGradOp> grads;
    for (auto &p : pairs)
      grads.push_back(p.second);
    Operation *conv = statsConv(bn, grads);
    if (convs.empty() || !conv)
      return failure();

    Stats stats = makeStats(conv, bn);
    Value x = stats.y, mean = stats.mean, invstd = stats.invstd,
          scale = bn.getScale(), shift = bn.getShift();
    for (nn::Conv2dOp c : convs) {
      OpBuilder b(c);
      auto f = b.create<nn::BnReluConv2dOp>(
          c.getLoc(), c.getType(), x, mean, invstd, scale, shift,
          c.getWeight(), c.getStridesAttr(), c.getPaddingAttr(),
          c.getDilationAttr(), c.getGroupsAttr());
      c.getResult().replaceAllUsesWith(f.getResult());
      c->erase();
    }
    for (nn::Conv2dGradWeightOp gw : gradWeights) {
      OpBuilder b(gw);
      auto f = b.create<nn::BnReluConv2dGradWeightOp>(
          gw.getLoc(), gw.getType(), x, mean, invstd, scale, shift,
          gw.getGradOutput(), gw.getStridesAttr(), gw.getPaddingAttr(),
          gw.getDilationAttr(), gw.getGroupsAttr());
      gw.getResult().replaceAllUsesWith(f.getResult());
      gw->erase();
    }
    for (auto [rg, g] : pairs) {
      OpBuilder b(g);
      auto f = b.create<nn::BnReluApplyGradOp>(
          g.getLoc(), g->getResultTypes(), rg.getGradOutput(), x, mean,
          invstd, scale, shift);
      g->replaceAllUsesWith(f->getResults());
      g->erase();
      rg->erase();
    }
    relu->erase();
    bn->erase();
    return success();
  }

  LogicalResult fuseBlockOutput(nn::BatchNormOp bn) {
    auto add = dyn_cast<nn::AddOp>(*bn.getResult().getUsers().begin());
    if (!add || !add.getResult().hasOneUse() || add.getLhs() == add.getRhs())
      return failure();
    auto relu = dyn_cast<nn::ReluOp>(*add.getResult().getUsers().begin());
    if (!relu)
      return failure();
    Value residual = add.getLhs() == bn.getResult() ? add.getRhs()
                                                    : add.getLhs();
    // Backward: relu_grad(dy, y) read by this BN's grad (and by the
    // residual's gradient, any readers).
    SmallVector<std::pair<nn::ReluGradOp, nn::BatchNormGradOp>> pairs;
    for (Operation *user : relu.getResult().getUsers()) {
      auto rg = dyn_cast<nn::ReluGradOp>(user);
      if (!rg || rg.getOutput() != relu.getResult() ||
          rg.getGradOutput() == relu.getResult())
        continue;
      nn::BatchNormGradOp g;
      for (Operation *r : rg.getResult().getUsers()) {
        auto cand = dyn_cast<nn::BatchNormGradOp>(r);
        if (cand && cand.getGradOutput() == rg.getResult() &&
            isGradOf(cand, bn)) {
          if (g)
            return failure(); // two gradients of one BN: not ours
          g = cand;
        }
      }
      if (g)
        pairs.push_back({rg, g});
    }
    SmallVector<nn::BatchNormGradOp> grads;
    for (auto &p : pairs)
      grads.push_back(p.second);
    Operation *conv = statsConv(bn, grads);
    if (!conv)
      return failure();

    Stats stats = makeStats(conv, bn);
    OpBuilder b(relu);
    auto fused = b.create<nn::BnAddReluOp>(
        relu.getLoc(), relu.getType(), stats.y, stats.mean, stats.invstd,
        bn.getScale(), bn.getShift(), residual);
    relu.getResult().replaceAllUsesWith(fused.getResult());
    relu->erase();
    add->erase();
    for (auto [rg, g] : pairs) {
      // At the relu_grad: its other readers may precede the BN grad.
      OpBuilder gb(rg);
      auto f = gb.create<nn::BnAddReluGradOp>(
          g.getLoc(),
          TypeRange{g.getGradInput().getType(), rg.getType(),
                    g.getGradScale().getType(), g.getGradShift().getType()},
          rg.getGradOutput(), fused.getResult(), stats.y, stats.mean,
          stats.invstd, bn.getScale());
      g.getGradInput().replaceAllUsesWith(f.getGradInput());
      g.getGradScale().replaceAllUsesWith(f.getGradScale());
      g.getGradShift().replaceAllUsesWith(f.getGradShift());
      g->erase();
      rg.getResult().replaceAllUsesWith(f.getGradResidual());
      rg->erase();
    }
    bn->erase();
    return success();
  }

  void fuseBnRelu(nn::BatchNormOp bn) {
    auto relu = dyn_cast<nn::ReluOp>(*bn.getResult().getUsers().begin());
    if (!relu)
      return;

    // Backward pairs on this relu's output, decided before rewriting.
    SmallVector<std::pair<nn::ReluGradOp, nn::BatchNormGradOp>> pairs;
    for (Operation *user : relu.getResult().getUsers()) {
      auto rg = dyn_cast<nn::ReluGradOp>(user);
      if (!rg || rg.getOutput() != relu.getResult())
        continue;
      if (nn::BatchNormGradOp g = soleBnGrad(rg, bn))
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
