//===- ChannelLoops.h - the vector loops of BN, ReLU and their gradients ---===//
//
// Internal to the kernels. BN, BN+ReLU and their backward passes spend their
// time in a few loops over one channel of an NCHW tensor (n rows of hw
// contiguous elements, `stride` apart). They live here, out of the OpenMP
// regions, for two reasons measured on the ResNeXt-29 training step:
//  - GCC kept `mask ? dy : 0` with a conditional load as a scalar branch
//    (a mispredict per element: ~2 GB/s); the loops below load both sides
//    unconditionally so the select vectorizes.
//  - The library is built for baseline x86-64 (SSE2) so it runs anywhere;
//    these functions are compiled three times (AVX-512, AVX2+FMA,
//    baseline; ChannelLoopsBody.inc) and picked at run time at the direct
//    conv's vector level (DirectConvIsa.h), which tests can force.
// Sums are accumulated in double, as PyTorch's CPU BN does. The vector
// order of those sums depends on the level picked, so results can differ in
// the last bit between machines, never between runs on one machine.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_CHANNELLOOPS_H
#define CARDINAL_RUNTIME_KERNELS_CHANNELLOOPS_H

#include <cstdint>

namespace cardinal::rt::detail {

/// One channel of an NCHW tensor: element (i, j) is at i·stride + j for
/// image i < n and position j < hw, from the pointer passed with it.
struct ChannelRows {
  int64_t n, hw, stride;
};

/// Which gradient reaches BN's output through a ReLU (or none):
///  - None: g = dy;
///  - Output: g = y > 0 ? dy : 0, y the ReLU's stored output;
///  - Recompute: g = (x - mean)·a + b > 0 ? dy : 0, the ReLU decision
///    recomputed from BN's input (the conv-level fusion stores no output).
template <typename T> struct ReluMask {
  enum Kind { None, Output, Recompute } kind = None;
  const T *y = nullptr; // Output: the channel's first element, as x
  T mean = 0, a = 0, b = 0; // Recompute
};

/// Σ x.
template <typename T> double channelSum(ChannelRows r, const T *x);
/// Σ (x - mean)².
template <typename T>
double channelSquaredDeviation(ChannelRows r, const T *x, double mean);
/// y = (x - mean)·a + b [+ residual] [then ReLU]; residual may be null.
template <typename T>
void channelAffine(ChannelRows r, const T *x, T mean, T a, T b,
                   const T *residual, bool relu, T *y);

/// BN backward's two reductions of the masked gradient g: Σg and
/// Σg·(x - mean), added to sumDy and sumDyXmu; when `gOut` is not null, g
/// is also written there (the residual's gradient of a BN + add + ReLU).
template <typename T>
void channelGradSums(ChannelRows r, const T *x, const T *dy,
                     const ReluMask<T> &mask, double mean, double &sumDy,
                     double &sumDyXmu, T *gOut);
/// BN backward's input gradient: dx = (g - meanDy - (x - mean)·proj)·k.
template <typename T>
void channelGradInput(ChannelRows r, const T *x, const T *dy,
                      const ReluMask<T> &mask, T mean, T meanDy, T proj, T k,
                      T *dx);

/// out = m > 0 ? g : 0 over n contiguous elements (ReLU's backward).
template <typename T>
void maskPositive(int64_t n, const T *m, const T *g, T *out);

} // namespace cardinal::rt::detail

#endif // CARDINAL_RUNTIME_KERNELS_CHANNELLOOPS_H
