//===- Sgd.h - SGD with momentum and weight decay --------------------------===//
//
// torch.optim.SGD semantics (dampening 0), per element:
//   g' = g + weightDecay * w
//   v  = momentum * v + g'        (v starts at zero, so step 1 gives v = g')
//   w -= lr * (nesterov ? g' + momentum * v : v)
// The gradient buffer is read, not modified. With momentum == 0, v may be
// null and w -= lr * g'.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_SGD_H
#define CARDINAL_RUNTIME_KERNELS_SGD_H

#include <cstdint>

namespace cardinal::rt {

template <typename T>
void sgdUpdate(int64_t n, T *w, const T *g, T *v, T lr, T momentum,
               T weightDecay, bool nesterov = false);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_SGD_H
