//===- SgdMath.h - one element of SGD with momentum and weight decay ------===//
//
// Exactly runtime/kernels/Sgd.cpp (torch.optim.SGD, dampening 0):
//   g' = g + weightDecay * w;  v = momentum * v + g';
//   w -= lr * (nesterov ? g' + momentum * v : v)
// and w -= lr * g' when there is no velocity (v null or momentum 0).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_SGDMATH_H
#define CARDINAL_RUNTIME_CUDA_MATH_SGDMATH_H

#include "runtime/cuda/HostDevice.h"

namespace cardinal::rt::cuda {

/// Updates *w (and *v when hasVelocity) for one element.
CARDINAL_HD inline void sgdElement(float &w, float g, float *v, float lr,
                                   float momentum, float weightDecay,
                                   bool nesterov) {
  const float d = g + weightDecay * w;
  if (!v || momentum == 0.f) {
    w -= lr * d;
    return;
  }
  const float vel = momentum * *v + d;
  *v = vel;
  w -= lr * (nesterov ? d + momentum * vel : vel);
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_SGDMATH_H
