//===- ParamSpecs.h - the named values an nn function reads ---------------===//
//
// Lists every nn.param / nn.state a function needs under the names the
// interpreter looks up (aggregate paths expanded with pathParamName), and
// every nn.input. randomParams/randomInputs and weight-mapping code use it.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_PARAMSPECS_H
#define CARDINAL_INTERP_PARAMSPECS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cardinal::interp {

struct ValueSpec {
  std::string name;            // as looked up (per-path for params in paths)
  std::vector<int64_t> shape;
  std::string init;            // nn.param/nn.state initializer; "" for inputs
  bool isState = false;        // nn.state (BN running statistics)
  bool isInteger = false;      // integer element type (labels)
  mlir::Operation *op = nullptr; // the defining op (template op for paths)
};

/// The name path `indices` (outermost aggregate first) gives `name`.
std::string resolvePathName(const std::string &name,
                            const std::vector<int64_t> &indices);

/// nn.param / nn.state values in program order, each name once (first use).
std::vector<ValueSpec> paramSpecs(mlir::func::FuncOp f);

/// nn.input values in program order, each name once.
std::vector<ValueSpec> inputSpecs(mlir::func::FuncOp f);

} // namespace cardinal::interp

#endif // CARDINAL_INTERP_PARAMSPECS_H
