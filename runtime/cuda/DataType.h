//===- DataType.h - CUDA/cuDNN type tags of the element types (internal) ---===//
#ifndef CARDINAL_RUNTIME_CUDA_DATATYPE_H
#define CARDINAL_RUNTIME_CUDA_DATATYPE_H

#include "runtime/cuda/CudaKernels.h"

namespace cardinal::rt::cuda {

template <typename T> struct DataType;
template <> struct DataType<float> {
  static constexpr cudaDataType_t cuda = CUDA_R_32F;
  static constexpr cudnnDataType_t cudnn = CUDNN_DATA_FLOAT;
};
template <> struct DataType<bf16> {
  static constexpr cudaDataType_t cuda = CUDA_R_16BF;
  static constexpr cudnnDataType_t cudnn = CUDNN_DATA_BFLOAT16;
};

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_DATATYPE_H
