//===- ModelGenerator.cpp - compile and run a DSL model file ---------------===//
#include "tools/cardinal/ModelGenerator.h"
#include "tools/cardinal/Config.h"
#include "tools/cardinal/HostCompiler.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace cardinal {

static bool exists(const llvm::Twine &path) {
  return llvm::sys::fs::exists(path);
}

FrontendPaths findFrontend(const char *argv0) {
  std::string exe = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&findFrontend));
  llvm::SmallString<256> prefix(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(exe)));
  llvm::SmallString<256> inc(prefix), lib(prefix);
  llvm::sys::path::append(inc, "include", "cardinal");
  llvm::sys::path::append(lib, "lib");
  if (exists(inc + "/frontend/DSL.h") &&
      exists(lib + "/libCardinalGeneratorMain.a"))
    return {inc.str().str(), lib.str().str()};
  return {CARDINAL_SOURCE_DIR, CARDINAL_LIBRARY_DIR};
}

bool runModelGenerator(const std::string &modelFile,
                       const dsl::ModelOptions &options, const char *argv0,
                       std::string &mlirText) {
  auto failed = [&](const std::string &why) {
    llvm::errs() << "error: model file '" << modelFile << "' " << why << "\n";
    return false;
  };
  if (!exists(modelFile))
    return failed("does not exist");
  TempDir tmp("cardinal-gen");
  if (!tmp.ok)
    return failed("could not be compiled: cannot create a temporary directory");

  FrontendPaths paths = findFrontend(argv0);
  std::string generator = (tmp.path + "/generator").str();
  std::string error;
  int rc = runProgram({hostCompiler(), "-std=c++17", "-O0", "-I" + paths.includeDir,
                modelFile, "-o", generator,
                paths.libraryDir + "/libCardinalGeneratorMain.a",
                "-L" + paths.libraryDir, "-lCardinalFrontend",
                "-Wl,-rpath," + paths.libraryDir},
               std::nullopt, error);
  if (rc != 0)
    return failed(error.empty() ? "failed to compile (see the compiler's "
                                  "messages above)"
                                : "failed to compile: " + error);

  std::string name = llvm::sys::path::stem(modelFile).str();
  std::string out = (tmp.path + "/model.mlir").str();
  rc = runProgram({generator, "--name", name, "--batch",
            std::to_string(options.batch), "--image",
            std::to_string(options.image), "--channels",
            std::to_string(options.channels), "--classes",
            std::to_string(options.classes)},
           llvm::StringRef(out), error);
  if (rc != 0)
    return failed("compiled, but building its graph failed" +
                  (error.empty() ? std::string(" (see above)") : ": " + error));
  auto buffer = llvm::MemoryBuffer::getFile(out);
  if (!buffer)
    return failed("produced no module");
  mlirText = (*buffer)->getBuffer().str();
  return true;
}

} // namespace cardinal
