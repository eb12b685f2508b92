//===- Context.cpp - device check, Context lifetime, error reporting -------===//
//
// Plain C++ against the CUDA runtime/cuDNN/cuBLAS host APIs (no device code),
// so g++ compiles it.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/ConvAlgoCache.h"
#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/DenseConvChoice.h"
#include "runtime/cuda/GroupedConvChoice.h"
#include "runtime/cuda/OutOfMemory.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {

void requireDevice() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  std::string missing;
  if (status != cudaSuccess)
    missing = std::string(cudaGetErrorName(status)) + ": " +
              cudaGetErrorString(status);
  else if (count == 0)
    missing = "no CUDA device is visible (cudaGetDeviceCount returned 0)";
  if (missing.empty())
    return;
  cudaGetLastError(); // clear the sticky error for any later caller
  throw std::runtime_error(
      "no usable CUDA device: " + missing +
      ". This trainer was built with `cardinal build --target cuda` and needs "
      "an NVIDIA GPU with a working driver; `cardinal build --target cpu` "
      "builds a trainer that runs without one.");
}

void checkCuda(cudaError_t status, const char *what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " +
                             cudaGetErrorName(status) + ": " +
                             cudaGetErrorString(status));
}

void *allocateDevice(size_t bytes, const std::string &what) {
  void *p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError(); // not sticky: clear it
    size_t freeBytes = 0, totalBytes = 0;
    int device = 0;
    cudaMemGetInfo(&freeBytes, &totalBytes);
    cudaGetDevice(&device);
    throw std::runtime_error(
        outOfDeviceMemoryMessage(what, bytes, freeBytes, totalBytes, device));
  }
  checkCuda(status, ("cudaMalloc of " + what).c_str());
  return p;
}

static void checkCudnn(cudnnStatus_t status, const char *what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuDNN error in ") + what + ": " +
                             cudnnGetErrorString(status));
}

void checkCublas(cublasStatus_t status, const char *what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw std::runtime_error(std::string("cuBLAS error in ") + what + ": " +
                             cublasGetStatusString(status));
}

Context *createContext(int device, size_t workspaceBytes) {
  requireDevice();
  auto *ctx = new Context;
  try {
    ctx->device = device;
    checkCuda(cudaSetDevice(device), "cudaSetDevice");
    checkCuda(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking),
              "cudaStreamCreate(stream)");
    checkCuda(
        cudaStreamCreateWithFlags(&ctx->copyStream, cudaStreamNonBlocking),
        "cudaStreamCreate(copyStream)");
    checkCudnn(cudnnCreate(&ctx->cudnn), "cudnnCreate");
    checkCudnn(cudnnSetStream(ctx->cudnn, ctx->stream), "cudnnSetStream");
    checkCublas(cublasCreate(&ctx->cublas), "cublasCreate");
    checkCublas(cublasSetStream(ctx->cublas, ctx->stream), "cublasSetStream");
    // Tensor cores for bf16 GEMMs; fp32 GEMMs stay exact fp32 (no TF32).
    checkCublas(cublasSetMathMode(ctx->cublas, CUBLAS_DEFAULT_MATH),
                "cublasSetMathMode");
    ctx->workspaceBytes = workspaceBytes;
    if (workspaceBytes)
      ctx->workspace =
          allocateDevice(workspaceBytes, "the kernel library's workspace");
    // (Throws on a bad CARDINAL_GROUPED_CONV or CARDINAL_DENSE_CONV,
    // before any conv runs.)
    ctx->convAlgos = new ConvAlgoCache(groupedConvPolicyFromEnv(),
                                       denseConvPolicyFromEnv());
  } catch (...) {
    destroyContext(ctx);
    throw;
  }
  return ctx;
}

void destroyContext(Context *ctx) {
  if (!ctx)
    return;
  if (ctx->stream)
    cudaStreamSynchronize(ctx->stream);
  if (ctx->copyStream)
    cudaStreamSynchronize(ctx->copyStream);
  const char *show = std::getenv("CARDINAL_CONV_CHOICES");
  if (ctx->convAlgos && show && *show && std::string(show) != "0") {
    printGroupedConvChoices(*ctx, stderr);
    printDenseConvChoices(*ctx, stderr);
  }
  delete ctx->convAlgos; // its cuDNN descriptors and events too
  if (ctx->workspace)
    cudaFree(ctx->workspace);
  if (ctx->normalized)
    cudaFree(ctx->normalized);
  if (ctx->cublas)
    cublasDestroy(ctx->cublas);
  if (ctx->cudnn)
    cudnnDestroy(ctx->cudnn);
  if (ctx->copyStream)
    cudaStreamDestroy(ctx->copyStream);
  if (ctx->stream)
    cudaStreamDestroy(ctx->stream);
  delete ctx;
}

void synchronize(Context &ctx) {
  checkCuda(cudaStreamSynchronize(ctx.stream), "cudaStreamSynchronize");
  checkCuda(cudaGetLastError(), "an earlier kernel");
}

} // namespace cardinal::rt::cuda
