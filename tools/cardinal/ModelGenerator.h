//===- ModelGenerator.h - compile and run a DSL model file ----------------===//
#ifndef CARDINAL_TOOLS_MODELGENERATOR_H
#define CARDINAL_TOOLS_MODELGENERATOR_H

#include "frontend/DSL.h"

#include <string>

namespace cardinal {

/// Where the DSL header and libraries are: beside an installed `cardinal`
/// (PREFIX/include/cardinal, PREFIX/lib) or in the build tree it came from.
struct FrontendPaths {
  std::string includeDir;
  std::string libraryDir;
};
FrontendPaths findFrontend(const char *argv0);

/// Compiles `modelFile` with the host C++ compiler against the DSL, runs it
/// and stores the printed module in `mlirText`. The compiler's and the
/// generator's messages go to stderr; on failure a last line says which
/// file failed and why, and false is returned.
bool runModelGenerator(const std::string &modelFile,
                       const dsl::ModelOptions &options, const char *argv0,
                       std::string &mlirText);

} // namespace cardinal

#endif
