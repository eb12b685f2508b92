//===- EquivCommand.cpp - `cardinal equiv` ---------------------------------===//
#include "tools/cardinal/EquivCommand.h"
#include "tools/cardinal/AtomicFile.h"
#include "tools/cardinal/LoadModel.h"

#include "passes/FormRecognition.h"
#include "passes/ParamMap.h"
#include "interp/ParamSpecs.h"
#include "proof/Equiv.h"
#include "codegen/KernelPlan.h"
#include "passes/training/TrainingPasses.h"
#include "tools/cardinal/PlanExecutor.h"

#include "mlir/Pass/PassManager.h"

#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <set>

using namespace mlir;

namespace cardinal {

namespace {

// "image: tensor<...>, labels: ..." -> (...) for error messages.
std::string signature(func::FuncOp f) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "inputs (";
  bool first = true;
  f.walk([&](nn::InputOp in) {
    os << (first ? "" : ", ") << in.getName() << ": " << in.getType();
    first = false;
  });
  os << ") -> " << f.getFunctionType();
  return os.str();
}

int compareGraphs(const Args &args, const char *argv0, MLIRContext &context) {
  OwningOpRef<ModuleOp> a, b;
  if (int rc = loadModel(args.model, args.options, argv0, context, a))
    return rc;
  if (int rc = loadModel(args.second, args.options, argv0, context, b))
    return rc;
  func::FuncOp fa = modelFunction(*a), fb = modelFunction(*b);
  if (!fa || !fb)
    return usageError("both files need a function");
  if (signature(fa) != signature(fb)) {
    llvm::errs() << "error: the graphs have different signatures:\n  "
                 << args.model << ": " << signature(fa) << "\n  "
                 << args.second << ": " << signature(fb) << "\n";
    return kUsage;
  }
  // A conversion records how its output's parameters come from its input's;
  // use that map when it reads exactly the first graph's parameters.
  std::set<std::string> namesA, namesB;
  for (const auto &s : interp::paramSpecs(fa))
    namesA.insert(s.name);
  for (const auto &s : interp::paramSpecs(fb))
    namesB.insert(s.name);
  std::optional<ParamMap> map;
  auto recorded = getModuleParamMap(*b);
  if (succeeded(recorded) && *recorded) {
    bool readsA = true;
    for (const ParamMapEntry &e : (*recorded)->entries)
      for (const Piece &p : e.pieces)
        readsA &= namesA.count(p.source) > 0;
    if (readsA)
      map = **recorded;
  }
  if (!map && namesA != namesB) {
    int onlyA = 0, onlyB = 0;
    for (const std::string &n : namesA)
      onlyA += !namesB.count(n);
    for (const std::string &n : namesB)
      onlyB += !namesA.count(n);
    llvm::outs() << "note: the graphs read different parameters (" << onlyA
                 << " only in the first, " << onlyB
                 << " only in the second) and no recorded nn.param_map relates "
                    "them; those get independent values\n";
  }
  proof::CheckOptions options;
  proof::ExactVerdict v =
      proof::checkGraphs(fa, fb, map ? &*map : nullptr, options);
  std::string how = map ? "parameters of the second made from the first's by "
                          "its recorded nn.param_map"
                        : "parameters matched by name";
  if (!v.ran) {
    llvm::errs() << "error: could not evaluate the graphs: " << v.detail << "\n";
    return kBadInput;
  }
  if (v.equivalent) {
    llvm::outs() << fmt::format("equivalent: equal over GF(2^61-1) at a random "
                                "point ({}); P(miss) <= {:.1e} (degree {})\n",
                                how, v.errorBound, v.degree);
    return kOk;
  }
  llvm::outs() << "NOT equivalent (" << how << ")\n  counterexample: "
               << v.detail << "\n";
  return kBadInput;
}

int checkCertificateFile(const Args &args, ModuleOp module) {
  auto buffer = llvm::MemoryBuffer::getFile(args.certificate);
  if (!buffer) {
    llvm::errs() << "error: cannot read '" << args.certificate
                 << "': " << buffer.getError().message() << "\n";
    return kBadInput;
  }
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    llvm::errs() << "error: " << args.certificate
                 << ": not JSON: " << llvm::toString(json.takeError()) << "\n";
    return kBadInput;
  }
  std::string error;
  int steps = 0;
  if (!proof::checkCertificateJson(module, *json, error, steps)) {
    llvm::errs() << "error: " << args.certificate << ": certificate rejected: "
                 << error << "\n";
    return kBadInput;
  }
  llvm::outs() << "certificate " << args.certificate << " checked: " << steps
               << " rewrite steps replayed, every proof ends in its target "
                  "form\n";
  return kOk;
}

