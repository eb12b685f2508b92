//===- CudaEmitter.h - print kernel plans as a CUDA trainer ----------------===//
//
// The GPU twin of CppEmitter: the same training and inference kernel plans
// printed as one .cu file defining a CompiledModel that keeps every tensor
// on the device (runtime/trainer/CompiledModel.h) and calls
// runtime/cuda/CudaKernels.h, with shape-specialized grouped 3x3 convs
// instantiated from runtime/cuda/GroupedConv.cuh.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_CODEGEN_CUDAEMITTER_H
#define CARDINAL_CODEGEN_CUDAEMITTER_H

#include "codegen/CppEmitter.h"
#include "codegen/KernelPlan.h"

#include <string>

namespace cardinal::codegen {

struct CudaOptions {
  /// Activations and conv/linear weight copies in bf16 (fp32 master
  /// weights, BN statistics, gradients and accumulation); else all fp32.
  bool bf16 = false;
  /// The baseline plan: every convolution through the generic conv2d*
  /// entry points with Context::cudnnOnly set (no generated grouped kernels).
  bool cudnnOnly = false;
};

/// Kernels of the plan the CUDA emitter prints (KernelCall::kernel names).
bool cudaEmitterSupports(const std::string &kernel);

/// One .cu file defining a CompiledModel and createCompiledModel().
/// Deterministic: the same plans and options print the same bytes. Throws
/// std::runtime_error naming the kernel and its op for calls it cannot print.
std::string emitCudaTrainer(const KernelPlan &train, const KernelPlan &predict,
                            const TrainerSpec &spec, const CudaOptions &opts);

} // namespace cardinal::codegen

#endif // CARDINAL_CODEGEN_CUDAEMITTER_H
