//===- CudaCompiler.h - find nvcc and link a generated CUDA trainer --------===//
#ifndef CARDINAL_TOOLS_CUDACOMPILER_H
#define CARDINAL_TOOLS_CUDACOMPILER_H

#include <string>

namespace cardinal {

/// nvcc: $NVCC if set, else the one CMake found, else `nvcc` on PATH, else
/// /usr/local/cuda/bin/nvcc. Empty if none exists.
std::string findNvcc();

/// Compiles `cuFile` with nvcc (sm_80 and sm_90, -O3, warnings are errors)
/// and links it with the runtime trainer libraries in `libraryDir`, the CUDA
/// kernel library and cudart/cuDNN/cuBLAS into `output`. nvcc's messages go
/// to stderr. Returns nvcc's exit code, or -1 with `error` if it could not
/// run.
int compileCudaTrainer(const std::string &nvcc, const std::string &cuFile,
                       const std::string &includeDir,
                       const std::string &libraryDir,
                       const std::string &output, std::string &error);

} // namespace cardinal

#endif
