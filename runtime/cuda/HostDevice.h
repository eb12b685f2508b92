//===- HostDevice.h - one spelling for host+device inline functions --------===//
//
// The arithmetic of every CUDA kernel lives in runtime/cuda/math/*.h as
// CARDINAL_HD functions, so the same code runs in the kernels (nvcc) and in
// plain-C++ unit tests (g++) that compare it with the CPU runtime kernels.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_HOSTDEVICE_H
#define CARDINAL_RUNTIME_CUDA_HOSTDEVICE_H

#ifdef __CUDACC__
#define CARDINAL_HD __host__ __device__
#else
#define CARDINAL_HD
#endif

#endif // CARDINAL_RUNTIME_CUDA_HOSTDEVICE_H
