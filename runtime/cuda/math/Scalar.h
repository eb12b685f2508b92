//===- Scalar.h - loads/stores between element types and fp32 --------------===//
//
// Kernels compute in fp32 whatever the storage type: Num<T>::load widens an
// element, Num<T>::store narrows the fp32 result. Plain C++ sees float only;
// nvcc also gets the __nv_bfloat16 specialization (hardware RNE convert,
// which math/Bf16.h reproduces bitwise for host tests).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_SCALAR_H
#define CARDINAL_RUNTIME_CUDA_MATH_SCALAR_H

#include "runtime/cuda/HostDevice.h"

#include <cstdint>

#ifdef __CUDACC__
#include <cuda_bf16.h>
#endif

namespace cardinal::rt::cuda {

template <typename T> struct Num;

template <> struct Num<float> {
  CARDINAL_HD static float load(float v) { return v; }
  CARDINAL_HD static float store(float v) { return v; }
};

#ifdef __CUDACC__
template <> struct Num<__nv_bfloat16> {
  CARDINAL_HD static float load(__nv_bfloat16 v) {
    return __bfloat162float(v);
  }
  CARDINAL_HD static __nv_bfloat16 store(float v) {
    return __float2bfloat16_rn(v);
  }
};
#endif

template <typename T> CARDINAL_HD inline float load(T v) {
  return Num<T>::load(v);
}
template <typename T> CARDINAL_HD inline T store(float v) {
  return Num<T>::store(v);
}

CARDINAL_HD inline int64_t minI(int64_t a, int64_t b) { return a < b ? a : b; }
CARDINAL_HD inline int64_t maxI(int64_t a, int64_t b) { return a > b ? a : b; }
/// Floor division for a possibly negative numerator, positive divisor.
CARDINAL_HD inline int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_SCALAR_H
