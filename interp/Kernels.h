//===- Kernels.h - reference kernels on HostTensor<T> ---------------------===//
//
// Plain loops, written to be read and trusted rather than to be fast: every
// later backend is checked against these. Generic over T where the op is
// linear (float, double, GF61); the non-linear float kernels (relu, max pool,
// batch norm, loss) are for float/double — GF61 has its own stand-ins in
// GFKernels.h. Callers pass shapes the op verifiers accepted; kernels only
// assert them.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_KERNELS_H
#define CARDINAL_INTERP_KERNELS_H

#include "interp/GF61.h"
#include "interp/HostTensor.h"
#include "ir/ShapeRules.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <vector>

namespace cardinal::kernels {

/// Keeps an argument out of template deduction (so `nullptr` binds).
template <typename T> struct NoDeduce { using type = T; };
template <typename T> using NoDeduceT = typename NoDeduce<T>::type;

/// sum / n in T: a division for floats, a multiply by n^-1 in the field.
template <typename T> T divideByCount(T sum, int64_t n) {
  return sum / static_cast<T>(n);
}
template <> inline GF61 divideByCount<GF61>(GF61 sum, int64_t n) {
  return sum * GF61::fromInt(n).inverse();
}

/// Splits `shape` around `axis`: outer (dims before), extent, inner (after).
struct AxisSplit {
  int64_t outer = 1, extent = 1, inner = 1;
};
inline AxisSplit splitAt(const std::vector<int64_t> &shape, int64_t axis) {
  AxisSplit s;
  for (int64_t d = 0; d < (int64_t)shape.size(); ++d)
    (d < axis ? s.outer : d == axis ? s.extent : s.inner) *= shape[d];
  return s;
}

/// Output extent of a sliding window (floor mode), as ShapeRules computes it.
inline int64_t windowOut(int64_t in, int64_t k, int64_t pad, int64_t stride,
                         int64_t dilation) {
  return (in + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
}

//===----------------------------------------------------------------------===//
// Linear ops: exact in every T.
//===----------------------------------------------------------------------===//

/// NCHW input, OIHW weight (I = C / groups), optional [O] bias.
template <typename T>
HostTensor<T> conv2d(const HostTensor<T> &x, const HostTensor<T> &w,
                     const NoDeduceT<HostTensor<T>> *bias,
                     const nn::Conv2dAttrs &a) {
  assert(x.shape.size() == 4 && w.shape.size() == 4);
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t O = w.shape[0], I = w.shape[1], KH = w.shape[2],
                KW = w.shape[3];
  const int64_t G = a.groups, OG = O / G;
  assert(C == I * G && O % G == 0);
  const int64_t OH = windowOut(H, KH, a.padding[0], a.strides[0], a.dilation[0]);
  const int64_t OW = windowOut(W, KW, a.padding[1], a.strides[1], a.dilation[1]);
  HostTensor<T> y({N, O, OH, OW});
  // Each output plane accumulates bias + Σ_i Σ_kh Σ_kw w · x in that order;
  // the pixel loop is innermost only so that memory is walked contiguously.
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      T *out = &y.data[(n * O + o) * OH * OW];
      if (bias)
        std::fill(out, out + OH * OW, bias->data[o]);
      const int64_t g = o / OG; // group of output channel o
      for (int64_t i = 0; i < I; ++i) {
        const T *in = &x.data[(n * C + g * I + i) * H * W];
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw) {
            const T wv = w.data[((o * I + i) * KH + kh) * KW + kw];
            for (int64_t oh = 0; oh < OH; ++oh) {
              int64_t ih = oh * a.strides[0] - a.padding[0] + kh * a.dilation[0];
              if (ih < 0 || ih >= H)
                continue; // zero padding
              for (int64_t ow = 0; ow < OW; ++ow) {
                int64_t iw =
                    ow * a.strides[1] - a.padding[1] + kw * a.dilation[1];
                if (iw >= 0 && iw < W)
                  out[oh * OW + ow] += wv * in[ih * W + iw];
              }
            }
          }
      }
    }
  return y;
}

/// y = x W^T + b: NxI input, OxI weight, optional [O] bias.
template <typename T>
HostTensor<T> linear(const HostTensor<T> &x, const HostTensor<T> &w,
                     const NoDeduceT<HostTensor<T>> *bias) {
  assert(x.shape.size() == 2 && w.shape.size() == 2 &&
         x.shape[1] == w.shape[1]);
  const int64_t N = x.shape[0], I = x.shape[1], O = w.shape[0];
  HostTensor<T> y({N, O});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      T acc = bias ? bias->data[o] : T();
      for (int64_t i = 0; i < I; ++i)
        acc += x.data[n * I + i] * w.data[o * I + i];
      y.data[n * O + o] = acc;
    }
  return y;
}