// Times the forward of every available form of every block on the CPU
// kernels (memory-planned, BN with running statistics), median of 5.
void timeForms(std::vector<proof::BlockReport> &blocks) {
  for (proof::BlockReport &r : blocks)
    for (int f = 0; f < 3; ++f) {
      if (!r.forms.forms[f])
        continue;
      OwningOpRef<ModuleOp> m = r.forms.forms[f]->clone();
      PassManager pm(m->getContext());
      pm.addPass(createMemoryPlan());
      if (failed(pm.run(*m)))
        continue;
      auto plan = codegen::buildKernelPlan(proof::blockFunction(*m));
      if (failed(plan))
        continue;
      PlanExecutor executor(*plan);
      std::string error;
      double s = executor.time(5, error);
      if (!error.empty())
        llvm::errs() << "note: " << r.forms.info.name << " form ("
                     << proof::formLetter(f) << ") not timed: " << error
                     << "\n";
      r.seconds[f] = s;
    }
}

int writeDots(const std::string &dir,
              const std::vector<proof::BlockReport> &blocks) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    llvm::errs() << "error: cannot create '" << dir << "': " << ec.message()
                 << "\n";
    return kBadInput;
  }
  auto dot = llvm::sys::findProgramByName("dot");
  for (const proof::BlockReport &r : blocks)
    for (int f = 0; f < 3; ++f) {
      if (!r.forms.forms[f])
        continue;
      std::string base = dir + "/" + r.forms.info.name + "." +
                         proof::formLetter(f);
      std::string title = r.forms.info.name + " form (" +
                          proof::formLetter(f) + ")";
      std::string error;
      if (!writeFileAtomically(base + ".dot",
                               proof::formDot(proof::blockFunction(*r.forms.forms[f]),
                                              title),
                               error)) {
        llvm::errs() << "error: " << error << "\n";
        return kBadInput;
      }
      if (dot) {
        std::string in = base + ".dot", out = base + ".svg";
        llvm::StringRef argv[] = {*dot, "-Tsvg", in, "-o", out};
        llvm::sys::ExecuteAndWait(*dot, argv);
      }
    }
  return kOk;
}

} // namespace

int commandEquiv(const Args &args, const char *argv0) {
  if (args.model.empty())
    return usageError("equiv needs a MODEL (or two .mlir files)");
  MLIRContext context;
  if (!args.second.empty())
    return compareGraphs(args, argv0, context);

  OwningOpRef<ModuleOp> module;
  if (int rc = loadModel(args.model, args.options, argv0, context, module))
    return rc;
  if (!args.certificate.empty())
    return checkCertificateFile(args, *module);

  // Blocks written by hand in a concrete form are raised to aggregates first.
  if (proof::findBlocks(*module).empty())
    (void)raiseForms(*module);

  proof::EquivOptions options;
  options.onlyBlock = args.block;
  options.runChecks = !args.noCheck;
  std::vector<proof::BlockReport> blocks = proof::proveModel(*module, options);
  if (blocks.empty()) {
    if (!args.block.empty()) {
      llvm::errs() << "error: no block named '" << args.block
                   << "'; blocks are:";
      for (nn::AggregateOp agg : proof::findBlocks(*module))
        llvm::errs() << " " << proof::blockName(agg);
      llvm::errs() << "\n";
      return kUsage;
    }
    llvm::errs() << "error: '" << args.model
                 << "' has no nn.aggregate blocks to prove (blocks written in "
                    "a concrete form can be raised with cardinal-opt "
                    "--nn-convert-form)\n";
    return kBadInput;
  }
  if (args.timeForms)
    timeForms(blocks);
  std::string name = modelFunction(*module).getName().str();
  std::string text;
  if (args.json) {
    llvm::raw_string_ostream os(text);
    os << llvm::formatv("{0:2}", proof::reportJson(name, blocks)) << "\n";
  } else {
    text = proof::formatReport(name, blocks);
  }
  std::string error;
  if (!writeFileAtomically(args.output, text, error)) {
    llvm::errs() << "error: " << error << "\n";
    return kBadInput;
  }
  if (!args.dotDir.empty())
    if (int rc = writeDots(args.dotDir, blocks))
      return rc;
  bool ok = true;
  for (const proof::BlockReport &r : blocks) {
    ok &= r.proved();
    if (options.runChecks)
      ok &= (!r.check.exactEval.ran || r.check.exactEval.equivalent) &&
            (!r.check.exactTrain.ran || r.check.exactTrain.equivalent);
  }
  return ok ? kOk : kBadInput;
}

} // namespace cardinal
