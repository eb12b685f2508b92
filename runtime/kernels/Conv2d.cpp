//===- Conv2d.cpp - algorithm choice and the bias gradient -----------------===//

#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/ConvImpl.h"
#include "runtime/kernels/Parallel.h"

#include <cassert>

namespace cardinal::rt {

ConvAlgo chooseConvAlgo(const ConvShape &s) {
  // The direct kernels vectorize along output rows: rows of 1-3 pixels
  // (the last stages of small-image models) leave most SIMD lanes idle, and
  // the GEMM wins (resnext_small on 8x8 digits, last stage 2x2: step
  // 3.2-3.4 -> 2.6 ms at 1 thread, 2.4-3.0 -> 2.1-2.6 ms at 2).
  return s.groups > 1 && s.cPerGroup() <= kDirectConvMaxGroupWidth &&
                 s.oPerGroup() <= kDirectConvMaxGroupWidth &&
                 s.ow >= kDirectConvMinOutputWidth
             ? ConvAlgo::Direct
             : ConvAlgo::Gemm;
}

static ConvAlgo resolve(const ConvShape &s, ConvAlgo algo) {
  assert(s.valid() && "inconsistent ConvShape");
  return algo == ConvAlgo::Auto ? chooseConvAlgo(s) : algo;
}

template <typename T>
void conv2dBiasActForward(const ConvShape &s, const T *x, const T *w,
                          const T *bias, const T *residual, bool relu, T *y,
                          ConvAlgo algo) {
  detail::ConvEpilogue<T> e;
  e.bias = bias, e.residual = residual, e.relu = relu;
  if (resolve(s, algo) == ConvAlgo::Direct)
    detail::convForwardDirect(s, x, w, e, y);
  else
    detail::convForwardGemm(s, x, w, e, y);
}

template <typename T>
void conv2dForward(const ConvShape &s, const T *x, const T *w, const T *bias,
                   T *y, ConvAlgo algo) {
  conv2dBiasActForward(s, x, w, bias, static_cast<const T *>(nullptr), false,
                       y, algo);
}

template <typename T>
void conv2dBackwardData(const ConvShape &s, const T *dy, const T *w, T *dx,
                        bool accumulate, ConvAlgo algo) {
  if (resolve(s, algo) == ConvAlgo::Direct)
    detail::convBackwardDataDirect(s, dy, w, dx, accumulate);
  else
    detail::convBackwardDataGemm(s, dy, w, dx, accumulate);
}

template <typename T>
void conv2dBackwardWeight(const ConvShape &s, const T *x, const T *dy, T *dw,
                          T *db, ConvAlgo algo) {
  if (resolve(s, algo) == ConvAlgo::Direct)
    detail::convBackwardWeightDirect(s, x, dy, dw);
  else
    detail::convBackwardWeightGemm(s, x, dy, dw);
  if (db)
    detail::convBackwardBias(s, dy, db);
}

template <typename T>
void detail::convBackwardBias(const ConvShape &s, const T *dy, T *db) {
  const int64_t P = s.oh * s.ow;
  // One channel per iteration, samples in order: thread-count independent.
#pragma omp parallel for schedule(static) if (s.outputSize() >= kMinParallelElements)
  for (int64_t o = 0; o < s.o; ++o) {
    T acc = 0;
    for (int64_t n = 0; n < s.n; ++n) {
      const T *row = dy + (n * s.o + o) * P;
      T part = 0;
#pragma omp simd reduction(+ : part)
      for (int64_t i = 0; i < P; ++i)
        part += row[i];
      acc += part;
    }
    db[o] = acc;
  }
}

#define CARDINAL_INSTANTIATE(T)                                                \
  template void conv2dForward<T>(const ConvShape &, const T *, const T *,     \
                                 const T *, T *, ConvAlgo);                    \
  template void conv2dBiasActForward<T>(const ConvShape &, const T *,         \
                                        const T *, const T *, const T *, bool, \
                                        T *, ConvAlgo);                        \
  template void conv2dBackwardData<T>(const ConvShape &, const T *, const T *, \
                                      T *, bool, ConvAlgo);                    \
  template void conv2dBackwardWeight<T>(const ConvShape &, const T *,         \
                                        const T *, T *, T *, ConvAlgo);        \
  template void detail::convBackwardBias<T>(const ConvShape &, const T *, T *);
CARDINAL_INSTANTIATE(float)
CARDINAL_INSTANTIATE(double)
#undef CARDINAL_INSTANTIATE

} // namespace cardinal::rt
