//===- DirectConv.cu - grouped conv over runtime shapes, direct -----------===//
//
// The fallback for grouped convs the emitter did not specialize (see
// GroupedConv.cuh for the fast 3x3 path): one thread per output element
// evaluating math/ConvMath.h. Thread order follows NCHW (ow fastest), so
// neighbouring threads write neighbouring addresses and read overlapping
// input rows through L1. The weight gradient is reduced over slices of
// samples into fp32 partials, then summed slice by slice (no atomics).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/ConvPaths.h"
#include "runtime/cuda/Launch.cuh"
#include "runtime/cuda/Workspace.h"
#include "runtime/cuda/math/ConvMath.h"

namespace cardinal::rt::cuda {
namespace {

template <typename T>
__global__ void directForwardKernel(ConvShape s, const T *x, const T *w,
                                    T *y) {
  CARDINAL_GRID_STRIDE(i, s.n * s.o * s.oh * s.ow) {
    const int64_t ow = i % s.ow, oh = (i / s.ow) % s.oh,
                  o = (i / (s.ow * s.oh)) % s.o, n = i / (s.ow * s.oh * s.o);
    y[i] = store<T>(convOutputElement(s, x, w, n, o, oh, ow));
  }
}

template <typename T>
__global__ void directBackwardDataKernel(ConvShape s, const T *dy, const T *w,
                                         T *dx, bool accumulate) {
  CARDINAL_GRID_STRIDE(i, s.n * s.c * s.h * s.w) {
    const int64_t iw = i % s.w, ih = (i / s.w) % s.h,
                  c = (i / (s.w * s.h)) % s.c, n = i / (s.w * s.h * s.c);
    const float g = convInputGradElement(s, dy, w, n, c, ih, iw);
    dx[i] = store<T>(accumulate ? load(dx[i]) + g : g);
  }
}

/// partial[slice][weight] over samples [slice * perSlice, ...).
template <typename T>
__global__ void directWeightPartialKernel(ConvShape s, int64_t slices,
                                          int64_t perSlice, const T *x,
                                          const T *dy, float *partial) {
  const int64_t cg = s.c / s.groups, taps = s.kh * s.kw;
  const int64_t weights = s.o * cg * taps;
  CARDINAL_GRID_STRIDE(i, slices * weights) {
    const int64_t slice = i / weights, j = i % weights;
    const int64_t o = j / (cg * taps), ci = (j / taps) % cg, tap = j % taps;
    const int64_t n0 = slice * perSlice;
    const int64_t n1 = n0 + perSlice < s.n ? n0 + perSlice : s.n;
    partial[i] = convWeightGradPartial(s, x, dy, o, ci, tap / s.kw,
                                       tap % s.kw, n0, n1);
  }
}

} // namespace

template <typename T>
void directConvForward(Context &ctx, const ConvShape &s, const T *x,
                       const T *w, T *y) {
  if (s.outputSize() == 0)
    return;
  directForwardKernel<<<detail::blocksFor(s.outputSize()), detail::kThreads,
                        0, ctx.stream>>>(s, x, w, y);
  detail::checkLaunch("directConvForward");
}

template <typename T>
void directConvBackwardData(Context &ctx, const ConvShape &s, const T *dy,
                            const T *w, T *dx, bool accumulate) {
  if (s.inputSize() == 0)
    return;
  directBackwardDataKernel<<<detail::blocksFor(s.inputSize()),
                             detail::kThreads, 0, ctx.stream>>>(s, dy, w, dx,
                                                                accumulate);
  detail::checkLaunch("directConvBackwardData");
}

template <typename T>
void directConvBackwardWeight(Context &ctx, const ConvShape &s, const T *x,
                              const T *dy, float *dw) {
  const int64_t weights = s.weightSize();
  if (weights == 0)
    return;
  // Slices so that ~64k threads run, bounded by the batch and the workspace.
  int64_t slices = (65536 + weights - 1) / weights;
  slices = slices < s.n ? slices : s.n;
  const int64_t fit =
      static_cast<int64_t>(ctx.workspaceBytes / (sizeof(float) * weights));
  slices = slices < fit ? slices : (fit > 0 ? fit : 1);
  const int64_t perSlice = (s.n + slices - 1) / slices;
  slices = (s.n + perSlice - 1) / perSlice;
  float *partial =
      workspaceAs<float>(ctx, slices * weights, "directConvBackwardWeight");
  directWeightPartialKernel<<<detail::blocksFor(slices * weights),
                              detail::kThreads, 0, ctx.stream>>>(
      s, slices, perSlice, x, dy, partial);
  detail::sumSlicesKernel<void><<<detail::blocksFor(weights), detail::kThreads, 0,
                    ctx.stream>>>(weights, slices, partial, dw);
  detail::checkLaunch("directConvBackwardWeight");
}

#define INSTANTIATE(T)                                                         \
  template void directConvForward<T>(Context &, const ConvShape &, const T *, \
                                     const T *, T *);                          \
  template void directConvBackwardData<T>(Context &, const ConvShape &,       \
                                          const T *, const T *, T *, bool);   \
  template void directConvBackwardWeight<T>(Context &, const ConvShape &,     \
                                            const T *, const T *, float *);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