template <typename T>
HostTensor<T> add(const HostTensor<T> &a, const HostTensor<T> &b) {
  assert(a.shape == b.shape);
  HostTensor<T> y(a.shape);
  for (int64_t i = 0; i < a.numel(); ++i)
    y.data[i] = a.data[i] + b.data[i];
  return y;
}

/// Concatenation along `axis`; all other dims must agree.
template <typename T>
HostTensor<T> concat(const std::vector<const HostTensor<T> *> &xs,
                     int64_t axis) {
  assert(!xs.empty());
  std::vector<int64_t> shape = xs[0]->shape;
  shape[axis] = 0;
  for (const HostTensor<T> *x : xs)
    shape[axis] += x->shape[axis];
  HostTensor<T> y(shape);
  AxisSplit out = splitAt(shape, axis);
  int64_t offset = 0; // where the current operand starts along `axis`
  for (const HostTensor<T> *x : xs) {
    AxisSplit in = splitAt(x->shape, axis);
    for (int64_t o = 0; o < in.outer; ++o)
      for (int64_t e = 0; e < in.extent; ++e)
        for (int64_t i = 0; i < in.inner; ++i)
          y.data[(o * out.extent + offset + e) * out.inner + i] =
              x->data[(o * in.extent + e) * in.inner + i];
    offset += in.extent;
  }
  return y;
}

/// The [start, start + size) range of `axis`.
template <typename T>
HostTensor<T> slice(const HostTensor<T> &x, int64_t axis, int64_t start,
                    int64_t size) {
  assert(start >= 0 && size >= 0 && start + size <= x.shape[axis]);
  std::vector<int64_t> shape = x.shape;
  shape[axis] = size;
  HostTensor<T> y(shape);
  AxisSplit in = splitAt(x.shape, axis);
  for (int64_t o = 0; o < in.outer; ++o)
    for (int64_t e = 0; e < size; ++e)
      for (int64_t i = 0; i < in.inner; ++i)
        y.data[(o * size + e) * in.inner + i] =
            x.data[(o * in.extent + start + e) * in.inner + i];
  return y;
}

/// Mean over H and W: NxCxHxW -> NxC.
template <typename T> HostTensor<T> globalAvgPool(const HostTensor<T> &x) {
  assert(x.shape.size() == 4);
  const int64_t N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
  HostTensor<T> y({N, C});
  for (int64_t nc = 0; nc < N * C; ++nc) {
    T sum = T();
    for (int64_t i = 0; i < HW; ++i)
      sum += x.data[nc * HW + i];
    y.data[nc] = divideByCount(sum, HW);
  }
  return y;
}

/// Shared window walk of the 2-D pools: `reduce(acc, v)` over the in-bounds
/// positions of each window, starting from `init`; padding is skipped.
template <typename T, typename Reduce>
HostTensor<T> pool2d(const HostTensor<T> &x, const std::vector<int64_t> &k,
                     const std::vector<int64_t> &s,
                     const std::vector<int64_t> &p, T init, Reduce reduce) {
  assert(x.shape.size() == 4);
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = windowOut(H, k[0], p[0], s[0], 1);
  const int64_t OW = windowOut(W, k[1], p[1], s[1], 1);
  HostTensor<T> y({N, C, OH, OW});
  for (int64_t nc = 0; nc < N * C; ++nc)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        T acc = init;
        for (int64_t kh = 0; kh < k[0]; ++kh)
          for (int64_t kw = 0; kw < k[1]; ++kw) {
            int64_t ih = oh * s[0] - p[0] + kh, iw = ow * s[1] - p[1] + kw;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W)
              acc = reduce(acc, x.data[(nc * H + ih) * W + iw]);
          }
        y.data[(nc * OH + oh) * OW + ow] = acc;
      }
  return y;
}

/// Max pooling; padding counts as -inf (never wins).
template <typename T>
HostTensor<T> maxPool2d(const HostTensor<T> &x, const std::vector<int64_t> &k,
                        const std::vector<int64_t> &s,
                        const std::vector<int64_t> &p) {
  return pool2d(x, k, s, p, -std::numeric_limits<T>::infinity(),
                [](T a, T b) { return std::max(a, b); });
}

