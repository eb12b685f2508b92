//===- TestModule.h - zoo/DSL models as parsed nn modules, for unit tests -===//
#ifndef CARDINAL_TESTS_UNIT_TESTMODULE_H
#define CARDINAL_TESTS_UNIT_TESTMODULE_H

#include "frontend/DSL.h"
#include "ir/NNDialect.h"
#include "models/Zoo.h"
#include "passes/ModelStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

namespace cardinal::testing {

/// A module parsed from a DSL graph's text, with the context that owns it.
struct ParsedModel {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string text;
  explicit operator bool() const { return static_cast<bool>(module); }
};

/// Parses nn-dialect text into a fresh context (nn + func loaded).
inline ParsedModel parseModule(const std::string &text) {
  ParsedModel p;
  p.context = std::make_unique<mlir::MLIRContext>();
  p.context->loadDialect<cardinal::nn::NNDialect, mlir::func::FuncDialect>();
  p.text = text;
  p.module = mlir::parseSourceString<mlir::ModuleOp>(text, p.context.get());
  return p;
}

/// Builds a graph with `build` and parses what toMLIR() prints.
inline ParsedModel buildModule(
    const std::string &name,
    const std::function<void(dsl::Graph &)> &build) {
  dsl::Graph g(name);
  build(g);
  return parseModule(g.toMLIR());
}

/// Builds the zoo model `name` with `options` and parses it.
inline ParsedModel buildZooModel(const std::string &name,
                                 const dsl::ModelOptions &options = {}) {
  const models::ZooEntry *entry = models::findModel(name);
  if (!entry)
    throw std::runtime_error("no zoo model '" + name + "'");
  return buildModule(name,
                     [&](dsl::Graph &g) { entry->build(g, options); });
}

/// computeModelStats on a parsed module; fails the test if it fails.
inline ModelStats statsOf(const ParsedModel &p) {
  EXPECT_TRUE(p.module) << "module did not parse";
  if (!p.module)
    return {};
  mlir::FailureOr<ModelStats> s = computeModelStats(*p.module);
  EXPECT_TRUE(mlir::succeeded(s)) << "computeModelStats failed";
  return mlir::succeeded(s) ? *s : ModelStats{};
}

} // namespace cardinal::testing

#endif // CARDINAL_TESTS_UNIT_TESTMODULE_H
