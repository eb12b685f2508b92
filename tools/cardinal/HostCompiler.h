//===- HostCompiler.h - run the host C++ compiler and other programs -------===//
//
// Model files (generators) and generated trainers are both compiled with the
// host compiler: $CXX if set, else the compiler Cardinal was built with.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TOOLS_HOSTCOMPILER_H
#define CARDINAL_TOOLS_HOSTCOMPILER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace cardinal {

std::string hostCompiler();

/// Runs argv[0] (searched on PATH) with argv; stdout optionally redirected
/// to a file. Returns its exit code, or -1 with `error` if it cannot start.
int runProgram(llvm::ArrayRef<std::string> argv,
               std::optional<llvm::StringRef> stdoutFile, std::string &error);

/// A fresh temporary directory, removed on destruction unless kept.
struct TempDir {
  llvm::SmallString<128> path;
  bool ok = false;
  bool keep = false;
  explicit TempDir(llvm::StringRef prefix);
  ~TempDir();
};

} // namespace cardinal

#endif
