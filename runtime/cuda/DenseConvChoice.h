//===- DenseConvChoice.h - a dense 1x1 conv on cuDNN or cuBLAS, timed ------===//
//
// Why: an unpadded 1x1 conv in NCHW is a strided-batched GEMM on the
// tensors as they lie (math/Gemm1x1.h; a strided one on its kept pixels,
// gathered first), which cuBLAS runs on tensor cores for bf16 without the
// NHWC transposes cuDNN's NCHW tensor-core paths make; but cuDNN may still
// win on some shapes. conv2dForward, conv2dBackwardData and
// conv2dBackwardWeight (Conv.cu) time both on a shape's first call
// (ConvChoice.h) and keep the faster in ctx.convAlgos (the GEMM weight
// gradient: per-sample partials, summed in order).
// The --cudnn-only baseline (Context::cudnnOnly) never uses cuBLAS here.
//
// CARDINAL_DENSE_CONV=cudnn|cublas|auto (default auto) forces a candidate
// (read by createContext; any other value is an error there).
// CARDINAL_CONV_CHOICES=1 prints the choices when the context is destroyed.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_DENSECONVCHOICE_H
#define CARDINAL_RUNTIME_CUDA_DENSECONVCHOICE_H

#include "runtime/cuda/ConvChoice.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace cardinal::rt::cuda {

/// The candidates, in preference order: {"cudnn", "cublas"}.
const std::vector<std::string> &denseConvCandidates();
/// CARDINAL_DENSE_CONV as a policy; throws std::invalid_argument on a
/// value other than cudnn, cublas, auto or empty.
ChoicePolicy denseConvPolicyFromEnv();
/// A ConvDirection's name ("forward", "backward data").
const char *denseConvOpName(int64_t direction);

/// Prints ctx's dense choices so far (ConvChoice.h's table).
void printDenseConvChoices(const Context &ctx, std::FILE *out);

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_DENSECONVCHOICE_H
