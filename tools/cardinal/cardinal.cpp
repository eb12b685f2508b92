//===- cardinal.cpp - the user-facing driver -------------------------------===//
//
//   cardinal build MODEL --emit=mlir [-o FILE]
//   cardinal stats MODEL [--json]
//   cardinal models
//
// Exit codes: 0 success, 1 bad input (a model or .mlir that fails to
// compile, parse or verify), 2 usage errors (unknown command, flag or model).
//
//===----------------------------------------------------------------------===//
#include "tools/cardinal/Args.h"
#include "tools/cardinal/AtomicFile.h"
#include "tools/cardinal/BuildCommand.h"
#include "tools/cardinal/EquivCommand.h"
#include "tools/cardinal/LoadModel.h"

#include "models/Zoo.h"
#include "passes/ModelStats.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace cardinal;

namespace {

const char *kUsageText = R"(usage: cardinal <command> [options]

commands:
  build MODEL [-o trainer]            compile MODEL to a trainer binary
        [--target cpu|cuda] [--batch N] [--lr X] [--momentum X] [--wd X]
        [--no-bn-decay] [--no-fuse] [--emit=mlir|train-mlir|plan|cpp|cu]
                                      (--emit stops at a stage and prints it)
        --target cuda [--precision fp32|bf16] [--cudnn-only]
                                      a CUDA trainer (.cu, nvcc for sm_80 and
                                      sm_90); --cudnn-only: every conv via
                                      cuDNN (the baseline plan)
  stats MODEL [--json]                parameters and multiply-adds per stage
                                      (the paper's Table 1) and totals
  equiv MODEL [--block NAME] [--json] [--dot DIR] [--no-check] [--time]
                                      forms (a), (b), (c) of every block: counts,
                                      a rewrite certificate, exact GF(2^61-1)
                                      and float checks
  equiv MODEL --check-certificate FILE
                                      replay a certificate (equiv --json output)
  equiv A.mlir B.mlir                 are two graphs the same function?
                                      (exit 0 yes, 1 no, with a counterexample)
  models                              list the built-in models
  help                                print this text

MODEL is a built-in model name (see `cardinal models`; also `--model NAME`),
a model file written with the C++ DSL (model.cpp), or an nn-dialect module
(model.mlir).

model options (built-in models and model files):
  --batch N      batch size of the graph's input (default 1)
  --image S      input height and width (default: the model's)
  --channels C   input channels (default 3)
  --classes K    number of classes (default: the model's)

exit codes: 0 success, 1 bad input, 2 usage error
)";



bool parseInt(const std::string &text, int64_t min, int64_t &out) {
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < min)
    return false;
  out = v;
  return true;
}

// Returns kOk or a usage error code.
int parseArgs(int argc, char **argv, Args &args) {
  std::vector<std::string> rest(argv + 2, argv + argc);
  args.command = argv[1];
  for (size_t i = 0; i < rest.size(); ++i) {
    std::string a = rest[i], value;
    bool hasInline = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      hasInline = true;
    }
    auto next = [&](std::string &out) {
      if (hasInline) {
        out = value;
        return true;
      }
      if (i + 1 >= rest.size())
        return false;
      out = rest[++i];
      return true;
    };
    auto nextInt = [&](int64_t min, int64_t &out) {
      std::string v;
      return next(v) && parseInt(v, min, out);
    };
    if (a == "--json" && !hasInline) {
      args.json = true;
    } else if (a == "--emit") {
      if (!next(args.emit))
        return usageError("--emit needs a value (mlir)");
    } else if (a == "-o" || a == "--output") {
      if (!next(args.output))
        return usageError(a + " needs a file name");
      args.outputGiven = true;
    } else if (a == "--target") {
      if (!next(args.target))
        return usageError("--target needs cpu or cuda");
    } else if (a == "--precision") {
      if (!next(args.precision))
        return usageError("--precision needs fp32 or bf16");
    } else if (a == "--cudnn-only" && !hasInline) {
      args.cudnnOnly = true;
    } else if (a == "--momentum" || a == "--wd" || a == "--lr") {
      std::string v;
      char *end = nullptr;
      double x = next(v) ? std::strtod(v.c_str(), &end) : -1;
      if (v.empty() || *end || !(x >= 0))
        return usageError(a + " needs a non-negative number");
      (a == "--momentum" ? args.momentum : a == "--wd" ? args.weightDecay
                                                        : args.lr) = x;
    } else if (a == "--no-bn-decay" && !hasInline) {
      args.noBnDecay = true;
    } else if (a == "--no-fuse" && !hasInline) {
      args.noFuse = true;
    } else if (a == "--block") {
      if (!next(args.block))
        return usageError("--block needs a block name (e.g. stage2.block0)");
    } else if (a == "--dot") {
      if (!next(args.dotDir))
        return usageError("--dot needs a directory");
    } else if (a == "--check-certificate") {
      if (!next(args.certificate))
        return usageError("--check-certificate needs a file");
    } else if (a == "--no-check" && !hasInline) {
      args.noCheck = true;
    } else if (a == "--time" && !hasInline) {
      args.timeForms = true;
    } else if (a == "--model") {
      if (!next(args.model))
        return usageError("--model needs a name");
    } else if (a == "--batch") {
      if (!nextInt(1, args.options.batch))
        return usageError("--batch needs a positive integer");
    } else if (a == "--image") {
      if (!nextInt(1, args.options.image))
        return usageError("--image needs a positive integer");
    } else if (a == "--channels") {
      if (!nextInt(1, args.options.channels))
        return usageError("--channels needs a positive integer");
    } else if (a == "--classes") {
      if (!nextInt(1, args.options.classes))
        return usageError("--classes needs a positive integer");
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return usageError("unknown option '" + rest[i] + "' for '" +
                        args.command + "'");
    } else if (args.model.empty()) {
      args.model = a;
    } else if (args.second.empty() && args.command == "equiv") {
      args.second = a;
    } else {
      return usageError("unexpected argument '" + a + "'");
    }
  }
  return kOk;
}

int commandStats(const Args &args, const char *argv0) {
  if (args.model.empty())
    return usageError("stats needs a MODEL");
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (int rc = loadModel(args.model, args.options, argv0, context, module))
    return rc;
  auto stats = computeModelStats(*module);
  if (failed(stats))
    return kBadInput;
  std::string text = args.json ? formatStatsJson(*stats)
                               : formatStatsTable(*stats);
  std::string error;
  if (!writeFileAtomically(args.output, text, error)) {
    llvm::errs() << "error: " << error << "\n";
    return kBadInput;
  }
  return kOk;
}

int commandModels() {
  for (const models::ZooEntry &e : models::zoo())
    llvm::outs() << e.name << "  -  " << e.description << "\n";
  return kOk;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    llvm::errs() << kUsageText;
    return kUsage;
  }
  std::string command = argv[1];
  if (command == "help" || command == "--help" || command == "-h") {
    llvm::outs() << kUsageText;
    return kOk;
  }
  Args args;
  if (int rc = parseArgs(argc, argv, args))
    return rc;
  if (command == "build")
    return commandBuild(args, argv[0]);
  if (command == "stats")
    return commandStats(args, argv[0]);
  if (command == "models")
    return commandModels();
  if (command == "equiv")
    return commandEquiv(args, argv[0]);
  return usageError("unknown command '" + command + "'");
}
