//===- LoadModel.cpp - turn a MODEL argument into an nn module -------------===//
#include "tools/cardinal/LoadModel.h"
#include "tools/cardinal/ModelGenerator.h"

#include "ir/NNDialect.h"
#include "models/Zoo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace cardinal {

func::FuncOp modelFunction(ModuleOp module) {
  for (auto f : module.getOps<func::FuncOp>())
    return f;
  return {};
}

int usageError(const std::string &message) {
  llvm::errs() << "error: " << message << "\n"
               << "run 'cardinal help' for usage\n";
  return kUsage;
}

void loadCardinalDialects(MLIRContext &context) {
  context.loadDialect<nn::NNDialect, func::FuncDialect, arith::ArithDialect>();
}

// Parses and verifies; diagnostics print as `name:line:col: error: ...`.
static int parseModule(std::unique_ptr<llvm::MemoryBuffer> buffer,
                       MLIRContext &context, OwningOpRef<ModuleOp> &module) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context, llvm::errs());
  module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  return module ? kOk : kBadInput;
}

static bool endsWithAny(llvm::StringRef s, std::initializer_list<const char *> suffixes) {
  for (const char *suffix : suffixes)
    if (s.ends_with(suffix))
      return true;
  return false;
}

int loadModel(const std::string &model, const dsl::ModelOptions &options,
              const char *argv0, MLIRContext &context,
              OwningOpRef<ModuleOp> &module) {
  loadCardinalDialects(context);
  llvm::StringRef spec(model);

  if (spec.ends_with(".mlir")) {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(model);
    if (!buffer) {
      llvm::errs() << "error: cannot read '" << model
                   << "': " << buffer.getError().message() << "\n";
      return kBadInput;
    }
    return parseModule(std::move(*buffer), context, module);
  }

  if (endsWithAny(spec, {".cpp", ".cc", ".cxx", ".C"})) {
    std::string text;
    if (!runModelGenerator(model, options, argv0, text))
      return kBadInput;
    return parseModule(
        llvm::MemoryBuffer::getMemBufferCopy(text, model + " (generated)"),
        context, module);
  }

  const models::ZooEntry *entry = models::findModel(model);
  if (!entry) {
    llvm::errs() << "error: unknown model '" << model
                 << "'; built-in models are:\n";
    for (const models::ZooEntry &e : models::zoo())
      llvm::errs() << "  " << e.name << "  -  " << e.description << "\n";
    llvm::errs() << "(or give a model file: model.cpp, model.mlir)\n";
    return kUsage;
  }
  std::string text;
  try {
    dsl::Graph graph(entry->name);
    entry->build(graph, options);
    text = graph.toMLIR();
  } catch (const dsl::ModelError &e) {
    llvm::errs() << "error: " << e.what() << "\n";
    return kBadInput;
  }
  return parseModule(
      llvm::MemoryBuffer::getMemBufferCopy(text, entry->name + ".mlir"),
      context, module);
}

} // namespace cardinal
