//===- HostCompiler.cpp ----------------------------------------------------===//
#include "tools/cardinal/HostCompiler.h"
#include "tools/cardinal/Config.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

namespace cardinal {

std::string hostCompiler() {
  if (const char *cxx = std::getenv("CXX"))
    if (*cxx)
      return cxx;
  return CARDINAL_CXX_COMPILER;
}

int runProgram(llvm::ArrayRef<std::string> argv,
               std::optional<llvm::StringRef> stdoutFile, std::string &error) {
  auto program = llvm::sys::findProgramByName(argv[0]);
  if (!program) {
    error = "cannot find '" + argv[0] + "'";
    return -1;
  }
  llvm::SmallVector<llvm::StringRef> args(argv.begin(), argv.end());
  std::optional<llvm::StringRef> redirects[3] = {std::nullopt, stdoutFile,
                                                 std::nullopt};
  return llvm::sys::ExecuteAndWait(*program, args, std::nullopt, redirects,
                                   /*SecondsToWait=*/0, /*MemoryLimit=*/0,
                                   &error);
}

TempDir::TempDir(llvm::StringRef prefix) {
  ok = !llvm::sys::fs::createUniqueDirectory(prefix, path);
}

TempDir::~TempDir() {
  if (ok && !keep)
    llvm::sys::fs::remove_directories(path);
}

} // namespace cardinal
