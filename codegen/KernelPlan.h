//===- KernelPlan.h - a backend-neutral schedule of kernel calls -----------===//
//
// The last IR-level form of a step: a linear list of kernel calls whose
// operands are planned buffers (arena offsets from --nn-memory-plan) or
// persistent named tensors. Emitters (C++ for the CPU, CUDA) print it;
// `cardinal build --emit=plan` shows it.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_CODEGEN_KERNELPLAN_H
#define CARDINAL_CODEGEN_KERNELPLAN_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cardinal::codegen {

struct Buffer {
  enum class Kind { Arena, Persistent, Images, Labels };
  Kind kind = Kind::Arena;
  int64_t offset = 0;         // bytes, for Arena
  std::string name;           // for Persistent
  std::vector<int64_t> shape; // logical NCHW / OIHW
  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

struct KernelCall {
  std::string kernel;                  // e.g. "conv2d_forward"
  std::vector<Buffer> inputs, outputs;
  std::map<std::string, int64_t> ints; // stride, pad, groups, axis, ...
  std::map<std::string, double> reals; // eps, momentum, weight_decay
  std::map<std::string, std::string> names; // velocity, bn (statistics owner)
  std::string origin;                  // the op it came from, for comments
};

/// A persistent tensor the model owns.
struct PersistentTensor {
  std::string name;
  std::string kind; // param | state | velocity | scratch
  std::string init;
  std::vector<int64_t> shape;
};

struct KernelPlan {
  std::string function;
  int64_t arenaBytes = 0;
  std::vector<int64_t> imageShape; // [N, C, H, W]
  int64_t classes = 0;
  std::vector<KernelCall> calls;
  std::vector<Buffer> results;           // what the function returns
  std::vector<PersistentTensor> tensors; // in first-use order
};

/// Builds the plan of a memory-planned function (after --nn-memory-plan).
/// Fails with a diagnostic on ops the plan has no kernel for.
mlir::FailureOr<KernelPlan> buildKernelPlan(mlir::func::FuncOp f);

/// A readable listing, one call per line; deterministic.
std::string printKernelPlan(const KernelPlan &plan);

} // namespace cardinal::codegen

#endif
