//===- FusionTestUtil.h - pipelines and helpers of the fusion tests --------===//
#ifndef CARDINAL_TESTS_FUSION_FUSIONTESTUTIL_H
#define CARDINAL_TESTS_FUSION_FUSIONTESTUTIL_H

#include "passes/Passes.h"
#include "passes/fusion/FusionPasses.h"
#include "passes/training/TrainingPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <gtest/gtest.h>

#include <string>

namespace cardinal::testing {

/// The model's function (zoo models hold one).
inline mlir::func::FuncOp fn(mlir::ModuleOp m) {
  return *m.getOps<mlir::func::FuncOp>().begin();
}

/// Runs a textual pass pipeline (forms, training and fusion passes
/// registered once); a parse or pass failure fails the test.
inline void runPipeline(mlir::ModuleOp m, const std::string &pipeline) {
  static bool registered = [] {
    registerNNPasses();
    registerNNTrainingPasses();
    registerNNFusionPasses();
    return true;
  }();
  (void)registered;
  mlir::PassManager pm(m.getContext());
  std::string error;
  llvm::raw_string_ostream es(error);
  ASSERT_TRUE(mlir::succeeded(mlir::parsePassPipeline(pipeline, pm, es)))
      << es.str();
  ASSERT_TRUE(mlir::succeeded(pm.run(m))) << pipeline;
}

} // namespace cardinal::testing

#endif
