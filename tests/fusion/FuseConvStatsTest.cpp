//===- FuseConvStatsTest.cpp - the conv-level training fusion, proved -----===//
//
// --nn-fuse-conv-bn-relu's conv-level rewrites (nn.conv2d_stats,
// nn.bn_relu_conv2d, nn.bn_add_relu and their backward) on resnext_small in
// forms (a), (b) and (c):
//  - the training forward (every BN in training mode) before and after the
//    pass, exactly over GF(2^61-1) (proof::checkGraphs; the statistics'
//    1/sqrt is BN's keyed function, the ReLU the keyed ReLU), three draws;
//  - wrong fusions rejected: eps changed on a conv2d_stats, the scale and
//    shift of a prologue swapped, the ReLU of a block output dropped;
//  - the full training graph (loss, logits, every gradient) before and after
//    the pass, evaluated in double by the interpreter: ≤ 1e-10 relative;
//    there, the BN backward's reductions are fused into the conv
//    backward-data that produces their dy (nn.conv2d_grad_input_bn_sums +
//    nn.bn_relu_apply_grad_input) in every form.
//
//===----------------------------------------------------------------------===//
#include "TestModule.h"
#include "tests/fusion/FusionTestUtil.h"

#include "interp/Interpreter.h"
#include "ir/NNFusedOps.h"
#include "ir/NNGradOps.h"
#include "passes/Passes.h"
#include "passes/fusion/FusionPasses.h"
#include "passes/training/TrainingPasses.h"
#include "proof/EquivCheck.h"

#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <cmath>
#include <iostream>

using namespace cardinal;
using cardinal::testing::buildZooModel;
using cardinal::testing::fn;
using cardinal::testing::runPipeline;

namespace {

struct Counts {
  int stats = 0, prologue = 0, addRelu = 0, gradWeight = 0, applyGrad = 0,
      addReluGrad = 0, bns = 0, bnGrads = 0, gradSums = 0, applyGradInput = 0;
};

Counts count(mlir::ModuleOp m) {
  Counts c;
  m.walk([&](mlir::Operation *op) {
    c.stats += llvm::isa<nn::Conv2dStatsOp, nn::BnReluConv2dStatsOp>(op);
    c.prologue += llvm::isa<nn::BnReluConv2dOp>(op);
    c.addRelu += llvm::isa<nn::BnAddReluOp>(op);
    c.gradWeight += llvm::isa<nn::BnReluConv2dGradWeightOp>(op);
    c.applyGrad += llvm::isa<nn::BnReluApplyGradOp>(op);
    c.gradSums += llvm::isa<nn::Conv2dGradInputBnSumsOp>(op);
    c.applyGradInput += llvm::isa<nn::BnReluApplyGradInputOp>(op);
    c.addReluGrad += llvm::isa<nn::BnAddReluGradOp>(op);
    c.bns += llvm::isa<nn::BatchNormOp, nn::BnTrainReluOp>(op);
    c.bnGrads += llvm::isa<nn::BatchNormGradOp, nn::BnReluGradOp>(op);
  });
  return c;
}

dsl::ModelOptions smallOptions() {
  dsl::ModelOptions o;
  o.batch = 3;
  o.image = 8;
  o.channels = 3;
  o.classes = 5;
  return o;
}

std::string lower(char form) {
  return std::string("nn-lower-aggregate{form=") + form + "}";
}

/// Exact check on three draws; the product of their miss bounds.
double provedEqual(mlir::ModuleOp a, mlir::ModuleOp b) {
  double pMiss = 1;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    proof::CheckOptions o;
    o.seed = seed;
    proof::ExactVerdict v = proof::checkGraphs(fn(a), fn(b), nullptr, o);
    EXPECT_TRUE(v.ran) << v.detail;
    EXPECT_TRUE(v.equivalent) << v.detail;
    pMiss *= v.errorBound;
  }
  return pMiss;
}

bool rejected(mlir::ModuleOp a, mlir::ModuleOp b) {
  proof::ExactVerdict v = proof::checkGraphs(fn(a), fn(b));
  EXPECT_TRUE(v.ran) << v.detail;
  return v.ran && !v.equivalent;
}

class FuseConvStats : public ::testing::TestWithParam<char> {};

} // namespace

