//===- cardinal-opt.cpp - mlir-opt for the nn dialect ----------------------===//
//
// Registers only what Cardinal uses (nn, func, arith) and every Cardinal
// pass; the InitAll headers would cost ~45 s and 3 GB per build.
//
//===----------------------------------------------------------------------===//
#include "ir/NNDialect.h"
#include "passes/Passes.h"
#include "passes/fusion/FusionPasses.h"
#include "passes/training/TrainingPasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<cardinal::nn::NNDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect>();
  cardinal::registerNNPasses();
  cardinal::registerNNTrainingPasses();
  cardinal::registerNNFusionPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Cardinal optimizer driver (nn dialect)\n", registry));
}