/// Sum over each window (padding adds 0): GF61's linear stand-in for max
/// pooling, which has no field counterpart. Both forms of a block pool the
/// same way, so the stand-in keeps equivalence checks meaningful.
template <typename T>
HostTensor<T> sumPool2d(const HostTensor<T> &x, const std::vector<int64_t> &k,
                        const std::vector<int64_t> &s,
                        const std::vector<int64_t> &p) {
  return pool2d(x, k, s, p, T(), [](T a, T b) { return a + b; });
}

//===----------------------------------------------------------------------===//
// Non-linear ops in float / double.
//===----------------------------------------------------------------------===//

template <typename T> HostTensor<T> relu(const HostTensor<T> &x) {
  HostTensor<T> y(x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    y.data[i] = x.data[i] > T(0) ? x.data[i] : T(0);
  return y;
}

/// Channel c of an NxC or NxCxHxW tensor is data[(n * C + c) * inner + j].
inline AxisSplit channelSplit(const std::vector<int64_t> &shape) {
  return splitAt(shape, 1);
}

/// (x - mean_c) * scale_c / sqrt(var_c + eps) + shift_c with given statistics.
template <typename T>
HostTensor<T> batchNormApply(const HostTensor<T> &x, const HostTensor<T> &scale,
                             const HostTensor<T> &shift,
                             const std::vector<T> &mean,
                             const std::vector<T> &var, double eps) {
  AxisSplit s = channelSplit(x.shape);
  HostTensor<T> y(x.shape);
  for (int64_t n = 0; n < s.outer; ++n)
    for (int64_t c = 0; c < s.extent; ++c) {
      T k = scale.data[c] / std::sqrt(var[c] + static_cast<T>(eps));
      for (int64_t j = 0; j < s.inner; ++j) {
        int64_t at = (n * s.extent + c) * s.inner + j;
        y.data[at] = (x.data[at] - mean[c]) * k + shift.data[c];
      }
    }
  return y;
}

/// Eval mode: normalizes with the running statistics.
template <typename T>
HostTensor<T> batchNormEval(const HostTensor<T> &x, const HostTensor<T> &scale,
                            const HostTensor<T> &shift,
                            const HostTensor<T> &runningMean,
                            const HostTensor<T> &runningVar, double eps) {
  return batchNormApply(x, scale, shift, runningMean.data, runningVar.data,
                        eps);
}

/// Per-channel mean and biased variance over N (and H, W).
template <typename T>
void batchStatistics(const HostTensor<T> &x, std::vector<T> &mean,
                     std::vector<T> &var) {
  AxisSplit s = channelSplit(x.shape);
  const int64_t count = s.outer * s.inner;
  mean.assign(s.extent, T(0));
  var.assign(s.extent, T(0));
  for (int64_t c = 0; c < s.extent; ++c) {
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j)
        mean[c] += x.data[(n * s.extent + c) * s.inner + j];
    mean[c] /= static_cast<T>(count);
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        T d = x.data[(n * s.extent + c) * s.inner + j] - mean[c];
        var[c] += d * d;
      }
    var[c] /= static_cast<T>(count);
  }
}

/// Training mode: normalizes with batch statistics (forward only; running
/// statistics are not updated here).
template <typename T>
HostTensor<T> batchNormTrain(const HostTensor<T> &x, const HostTensor<T> &scale,
                             const HostTensor<T> &shift, double eps) {
  std::vector<T> mean, var;
  batchStatistics(x, mean, var);
  return batchNormApply(x, scale, shift, mean, var, eps);
}

/// Mean over the batch of -log softmax(logits[n])[labels[n]]; rank-0 result.
/// `labels` holds integral class indices in [0, K) (checked by the caller).
template <typename T>
HostTensor<T> softmaxCrossEntropy(const HostTensor<T> &logits,
                                  const HostTensor<T> &labels) {
  assert(logits.shape.size() == 2 && labels.numel() == logits.shape[0]);
  const int64_t N = logits.shape[0], K = logits.shape[1];
  T total = T(0);
  for (int64_t n = 0; n < N; ++n) {
    const T *row = &logits.data[n * K];
    T mx = *std::max_element(row, row + K); // shift for a finite exp
    T sum = T(0);
    for (int64_t k = 0; k < K; ++k)
      sum += std::exp(row[k] - mx);
    int64_t label = static_cast<int64_t>(labels.data[n]);
    total += std::log(sum) + mx - row[label];
  }
  HostTensor<T> y(std::vector<int64_t>{});
  y.data[0] = total / static_cast<T>(N);
  return y;
}

} // namespace cardinal::kernels

#endif // CARDINAL_INTERP_KERNELS_H
