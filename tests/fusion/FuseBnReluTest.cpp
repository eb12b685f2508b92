//===- FuseBnReluTest.cpp - --nn-fuse-conv-bn-relu proved and evaluated ---===//
//
// The training fusion on resnext_small (form c):
//  (a) the forward of the training graph (every BN in training mode) before
//      and after the pass, compared exactly over GF(2^61-1) by
//      proof::checkGraphs (nn.bn_train_relu evaluates as training BN with its
//      keyed 1/sqrt followed by the keyed ReLU); a wrong fusion (eps changed)
//      is rejected;
//  (b) the full training graph (loss, logits and every gradient) before and
//      after the pass, evaluated in double by the interpreter: ≤ 1e-10
//      relative.
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
  int fwd = 0, bwd = 0, bns = 0, relus = 0, reluGrads = 0, bnGrads = 0;
};

Counts count(mlir::ModuleOp m) {
  Counts c;
  m.walk([&](mlir::Operation *op) {
    // Fused BNs: BN+ReLU alone, or at conv level (statistics epilogue).
    c.fwd += llvm::isa<nn::BnTrainReluOp, nn::Conv2dStatsOp,
                       nn::BnReluConv2dStatsOp>(op);
    // (A BN whose reductions moved into its dy's conv counts once, by its
    // nn.bn_relu_apply_grad_input.)
    c.bwd += llvm::isa<nn::BnReluGradOp, nn::BnReluApplyGradOp,
                       nn::BnAddReluGradOp, nn::BnReluApplyGradInputOp>(op);
    c.bns += llvm::isa<nn::BatchNormOp>(op);
    c.relus += llvm::isa<nn::ReluOp>(op);
    c.reluGrads += llvm::isa<nn::ReluGradOp>(op);
    c.bnGrads += llvm::isa<nn::BatchNormGradOp>(op);
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

} // namespace

TEST(FuseBnReluProof, TrainingForwardIsExactlyEquivalent) {
  auto model = buildZooModel("resnext_small", smallOptions());
  ASSERT_TRUE(model);
  mlir::OwningOpRef<mlir::ModuleOp> unfused = model.module->clone();
  runPipeline(*unfused, "nn-lower-aggregate{form=c}");
  unfused->walk([](nn::BatchNormOp bn) { bn.setTraining(true); });
  mlir::OwningOpRef<mlir::ModuleOp> fused = unfused->clone();
  runPipeline(*fused, "nn-fuse-conv-bn-relu");
  Counts c = count(*fused);
  EXPECT_GE(c.fwd, 6);
  EXPECT_EQ(c.bwd, 0);
  // Training BN's batch statistics make the degree bound large (~2^45), so
  // one draw bounds P(miss) by ~1e-5 only: three independent draws (seeds)
  // multiply the bounds.
  double pMiss = 1;
  uint64_t degree = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    proof::CheckOptions o;
    o.seed = seed;
    proof::ExactVerdict v = proof::checkGraphs(fn(*unfused), fn(*fused),
                                               nullptr, o);
    ASSERT_TRUE(v.ran) << v.detail;
    EXPECT_TRUE(v.equivalent) << v.detail;
    EXPECT_LT(v.errorBound, 1e-3);
    pMiss *= v.errorBound;
    degree = v.degree;
  }
  EXPECT_LT(pMiss, 1e-12);
  std::cout << "[fuse-conv-bn-relu] resnext_small training forward: " << c.fwd
            << " nn.bn_train_relu; exact GF(2^61-1): equivalent on 3 draws, "
            << "degree " << degree << ", P(miss) <= " << pMiss << "\n";

  // A wrong fusion (eps changed on one fused op) is rejected.
  mlir::Operation *first = nullptr;
  fused->walk([&](mlir::Operation *op) {
    if (!first && llvm::isa<nn::BnTrainReluOp, nn::Conv2dStatsOp,
                            nn::BnReluConv2dStatsOp>(op))
      first = op;
  });
  ASSERT_TRUE(first);
  first->setAttr("eps", mlir::FloatAttr::get(
                            mlir::Float64Type::get(first->getContext()), 1e-3));
  proof::ExactVerdict bad = proof::checkGraphs(fn(*unfused), fn(*fused));
  ASSERT_TRUE(bad.ran) << bad.detail;
  EXPECT_FALSE(bad.equivalent);
}

TEST(FuseBnReluProof, TrainingGraphGradientsMatchInDouble) {
  auto model = buildZooModel("resnext_small", smallOptions());
  ASSERT_TRUE(model);
  mlir::OwningOpRef<mlir::ModuleOp> unfused = model.module->clone();
  runPipeline(*unfused, "nn-lower-aggregate{form=c},nn-attach-loss,nn-autodiff");
  mlir::OwningOpRef<mlir::ModuleOp> fused = unfused->clone();
  runPipeline(*fused, "nn-fuse-conv-bn-relu");
  Counts u = count(*unfused), c = count(*fused);
  EXPECT_GE(c.fwd, 6);
  EXPECT_EQ(c.fwd, c.bwd) << "every fused forward has its fused backward";
  EXPECT_EQ(c.bns + c.fwd, u.bns);
  EXPECT_EQ(c.bnGrads + c.bwd, u.bnGrads);
  EXPECT_EQ(c.relus + c.fwd, u.relus);
  EXPECT_EQ(c.reluGrads + c.bwd, u.reluGrads);

  auto params = interp::randomParams<double>(fn(*unfused), 11);
  auto inputs = interp::randomInputs<double>(fn(*unfused), 12);
  auto ya = interp::evaluate<double>(fn(*unfused), params, inputs);
  auto yb = interp::evaluate<double>(fn(*fused), params, inputs);
  ASSERT_TRUE(mlir::succeeded(ya) && mlir::succeeded(yb));
  ASSERT_EQ(ya->size(), yb->size());
  ASSERT_GE(ya->size(), 3u); // loss, logits, gradients
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
  std::cout << "[fuse-conv-bn-relu] resnext_small training graph: " << c.fwd
            << " bn_train_relu + " << c.bwd << " bn_relu_grad; "
            << ya->size() << " results (loss, logits, grads), max rel diff "
            << worst << "\n";
}
