//===- ConcatSlice.cu - channel concat/slice as strided block copies ------===//
//
// On NCHW a channel range of one sample is one contiguous run, so every
// kernel here is "copy (or add) `rows` runs of `run` elements between two
// pitches"; a grid-stride loop over the flat index keeps neighbouring
// threads on neighbouring addresses (coalesced on both sides).
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/Launch.cuh"

namespace cardinal::rt::cuda {
namespace {

template <typename T>
__global__ void stridedCopyKernel(int64_t rows, int64_t run, const T *src,
                                  int64_t srcPitch, T *dst, int64_t dstPitch,
                                  bool accumulate) {
  CARDINAL_GRID_STRIDE(i, rows * run) {
    const int64_t r = i / run, k = i - r * run;
    const float v = load(src[r * srcPitch + k]);
    T &out = dst[r * dstPitch + k];
    out = store<T>(accumulate ? load(out) + v : v);
  }
}

/// dx over its whole extent: dy inside [begin, begin + len), zero outside.
template <typename T>
__global__ void sliceBackwardKernel(int64_t n, int64_t c, int64_t hw,
                                    int64_t begin, int64_t len, const T *dy,
                                    T *dx) {
  CARDINAL_GRID_STRIDE(i, n * c * hw) {
    const int64_t s = i / (c * hw), ch = (i / hw) % c, p = i % hw;
    const int64_t k = ch - begin;
    dx[i] = k >= 0 && k < len ? dy[(s * len + k) * hw + p] : store<T>(0.f);
  }
}

template <typename T>
void stridedCopy(Context &ctx, int64_t rows, int64_t run, const T *src,
                 int64_t srcPitch, T *dst, int64_t dstPitch, bool accumulate,
                 const char *what) {
  if (rows * run == 0)
    return;
  stridedCopyKernel<<<detail::blocksFor(rows * run), detail::kThreads, 0,
                      ctx.stream>>>(rows, run, src, srcPitch, dst, dstPitch,
                                    accumulate);
  detail::checkLaunch(what);
}

} // namespace

template <typename T>
void concatChannelsForward(Context &ctx, int64_t n, int64_t hw,
                           int64_t numInputs, const T *const *inputs,
                           const int64_t *channels, T *y) {
  int64_t total = 0;
  for (int64_t i = 0; i < numInputs; ++i)
    total += channels[i];
  int64_t offset = 0;
  for (int64_t i = 0; i < numInputs; ++i) {
    stridedCopy(ctx, n, channels[i] * hw, inputs[i], channels[i] * hw,
                y + offset * hw, total * hw, false, "concatChannelsForward");
    offset += channels[i];
  }
}

template <typename T>
void concatChannelsBackward(Context &ctx, int64_t n, int64_t hw,
                            int64_t numInputs, const int64_t *channels,
                            const T *dy, T *const *dxs, bool accumulate) {
  int64_t total = 0;
  for (int64_t i = 0; i < numInputs; ++i)
    total += channels[i];
  int64_t offset = 0;
  for (int64_t i = 0; i < numInputs; ++i) {
    stridedCopy(ctx, n, channels[i] * hw, dy + offset * hw, total * hw, dxs[i],
                channels[i] * hw, accumulate, "concatChannelsBackward");
    offset += channels[i];
  }
}

template <typename T>
void sliceChannelsForward(Context &ctx, int64_t n, int64_t c, int64_t hw,
                          int64_t begin, int64_t len, const T *x, T *y) {
  stridedCopy(ctx, n, len * hw, x + begin * hw, c * hw, y, len * hw, false,
              "sliceChannelsForward");
}

template <typename T>
void sliceChannelsBackward(Context &ctx, int64_t n, int64_t c, int64_t hw,
                           int64_t begin, int64_t len, const T *dy, T *dx,
                           bool accumulate) {
  if (accumulate) {
    stridedCopy(ctx, n, len * hw, dy, len * hw, dx + begin * hw, c * hw, true,
                "sliceChannelsBackward");
    return;
  }
  if (n * c * hw == 0)
    return;
  sliceBackwardKernel<<<detail::blocksFor(n * c * hw), detail::kThreads, 0,
                        ctx.stream>>>(n, c, hw, begin, len, dy, dx);
  detail::checkLaunch("sliceChannelsBackward");
}

#define INSTANTIATE(T)                                                         \
  template void concatChannelsForward<T>(Context &, int64_t, int64_t,         \
                                         int64_t, const T *const *,           \
                                         const int64_t *, T *);               \
  template void concatChannelsBackward<T>(Context &, int64_t, int64_t,        \
                                          int64_t, const int64_t *,           \
                                          const T *, T *const *, bool);       \
  template void sliceChannelsForward<T>(Context &, int64_t, int64_t, int64_t, \
                                        int64_t, int64_t, const T *, T *);    \
  template void sliceChannelsBackward<T>(Context &, int64_t, int64_t,         \
                                         int64_t, int64_t, int64_t,           \
                                         const T *, T *, bool);
CARDINAL_CUDA_INSTANTIATE(INSTANTIATE)

} // namespace cardinal::rt::cuda
