//===- FoldBnProofTest.cpp - --nn-fold-bn proved exactly ------------------===//
//
// The inference graph (form c) before and after --nn-fold-bn, compared by
// proof::checkGraphs: exact over GF(2^61-1) with BN's 1/sqrt and ReLU as the
// same keyed channel functions on both sides (nn.conv2d_bn_act evaluates as
// the composition of the ops it replaced), plus a float64 comparison of the
// two graphs through the interpreter. Deliberately wrong fusions (the
// residual dropped, the ReLU dropped, eps changed) must be rejected with a
// counterexample.
//
//===----------------------------------------------------------------------===//
#include "TestModule.h"
#include "tests/fusion/FusionTestUtil.h"

#include "interp/Interpreter.h"
#include "ir/NNFusedOps.h"
#include "passes/Passes.h"
#include "passes/fusion/FusionPasses.h"
#include "proof/EquivCheck.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <cmath>
#include <functional>
#include <iostream>

using namespace cardinal;
using cardinal::testing::buildZooModel;
using cardinal::testing::fn;
using cardinal::testing::runPipeline;
using cardinal::testing::ParsedModel;

namespace {

struct Pair {
  ParsedModel model;
  mlir::OwningOpRef<mlir::ModuleOp> unfused, fused;
  int fusedOps = 0, withResidual = 0, withRelu = 0;
};

Pair lowerAndFuse(const std::string &name) {
  Pair p;
  p.model = buildZooModel(name);
  EXPECT_TRUE(p.model) << name;
  p.unfused = p.model.module->clone();
  runPipeline(*p.unfused, "nn-lower-aggregate{form=c}");
  p.fused = p.unfused->clone();
  runPipeline(*p.fused, "nn-fold-bn");
  p.fused->walk([&](nn::Conv2dBnActOp op) {
    ++p.fusedOps;
    p.withResidual += op.getResidual() ? 1 : 0;
    p.withRelu += op.getRelu() ? 1 : 0;
  });
  int bns = 0, relus = 0, adds = 0;
  p.fused->walk([&](mlir::Operation *op) {
    bns += llvm::isa<nn::BatchNormOp>(op);
    relus += llvm::isa<nn::ReluOp>(op);
    adds += llvm::isa<nn::AddOp>(op);
  });
  EXPECT_EQ(bns, 0) << name << ": every eval BN follows a conv and folds";
  EXPECT_EQ(adds, 0) << name << ": every residual add folds";
  EXPECT_EQ(relus, 0) << name << ": every ReLU folds";
  return p;
}

double float64MaxRel(mlir::func::FuncOp a, mlir::func::FuncOp b) {
  auto params = interp::randomParams<double>(a, 3);
  auto inputs = interp::randomInputs<double>(a, 4);
  auto ya = interp::evaluate<double>(a, params, inputs);
  auto yb = interp::evaluate<double>(b, params, inputs);
  if (mlir::failed(ya) || mlir::failed(yb))
    return INFINITY;
  double maxDiff = 0, maxRef = 0;
  for (size_t i = 0; i < ya->size(); ++i)
    for (size_t j = 0; j < (*ya)[i].data.size(); ++j) {
      maxDiff = std::max(maxDiff,
                         std::fabs((*ya)[i].data[j] - (*yb)[i].data[j]));
      maxRef = std::max(maxRef, std::fabs((*ya)[i].data[j]));
    }
  return maxDiff / std::max(maxRef, 1e-300);
}

void expectEquivalent(const std::string &name, int minFused) {
  Pair p = lowerAndFuse(name);
  EXPECT_GE(p.fusedOps, minFused) << name;
  EXPECT_GT(p.withResidual, 0) << name;
  proof::ExactVerdict v = proof::checkGraphs(fn(*p.unfused), fn(*p.fused));
  ASSERT_TRUE(v.ran) << v.detail;
  EXPECT_TRUE(v.equivalent) << v.detail;
  EXPECT_GT(v.degree, 0u);
  EXPECT_LT(v.errorBound, 1e-6);
  double rel = float64MaxRel(fn(*p.unfused), fn(*p.fused));
  EXPECT_LT(rel, 1e-12) << name;
  std::cout << "[fold-bn] " << name << ": " << p.fusedOps
            << " nn.conv2d_bn_act (" << p.withResidual << " with residual, "
            << p.withRelu << " with relu); exact GF(2^61-1): equivalent, "
            << "degree " << v.degree << ", P(miss) <= " << v.errorBound
            << "; float64 max rel diff " << rel << "\n";
  ::testing::Test::RecordProperty(name + "_p_miss", std::to_string(v.errorBound));
}

// Applies `edit` to the first fused op that `pick` accepts and expects the
// checker to reject the result with a counterexample.
void expectRejected(const std::string &name,
                    const std::function<bool(nn::Conv2dBnActOp)> &pick,
                    const std::function<void(nn::Conv2dBnActOp)> &edit) {
  Pair p = lowerAndFuse(name);
  nn::Conv2dBnActOp target;
  p.fused->walk([&](nn::Conv2dBnActOp op) {
    if (!target && pick(op))
      target = op;
  });
  ASSERT_TRUE(target) << name;
  edit(target);
  proof::ExactVerdict v = proof::checkGraphs(fn(*p.unfused), fn(*p.fused));
  ASSERT_TRUE(v.ran) << v.detail;
  EXPECT_FALSE(v.equivalent);
  EXPECT_NE(v.detail.find("first differing value"), std::string::npos)
      << v.detail;
  std::cout << "[fold-bn] wrong fusion rejected: " << v.detail << "\n";
}

} // namespace

TEST(FoldBnProof, ResNeXtSmallIsExactlyEquivalent) {
  expectEquivalent("resnext_small", 10);
}

TEST(FoldBnProof, ResNeXtBlockIsExactlyEquivalent) {
  expectEquivalent("resnext_block", 3);
}

TEST(FoldBnProof, DroppedResidualIsRejected) {
  expectRejected(
      "resnext_block", [](nn::Conv2dBnActOp op) { return !!op.getResidual(); },
      [](nn::Conv2dBnActOp op) { op.getResidualMutable().clear(); });
}

TEST(FoldBnProof, DroppedReluIsRejected) {
  expectRejected(
      "resnext_small", [](nn::Conv2dBnActOp op) { return op.getRelu(); },
      [](nn::Conv2dBnActOp op) { op.setRelu(false); });
}

TEST(FoldBnProof, ReluBeforeResidualIsRejected) {
  // A fusion that applied ReLU before the residual add: modelled as the fused
  // op (relu, no residual) followed by a separate add.
  expectRejected(
      "resnext_block",
      [](nn::Conv2dBnActOp op) { return op.getResidual() && op.getRelu(); },
      [](nn::Conv2dBnActOp op) {
        mlir::OpBuilder b(op->getContext());
        b.setInsertionPointAfter(op);
        mlir::Value residual = op.getResidual();
        op.getResidualMutable().clear();
        auto add = b.create<nn::AddOp>(op.getLoc(), op.getResult(), residual);
        op.getResult().replaceAllUsesExcept(add.getResult(), add);
      });
}

TEST(FoldBnProof, ChangedEpsIsRejected) {
  expectRejected(
      "resnext_small", [](nn::Conv2dBnActOp) { return true; },
      [](nn::Conv2dBnActOp op) {
        op.setEpsAttr(mlir::FloatAttr::get(
            mlir::Float64Type::get(op->getContext()), 1e-3));
      });
}
