//===- CudaCompiler.cpp ----------------------------------------------------===//
#include "tools/cardinal/CudaCompiler.h"
#include "tools/cardinal/Config.h"
#include "tools/cardinal/HostCompiler.h" // runProgram

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>
#include <vector>

namespace cardinal {

std::string findNvcc() {
  if (const char *env = std::getenv("NVCC"))
    if (*env)
      return llvm::sys::fs::can_execute(env) ? env : "";
  for (const char *candidate : {CARDINAL_NVCC, "/usr/local/cuda/bin/nvcc"})
    if (*candidate && llvm::sys::fs::can_execute(candidate))
      return candidate;
  if (auto onPath = llvm::sys::findProgramByName("nvcc"))
    return *onPath;
  return "";
}

int compileCudaTrainer(const std::string &nvcc, const std::string &cuFile,
                       const std::string &includeDir,
                       const std::string &libraryDir,
                       const std::string &output, std::string &error) {
  const std::string &lib = libraryDir;
  // cuDNN, cuBLAS and NCCL are shared libraries beside nvcc's toolkit, which the
  // loader may not search: the trainer records where they were.
  llvm::SmallString<256> cudaLib(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(nvcc)));
  llvm::sys::path::append(cudaLib, "lib64");
  std::vector<std::string> args = {
      nvcc, "-std=c++17", "-O3",
      // The H200 (Hopper) and A100-class GPUs.
      "-gencode", "arch=compute_80,code=sm_80",
      "-gencode", "arch=compute_90,code=sm_90",
      // A warning in generated code is a Cardinal bug, as an error is.
      "-Werror", "all-warnings",
      "-I" + includeDir, cuFile,
      lib + "/libCardinalTrainerMain.a", lib + "/libCardinalTrainer.a",
      lib + "/libCardinalRuntimeNccl.a", lib + "/libCardinalRuntimeComm.a",
      lib + "/libCardinalRuntimeData.a",
      lib + "/libCardinalRuntimeCheckpoint.a",
      lib + "/libCardinalRuntimeKernels.a", lib + "/libCardinalRuntimeCuda.a",
      "-L" + cudaLib.str().str(), "-lcudnn", "-lcublas", "-lnccl", "-lopenblas", "-lz",
      "-ljpeg", "-lmpi", "-lgomp", "-Xlinker", "-rpath=" + cudaLib.str().str(),
      "-o", output};
  return runProgram(args, std::nullopt, error);
}

} // namespace cardinal
