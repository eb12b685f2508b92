//===- Concat.cpp ---------------------------------------------------------===//

#include "runtime/kernels/Concat.h"
#include "runtime/kernels/Parallel.h"

#include <algorithm>

namespace cardinal::rt {

namespace {

/// dst[i] = src[i] or dst[i] += src[i] for i < len.
template <typename T>
void moveBlock(const T *src, T *dst, int64_t len, bool accumulate) {
  if (accumulate) {
#pragma omp simd
    for (int64_t i = 0; i < len; ++i)
      dst[i] += src[i];
  } else {
    std::copy(src, src + len, dst);
  }
}

} // namespace

template <typename T>
void concatChannelsForward(int64_t n, int64_t hw, int64_t numInputs,
                           const T *const *inputs, const int64_t *channels,
                           T *y) {
  int64_t total = 0;
  for (int64_t i = 0; i < numInputs; ++i)
    total += channels[i];
#pragma omp parallel for schedule(static) if (n * total * hw >= detail::kMinParallelElements)
  for (int64_t s = 0; s < n; ++s) {
    T *dst = y + s * total * hw;
    for (int64_t i = 0; i < numInputs; ++i) {
      const int64_t len = channels[i] * hw;
      std::copy(inputs[i] + s * len, inputs[i] + (s + 1) * len, dst);
      dst += len;
    }
  }
}

template <typename T>
void concatChannelsBackward(int64_t n, int64_t hw, int64_t numInputs,
                            const int64_t *channels, const T *dy,
                            T *const *dxs, bool accumulate) {
  int64_t total = 0;
  for (int64_t i = 0; i < numInputs; ++i)
    total += channels[i];
#pragma omp parallel for schedule(static) if (n * total * hw >= detail::kMinParallelElements)
  for (int64_t s = 0; s < n; ++s) {
    const T *src = dy + s * total * hw;
    for (int64_t i = 0; i < numInputs; ++i) {
      const int64_t len = channels[i] * hw;
      moveBlock(src, dxs[i] + s * len, len, accumulate);
      src += len;
    }
  }
}

template <typename T>
void sliceChannelsForward(int64_t n, int64_t c, int64_t hw, int64_t begin,
                          int64_t len, const T *x, T *y) {
#pragma omp parallel for schedule(static) if (n * len * hw >= detail::kMinParallelElements)
  for (int64_t s = 0; s < n; ++s) {
    const T *src = x + (s * c + begin) * hw;
    std::copy(src, src + len * hw, y + s * len * hw);
  }
}

template <typename T>
void sliceChannelsBackward(int64_t n, int64_t c, int64_t hw, int64_t begin,
                           int64_t len, const T *dy, T *dx, bool accumulate) {
#pragma omp parallel for schedule(static) if (n * c * hw >= detail::kMinParallelElements)
  for (int64_t s = 0; s < n; ++s) {
    T *plane = dx + s * c * hw;
    if (!accumulate) {
      std::fill(plane, plane + begin * hw, T(0));
      std::fill(plane + (begin + len) * hw, plane + c * hw, T(0));
    }
    moveBlock(dy + s * len * hw, plane + begin * hw, len * hw, accumulate);
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void concatChannelsForward<T>(int64_t, int64_t, int64_t,           \
                                         const T *const *, const int64_t *,    \
                                         T *);                                 \
  template void concatChannelsBackward<T>(int64_t, int64_t, int64_t,          \
                                          const int64_t *, const T *,          \
                                          T *const *, bool);                   \
  template void sliceChannelsForward<T>(int64_t, int64_t, int64_t, int64_t,   \
                                        int64_t, const T *, T *);              \
  template void sliceChannelsBackward<T>(int64_t, int64_t, int64_t, int64_t,  \
                                         int64_t, const T *, T *, bool);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
