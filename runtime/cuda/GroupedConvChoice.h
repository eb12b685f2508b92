//===- GroupedConvChoice.h - generated grouped 3x3 kernel or cuDNN, timed --===//
//
// Why: the generated shape-specialized grouped 3x3 kernels (GroupedConv.cuh)
// beat cuDNN on ResNeXt's narrow groups, but not necessarily on every shape
// and GPU. Generated trainers call every such layer through
// GroupedConvChoice.cuh's faster* templates, which hand both candidates to
// runFasterGroupedConv: the first call of a (shape, type, op) times both
// with cudaEvents on ctx.stream (KernelChoice.h: warm-up, best of 3 timed
// runs, ties to the generated kernel) and caches the winner in
// ctx.convAlgos; later calls run the winner alone.
//
// CARDINAL_GROUPED_CONV=generated|cudnn|auto (default auto) forces a
// candidate (read by createContext; any other value is an error there).
// CARDINAL_CONV_CHOICES=1 prints the table of choices (shape, op, both
// times, winner) to stderr when the context is destroyed.
//
// Host code only (g++ compiles the library side, GroupedConvChoice.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_GROUPEDCONVCHOICE_H
#define CARDINAL_RUNTIME_CUDA_GROUPEDCONVCHOICE_H

#include "runtime/cuda/ConvChoice.h"
#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/KernelChoice.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

namespace cardinal::rt::cuda {

/// The grouped 3x3 calls a generated trainer makes (GroupedConv.cuh).
enum class GroupedConvOp : int64_t {
  Forward,
  BackwardData,
  BackwardWeight,
  StatsForward,
  BnReluStatsForward,
  BnReluForward,
  BnReluBackwardWeight,
};
const char *groupedConvOpName(GroupedConvOp op);
const char *groupedConvOpName(int64_t op); // a ConvKey's last element

/// The candidates, in preference order: {"generated", "cudnn"}.
const std::vector<std::string> &groupedConvCandidates();
/// CARDINAL_GROUPED_CONV as a policy; throws std::invalid_argument on a
/// value other than generated, cudnn, auto or empty.
ChoicePolicy groupedConvPolicyFromEnv();

/// Runs `generated` or `cudnn` (equivalent calls of one grouped 3x3 conv of
/// shape s, element type `dataType` (cudnnDataType_t), call `op`), the one
/// ctx.convAlgos chose for (s, dataType, op): runFasterConv (ConvChoice.h).
void runFasterGroupedConv(Context &ctx, const ConvShape &s, int64_t dataType,
                          GroupedConvOp op, RunRef generated, RunRef cudnn,
                          std::initializer_list<DeviceBytes> restored = {});

/// Prints ctx's choices so far as a markdown table (what destroyContext
/// prints with CARDINAL_CONV_CHOICES=1). Prints nothing when none was made.
void printGroupedConvChoices(const Context &ctx, std::FILE *out);

/// Sends the conv2d* entry points (and the conv-level fusion's
/// decompositions built on them) to cuDNN for its lifetime: the cuDNN
/// candidate of a grouped conv that conv2d* would run on the direct kernel.
class CudnnOnlyScope {
public:
  explicit CudnnOnlyScope(Context &ctx) : ctx(ctx), was(ctx.cudnnOnly) {
    ctx.cudnnOnly = true;
  }
  ~CudnnOnlyScope() { ctx.cudnnOnly = was; }
  CudnnOnlyScope(const CudnnOnlyScope &) = delete;
  CudnnOnlyScope &operator=(const CudnnOnlyScope &) = delete;

private:
  Context &ctx;
  bool was;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_GROUPEDCONVCHOICE_H
