//===- BuildCommand.cpp - `cardinal build` ---------------------------------===//
#include "tools/cardinal/BuildCommand.h"
#include "tools/cardinal/AtomicFile.h"
#include "tools/cardinal/CudaCompiler.h"
#include "tools/cardinal/LoadModel.h"
#include "tools/cardinal/ModelGenerator.h"
#include "tools/cardinal/HostCompiler.h"

#include "codegen/CppEmitter.h"
#include "codegen/CudaEmitter.h"
#include "codegen/KernelPlan.h"
#include "codegen/PlanTraffic.h"
#include "passes/FormRecognition.h"
#include "passes/Passes.h"
#include "passes/fusion/FusionPasses.h"
#include "passes/training/TrainingPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <iterator>

using namespace mlir;

namespace cardinal {

namespace {

int runPipeline(ModuleOp module, const std::string &pipeline) {
  PassManager pm(module.getContext());
  std::string error;
  llvm::raw_string_ostream es(error);
  if (failed(parsePassPipeline(pipeline, pm, es))) {
    llvm::errs() << "internal error: bad pipeline '" << pipeline
                 << "': " << es.str() << "\n";
    return kBadInput;
  }
  return succeeded(pm.run(module)) ? kOk : kBadInput;
}

int write(const std::string &path, const std::string &text) {
  std::string error;
  if (writeFileAtomically(path, text, error))
    return kOk;
  llvm::errs() << "error: " << error << "\n";
  return kBadInput;
}

std::string print(ModuleOp m) {
  std::string text;
  llvm::raw_string_ostream os(text);
  m.print(os);
  return os.str();
}

// Compiles the generated trainer against the runtime; on failure keeps the
// .cpp and says where it is.
int compileTrainer(const std::string &source, const std::string &output,
                   const char *argv0) {
  FrontendPaths paths = findFrontend(argv0);
  TempDir dir("cardinal-build");
  if (!dir.ok) {
    llvm::errs() << "error: cannot create a temporary directory\n";
    return kBadInput;
  }
  std::string cpp = (dir.path + "/trainer.cpp").str();
  if (int rc = write(cpp, source))
    return rc;
  std::string lib = paths.libraryDir;
  std::vector<std::string> args = {
      hostCompiler(), "-std=c++17", "-O2", "-fopenmp", "-I" + paths.includeDir,
      cpp, lib + "/libCardinalTrainerMain.a", lib + "/libCardinalTrainer.a",
      lib + "/libCardinalRuntimeComm.a",
      lib + "/libCardinalRuntimeData.a", lib + "/libCardinalRuntimeCheckpoint.a",
      lib + "/libCardinalRuntimeKernels.a", "-lopenblas", "-lz", "-ljpeg",
      "-lmpi", "-o", output};
  std::string error;
  if (runProgram(args, std::nullopt, error) != 0) {
    dir.keep = true;
    llvm::errs() << "error: compiling the generated trainer failed (a Cardinal "
                    "bug); the source is kept at "
                 << cpp << (error.empty() ? "" : ": " + error) << "\n";
    return kBadInput;
  }
  return kOk;
}

// The first kernel of the module's plan the CUDA emitter cannot print
// ("" if none, or if the plan cannot be built: that error comes later).
std::string unsupportedCudaKernel(ModuleOp m) {
  ScopedDiagnosticHandler quiet(m.getContext(),
                                [](Diagnostic &) { return success(); });
  auto plan = codegen::buildKernelPlan(modelFunction(m));
  if (failed(plan))
    return "";
  for (const codegen::KernelCall &c : plan->calls)
    if (!codegen::cudaEmitterSupports(c.kernel))
      return c.kernel;
  return "";
}

// nvcc on the generated .cu; on failure nvcc's messages are already on
// stderr, and the .cu is kept and named.
int compileCudaTrainerSource(const std::string &source,
                             const std::string &output, const char *argv0) {
  std::string nvcc = findNvcc();
  if (nvcc.empty()) {
    llvm::errs() << "error: --target cuda needs nvcc (the CUDA toolkit), which "
                    "was not found ($NVCC, /usr/local/cuda/bin, PATH); "
                    "--emit=cu writes the .cu without it, and --target cpu "
                    "builds a trainer that needs no GPU\n";
    return kBadInput;
  }
  FrontendPaths paths = findFrontend(argv0);
  for (const char *library : {"RuntimeCuda", "RuntimeNccl"})
    if (!llvm::sys::fs::exists(paths.libraryDir + "/libCardinal" + library +
                               ".a")) {
      llvm::errs() << "error: --target cuda needs " << paths.libraryDir
                   << "/libCardinal" << library
                   << ".a (the CUDA kernel library and NCCL data "
                      "parallelism), which was not built\n";
      return kBadInput;
    }
  TempDir dir("cardinal-build");
  if (!dir.ok) {
    llvm::errs() << "error: cannot create a temporary directory\n";
    return kBadInput;
  }
  std::string cu = (dir.path + "/trainer.cu").str();
  if (int rc = write(cu, source))
    return rc;
  std::string error;
  if (compileCudaTrainer(nvcc, cu, paths.includeDir, paths.libraryDir, output,
                         error) != 0) {
    dir.keep = true;
    llvm::errs() << "error: nvcc rejected the generated trainer (a Cardinal "
                    "bug; nvcc's messages are above); the source is kept at "
                 << cu << (error.empty() ? "" : ": " + error) << "\n";
    return kBadInput;
  }
  return kOk;
}

} // namespace

int commandBuild(const Args &args, const char *argv0) {
  if (args.model.empty())
    return usageError("build needs a MODEL");
  static const char *kStages[] = {"",     "mlir", "train-mlir",
                                  "plan", "cpp",  "cu"};
  if (!llvm::is_contained(kStages, args.emit))
    return usageError("unknown --emit stage '" + args.emit +
                 "' (available: mlir, train-mlir, plan, cpp, cu)");
  if (args.target != "cpu" && args.target != "cuda")
    return usageError("unknown --target '" + args.target +
                 "' (available: cpu, cuda)");
  // --emit=cu is the CUDA emitter's output, whatever --target says.
  const bool cuda = args.target == "cuda" || args.emit == "cu";
  if (cuda && args.emit == "cpp")
    return usageError("--emit=cpp is the CPU trainer; --target cuda emits "
                      "--emit=cu");
  if (args.precision != "fp32" && args.precision != "bf16")
    return usageError("unknown --precision '" + args.precision +
                      "' (available: fp32, bf16)");
  if (!cuda && (args.precision != "fp32" || args.cudnnOnly))
    return usageError(std::string(args.cudnnOnly ? "--cudnn-only"
                                                 : "--precision bf16") +
                      " is for --target cuda");
  registerNNPasses();
  registerNNTrainingPasses();
  registerNNFusionPasses();

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  if (int rc = loadModel(args.model, args.options, argv0, context, module))
    return rc;
  if (args.emit == "mlir")
    return write(args.output, print(*module));

  // Training step and inference, both from the same model.
  OwningOpRef<ModuleOp> train = module->clone(), predict = module->clone();
  std::string sgd = fmt::format("nn-sgd{{momentum={} weight-decay={} "
                                "no-bn-decay={}}}",
                                args.momentum, args.weightDecay,
                                args.noBnDecay ? "true" : "false");
  // Training fusion (BN-apply + ReLU, dReLU + dBN) unless --no-fuse.
  // `fusion` is the fusion pass with its options, or "" for none.
  auto trainPipeline = [&](const std::string &fusion) {
    return "nn-lower-aggregate{form=c},nn-attach-loss,nn-autodiff," + sgd +
           (fusion.empty() ? "" : "," + fusion) + ",nn-memory-plan";
  };
  // The CUDA pipeline keeps only fusions runtime/cuda has kernels for: while
  // the step calls a kernel it lacks, the step is rebuilt one fusion level
  // down (each level fuses less), with a note naming the missing kernel.
  struct FusionLevel {
    const char *pass, *note;
  };
  static const FusionLevel levels[] = {
      {"nn-fuse-conv-bn-relu", ""},
      {"nn-fuse-conv-bn-relu{grad-sums=false}",
       "the BN-grad reductions stay in the BN backward"},
      {"nn-fuse-conv-bn-relu{conv-level=false}",
       "conv-level training fusion is off; BN+ReLU fusion only"},
      {"", "training fusion is off"}};
  size_t level = args.noFuse ? std::size(levels) - 1 : 0;
  if (int rc = runPipeline(*train, trainPipeline(levels[level].pass)))
    return rc;
  while (cuda && level + 1 < std::size(levels)) {
    const std::string missing = unsupportedCudaKernel(*train);
    if (missing.empty())
      break;
    ++level;
    llvm::errs() << "note: --target cuda: " << levels[level].note
                 << " (no CUDA kernel for '" << missing << "')\n";
    train = module->clone();
    if (int rc = runPipeline(*train, trainPipeline(levels[level].pass)))
      return rc;
  }
  if (args.emit == "train-mlir")
    return write(args.output, print(*train));
  // Inference folds eval BN (+ residual add + ReLU) into the convs unless
  // --no-fuse.
  if (int rc = runPipeline(*predict, std::string("nn-lower-aggregate{form=c},") +
                                         (args.noFuse ? "" : "nn-fold-bn,") +
                                         "nn-memory-plan"))
    return rc;

  auto trainPlan = codegen::buildKernelPlan(modelFunction(*train));
  auto predictPlan = codegen::buildKernelPlan(modelFunction(*predict));
  if (failed(trainPlan) || failed(predictPlan))
    return kBadInput;
  if (args.emit == "plan")
    return write(args.output, codegen::printKernelPlan(*trainPlan) +
                                  codegen::printPlanTraffic(*trainPlan) + "\n" +
                                  codegen::printKernelPlan(*predictPlan) +
                                  codegen::printPlanTraffic(*predictPlan));

  codegen::TrainerSpec spec;
  spec.model = modelFunction(*module).getName().str();
  spec.momentum = args.momentum;
  spec.weightDecay = args.weightDecay;
  spec.lr = args.lr;
  // The trained tensors are form (c)'s; export converts them exactly.
  OwningOpRef<ModuleOp> formC = module->clone();
  if (runPipeline(*formC, "nn-lower-aggregate{form=c}") == kOk) {
    const Form forms[3] = {Form::A, Form::B, Form::C};
    for (int f = 0; f < 3; ++f) {
      OwningOpRef<ModuleOp> copy = formC->clone();
      ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
      auto map = convertForms(*copy, forms[f]);
      if (succeeded(map))
        spec.formMaps[f] = std::move(*map);
    }
  }
  std::string source;
  try {
    codegen::CudaOptions cudaOptions;
    cudaOptions.bf16 = args.precision == "bf16";
    cudaOptions.cudnnOnly = args.cudnnOnly;
    source = cuda ? codegen::emitCudaTrainer(*trainPlan, *predictPlan, spec,
                                             cudaOptions)
                  : codegen::emitCpuTrainer(*trainPlan, *predictPlan, spec);
  } catch (const std::exception &e) {
    llvm::errs() << "error: " << e.what() << "\n";
    return kBadInput;
  }
  if (args.emit == "cpp" || args.emit == "cu")
    return write(args.output, source);

  std::string output = args.outputGiven ? args.output : "trainer";
  if (output == "-")
    return usageError("a trainer binary cannot go to stdout; give -o FILE");
  auto f = modelFunction(*train);
  int64_t arena = f->getAttrOfType<IntegerAttr>("nn.arena_bytes").getInt();
  int64_t unplanned = f->getAttrOfType<IntegerAttr>("nn.unplanned_bytes").getInt();
  llvm::outs() << fmt::format(
      "cardinal: {} -> {} ({}{} kernel calls per step; peak activations + "
      "gradients {:.1f} MiB, {:.1f} MiB without buffer reuse)\n",
      spec.model, output,
      cuda ? "CUDA " + args.precision + (args.cudnnOnly ? " cuDNN-only" : "") +
                 ", "
           : std::string(),
      trainPlan->calls.size(), arena / 1048576.0, unplanned / 1048576.0);
  llvm::outs().flush();
  return cuda ? compileCudaTrainerSource(source, output, argv0)
              : compileTrainer(source, output, argv0);
}

} // namespace cardinal
