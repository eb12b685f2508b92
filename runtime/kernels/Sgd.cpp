//===- Sgd.cpp ------------------------------------------------------------===//

#include "runtime/kernels/Sgd.h"
#include "runtime/kernels/Parallel.h"

namespace cardinal::rt {

template <typename T>
void sgdUpdate(int64_t n, T *w, const T *g, T *v, T lr, T momentum,
               T weightDecay, bool nesterov) {
  if (!v || momentum == T(0)) {
#pragma omp parallel for simd schedule(static) if (n >= detail::kMinParallelElements)
    for (int64_t i = 0; i < n; ++i)
      w[i] -= lr * (g[i] + weightDecay * w[i]);
    return;
  }
#pragma omp parallel for simd schedule(static) if (n >= detail::kMinParallelElements)
  for (int64_t i = 0; i < n; ++i) {
    const T d = g[i] + weightDecay * w[i];
    const T vel = momentum * v[i] + d;
    v[i] = vel;
    w[i] -= lr * (nesterov ? d + momentum * vel : vel);
  }
}

template void sgdUpdate<float>(int64_t, float *, const float *, float *, float,
                               float, float, bool);
template void sgdUpdate<double>(int64_t, double *, const double *, double *,
                                double, double, double, bool);

} // namespace cardinal::rt
