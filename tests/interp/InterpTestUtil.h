//===- InterpTestUtil.h - modules, diagnostics and diffs for interp tests -===//
#ifndef CARDINAL_TESTS_INTERP_INTERPTESTUTIL_H
#define CARDINAL_TESTS_INTERP_INTERPTESTUTIL_H

#include "frontend/DSL.h"
#include "interp/HostTensor.h"
#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>

namespace cardinal::testing {

/// A parsed nn module with the context that owns it.
struct Module {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string text;

  explicit operator bool() const { return static_cast<bool>(module); }
  /// The module's (first) function.
  mlir::func::FuncOp func() const {
    mlir::ModuleOp m = module.get();
    return *m.getOps<mlir::func::FuncOp>().begin();
  }
};

/// Parses nn-dialect text into a fresh context (nn + func; unregistered ops
/// allowed so tests can feed the interpreter ops it does not know).
inline Module parseModule(const std::string &text) {
  Module m;
  m.context = std::make_unique<mlir::MLIRContext>();
  m.context->loadDialect<cardinal::nn::NNDialect, mlir::func::FuncDialect>();
  m.context->allowUnregisteredDialects();
  m.text = text;
  m.module = mlir::parseSourceString<mlir::ModuleOp>(text, m.context.get());
  return m;
}

/// Builds a DSL graph with `build` (which must call g.output) and parses it.
inline Module buildModule(const std::string &name,
                          const std::function<void(dsl::Graph &)> &build) {
  dsl::Graph g(name);
  build(g);
  return parseModule(g.toMLIR());
}

/// Collects the diagnostics emitted while it lives.
class DiagnosticCapture {
public:
  explicit DiagnosticCapture(mlir::MLIRContext *ctx)
      : handler_(ctx, [this](mlir::Diagnostic &d) {
          text_ += d.str() + "\n";
          return mlir::success();
        }) {}
  const std::string &text() const { return text_; }

private:
  std::string text_;
  mlir::ScopedDiagnosticHandler handler_;
};

/// max |a - b| over two same-shaped float/double tensors (inf if shapes differ).
template <typename T, typename U>
double maxAbsDiff(const HostTensor<T> &a, const HostTensor<U> &b) {
  if (a.shape != b.shape)
    return INFINITY;
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    m = std::max(m, std::fabs(double(a.data[i]) - double(b.data[i])));
  return m;
}

} // namespace cardinal::testing

#define EXPECT_CONTAINS(haystack, needle)                                      \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)            \
      << "'" << (haystack) << "' does not contain '" << (needle) << "'"

#endif // CARDINAL_TESTS_INTERP_INTERPTESTUTIL_H
