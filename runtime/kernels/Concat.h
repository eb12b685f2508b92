//===- Concat.h - channel (axis 1) concatenation and slicing ---------------===//
//
// On NCHW tensors a channel range of one sample is one contiguous run of
// c*h*w elements, so these are strided block copies. `hw` is h*w (1 for
// [N, C] tensors). Backward kernels overwrite their outputs unless
// `accumulate` is set (then they add into them).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_CONCAT_H
#define CARDINAL_RUNTIME_KERNELS_CONCAT_H

#include <cstdint>

namespace cardinal::rt {

/// y[n, sum(channels), hw] = concat of inputs[i][n, channels[i], hw].
template <typename T>
void concatChannelsForward(int64_t n, int64_t hw, int64_t numInputs,
                           const T *const *inputs, const int64_t *channels,
                           T *y);

/// dxs[i] = the channel range of dy that input i was copied to.
template <typename T>
void concatChannelsBackward(int64_t n, int64_t hw, int64_t numInputs,
                            const int64_t *channels, const T *dy,
                            T *const *dxs, bool accumulate = false);

/// y[n, len, hw] = x[n, begin:begin+len, hw] of x[n, c, hw].
template <typename T>
void sliceChannelsForward(int64_t n, int64_t c, int64_t hw, int64_t begin,
                          int64_t len, const T *x, T *y);

/// dx[n, begin:begin+len, hw] = dy; without `accumulate` the rest of dx is
/// zeroed, with it dy is added into the range and the rest is untouched.
template <typename T>
void sliceChannelsBackward(int64_t n, int64_t c, int64_t hw, int64_t begin,
                           int64_t len, const T *dy, T *dx,
                           bool accumulate = false);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_CONCAT_H
