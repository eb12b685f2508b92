//===- LoadModel.h - turn a MODEL argument into an nn module ---------------===//
#ifndef CARDINAL_TOOLS_LOADMODEL_H
#define CARDINAL_TOOLS_LOADMODEL_H

#include "frontend/DSL.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace cardinal {

/// Exit codes shared by every command.
enum ExitCode { kOk = 0, kBadInput = 1, kUsage = 2 };

/// Loads MODEL: a built-in name, a model file (.cpp/.cc/.cxx) compiled and
/// run as a generator, or an nn module (.mlir). Diagnostics go to stderr
/// (`file:line:col: error: ...`); returns kOk, kBadInput or kUsage (unknown
/// built-in name, after listing the known ones).
int loadModel(const std::string &model, const dsl::ModelOptions &options,
              const char *argv0, mlir::MLIRContext &context,
              mlir::OwningOpRef<mlir::ModuleOp> &module);

/// The model's function: the first func.func of the module (null if none).
mlir::func::FuncOp modelFunction(mlir::ModuleOp module);

/// Prints "error: MESSAGE" and the pointer to `cardinal help`; returns kUsage.
int usageError(const std::string &message);

/// Registers what a Cardinal module may contain.
void loadCardinalDialects(mlir::MLIRContext &context);

} // namespace cardinal

#endif
