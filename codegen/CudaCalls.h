//===- CudaCalls.h - one kernel-plan call as CUDA runtime calls ------------===//
//
// Prints the body of a generated CUDA trainer's step: each KernelCall
// becomes a call into runtime/cuda/CudaKernels.h (or an instantiation of a
// shape-specialized grouped 3x3 template, timed against cuDNN), with the
// element type of every planned buffer worked out from the kernel that
// wrote it: activations and activation gradients have the trainer's type T
// (float or bf16); weight, bias and BN-parameter gradients, BN statistics
// and the loss are float.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_CODEGEN_CUDACALLS_H
#define CARDINAL_CODEGEN_CUDACALLS_H

#include "codegen/CudaEmitter.h"
#include "codegen/KernelPlan.h"

#include <map>
#include <set>
#include <sstream>
#include <string>

namespace cardinal::codegen {

/// Persistent tensors read as conv/linear weights or biases: in bf16 mode
/// they get a bf16 copy on the device (refreshed by the SGD update).
std::set<std::string> lowPrecisionWeights(const KernelPlan &plan);

/// Whether a conv call (forward, backward data or weight, or one of the
/// conv-level training fusion's convs) goes to a generated grouped 3x3
/// kernel rather than the library's entry points. Such calls print as
/// fasterGroupedConv3x3* (GroupedConvChoice.cuh): the generated kernel or
/// cuDNN, whichever the trainer's first call of the layer timed faster.
bool usesGeneratedGroupedConv(const KernelCall &c, const CudaOptions &opts);

class CudaCallPrinter {
public:
  /// `lowp`: the tensors that have a bf16 copy (empty in fp32 mode).
  CudaCallPrinter(std::ostringstream &os, const CudaOptions &opts,
                  const std::set<std::string> &lowp)
      : os(os), opts(opts), lowp(lowp) {}

  /// The activation type's C++ spelling: "float" or "bf16".
  const char *act() const { return opts.bf16 ? "bf16" : "float"; }

  /// A device pointer to `b`, typed for the operand role: 'a' activation
  /// (type T), 'w' weight/bias (T; persistent -> its bf16 copy), 'f' float,
  /// 'l' int32 labels.
  std::string ptr(const Buffer &b, char role);

  /// Prints call `index` (a comment naming its op, then the call).
  void emit(const KernelCall &c, size_t index);

private:
  char typeOf(const Buffer &b) const; // 'a' or 'f': what its writer stored
  void check(const KernelCall &c, const Buffer &b, char role) const;
  void conv(const KernelCall &c);
  void fusedConv(const KernelCall &c); // the conv-level training fusion

  std::ostringstream &os;
  const CudaOptions &opts;
  const std::set<std::string> &lowp;
  std::map<int64_t, char> written; // arena offset -> type of the last write
};

} // namespace cardinal::codegen

#endif // CARDINAL_CODEGEN_CUDACALLS_H