TEST_P(FuseConvStats, TrainingForwardIsExactlyEquivalent) {
  const char form = GetParam();
  auto model = buildZooModel("resnext_small", smallOptions());
  ASSERT_TRUE(model);
  mlir::OwningOpRef<mlir::ModuleOp> unfused = model.module->clone();
  runPipeline(*unfused, lower(form));
  unfused->walk([](nn::BatchNormOp bn) { bn.setTraining(true); });
  mlir::OwningOpRef<mlir::ModuleOp> fused = unfused->clone();
  runPipeline(*fused, "nn-fuse-conv-bn-relu");
  Counts c = count(*fused);
  EXPECT_GE(c.stats, 2);
  EXPECT_GE(c.prologue, 2);
  if (form != 'a') { // (a) sums the paths before the last BN: no conv feeds it
    EXPECT_GE(c.addRelu, 1);
  }
  double pMiss = provedEqual(*unfused, *fused);
  EXPECT_LT(pMiss, 1e-12);
  std::cout << "[fuse-conv-stats] form (" << form << ") training forward: "
            << c.stats << " conv2d_stats, " << c.prologue
            << " bn_relu_conv2d, " << c.addRelu
            << " bn_add_relu; exact GF(2^61-1): equivalent on 3 draws, "
            << "P(miss) <= " << pMiss << "\n";

  // Wrong fusions are rejected.
  {
    mlir::OwningOpRef<mlir::ModuleOp> bad = fused->clone();
    nn::Conv2dStatsOp first;
    bad->walk([&](nn::Conv2dStatsOp op) {
      if (!first)
        first = op;
    });
    first.setEpsAttr(mlir::FloatAttr::get(
        mlir::Float64Type::get(first->getContext()), 1e-3));
    EXPECT_TRUE(rejected(*unfused, *bad)) << "eps changed";
  }
  {
    mlir::OwningOpRef<mlir::ModuleOp> bad = fused->clone();
    nn::BnReluConv2dOp first;
    bad->walk([&](nn::BnReluConv2dOp op) {
      if (!first)
        first = op;
    });
    mlir::Value s = first.getScale(), b = first.getShift();
    first.getScaleMutable().set(b);
    first.getShiftMutable().set(s);
    EXPECT_TRUE(rejected(*unfused, *bad)) << "BN parameters swapped";
  }
  if (c.addRelu) {
    // relu(BN(x) + r) -> BN(x) + r: a training BN on the conv2d_stats
    // output, then the add, no ReLU.
    mlir::OwningOpRef<mlir::ModuleOp> bad = fused->clone();
    nn::BnAddReluOp first;
    bad->walk([&](nn::BnAddReluOp op) {
      if (!first)
        first = op;
    });
    // The statistics op's BN operands (running statistics, eps, momentum).
    mlir::Operation *stats = first.getInput().getDefiningOp();
    ASSERT_TRUE((llvm::isa<nn::Conv2dStatsOp, nn::BnReluConv2dStatsOp>(stats)));
    unsigned rm = llvm::isa<nn::Conv2dStatsOp>(stats) ? 4 : 8;
    mlir::OpBuilder b(first);
    auto bn = b.create<nn::BatchNormOp>(
        first.getLoc(), first.getType(), first.getInput(), first.getScale(),
        first.getShift(), stats->getOperand(rm), stats->getOperand(rm + 1),
        stats->getAttrOfType<mlir::FloatAttr>("eps"),
        stats->getAttrOfType<mlir::FloatAttr>("momentum"), b.getUnitAttr());
    auto add = b.create<nn::AddOp>(first.getLoc(), first.getType(),
                                   bn.getResult(), first.getResidual());
    first.getResult().replaceAllUsesWith(add.getResult());
    first->erase();
    EXPECT_TRUE(rejected(*unfused, *bad)) << "ReLU dropped";
  }
}

TEST_P(FuseConvStats, TrainingGraphGradientsMatchInDouble) {
  const char form = GetParam();
  auto model = buildZooModel("resnext_small", smallOptions());
  ASSERT_TRUE(model);
  mlir::OwningOpRef<mlir::ModuleOp> unfused = model.module->clone();
  runPipeline(*unfused, lower(form) + ",nn-attach-loss,nn-autodiff");
  mlir::OwningOpRef<mlir::ModuleOp> fused = unfused->clone();
  runPipeline(*fused, "nn-fuse-conv-bn-relu");
  Counts u = count(*unfused), c = count(*fused);
  EXPECT_GE(c.stats, 2);
  EXPECT_GE(c.prologue, 2);
  EXPECT_GE(c.gradWeight, c.applyGrad + c.applyGradInput);
  EXPECT_GE(c.gradSums, 1) << "no BN-grad reductions fused into a conv";
  EXPECT_EQ(c.gradSums, c.applyGradInput);
  EXPECT_EQ(c.applyGrad + c.applyGradInput + c.addReluGrad + c.bnGrads,
            u.bnGrads)
      << "every BN's gradient is fused or left as it was";
  EXPECT_EQ(c.stats + c.bns, u.bns);

  auto params = interp::randomParams<double>(fn(*unfused), 11);
  auto inputs = interp::randomInputs<double>(fn(*unfused), 12);
  auto ya = interp::evaluate<double>(fn(*unfused), params, inputs);
  auto yb = interp::evaluate<double>(fn(*fused), params, inputs);
  ASSERT_TRUE(mlir::succeeded(ya) && mlir::succeeded(yb));
  ASSERT_EQ(ya->size(), yb->size());
  ASSERT_GE(ya->size(), 3u);
  double worst = 0;
  for (size_t i = 0; i < ya->size(); ++i) {
    ASSERT_EQ((*ya)[i].shape, (*yb)[i].shape) << "result " << i;
    double diff = 0, ref = 0;
    for (size_t j = 0; j < (*ya)[i].data.size(); ++j) {
      diff = std::max(diff, std::fabs((*ya)[i].data[j] - (*yb)[i].data[j]));
      ref = std::max(ref, std::fabs((*ya)[i].data[j]));
    }
    double rel = diff / std::max(ref, 1e-300);
    EXPECT_LE(rel, 1e-10) << "result " << i;
    worst = std::max(worst, rel);
  }
  std::cout << "[fuse-conv-stats] form (" << form << ") training graph: "
            << c.stats << " conv2d_stats, " << c.prologue
            << " bn_relu_conv2d, " << c.gradWeight
            << " bn_relu_conv2d_grad_weight, " << c.applyGrad
            << " bn_relu_apply_grad, " << c.gradSums
            << " conv2d_grad_input_bn_sums + bn_relu_apply_grad_input, "
            << c.addRelu << " bn_add_relu, "
            << c.addReluGrad << " bn_add_relu_grad; " << ya->size()
            << " results, max rel diff " << worst << "\n";
}

INSTANTIATE_TEST_SUITE_P(Forms, FuseConvStats, ::testing::Values('a', 'b', 'c'),
                         [](const ::testing::TestParamInfo<char> &i) {
                           return std::string("form_") + i.param;
                         });
