//===- GradKernels.h - reference kernels of the backward ops --------------===//
//
// The vector-Jacobian products that --nn-autodiff emits (ir/NNGradOps.td), as
// plain loops over HostTensor<T> in float / double: each is the transpose of
// the forward loop of Kernels.h, walked in the same order, so that reading
// the two side by side is the proof. GF(2^61-1) has no backward semantics
// (the interpreter reports these ops as unsupported there).
//
// Shapes are those the op verifiers accepted; where the forward op loses
// information (the input extent of a strided conv, of a slice, of a pool),
// the caller passes the result shape the op declares.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_GRADKERNELS_H
#define CARDINAL_INTERP_GRADKERNELS_H

#include "interp/Kernels.h"

#include <cassert>
#include <cmath>
#include <cstdint>
#include <vector>

namespace cardinal::kernels {

/// d(input) of conv2d: every dy[n, o, oh, ow] flows back to each input pixel
/// it read, weighted by the weight it was read with (a transposed conv).
/// `inputShape` is the forward input's NCHW shape.
template <typename T>
HostTensor<T> conv2dGradInput(const HostTensor<T> &dy, const HostTensor<T> &w,
                              const nn::Conv2dAttrs &a,
                              const std::vector<int64_t> &inputShape) {
  assert(dy.shape.size() == 4 && w.shape.size() == 4 &&
         inputShape.size() == 4);
  const int64_t N = inputShape[0], C = inputShape[1], H = inputShape[2],
                W = inputShape[3];
  const int64_t O = w.shape[0], I = w.shape[1], KH = w.shape[2],
                KW = w.shape[3];
  const int64_t OH = dy.shape[2], OW = dy.shape[3];
  const int64_t G = a.groups, OG = O / G;
  assert(C == I * G && dy.shape[0] == N && dy.shape[1] == O);
  HostTensor<T> dx(inputShape);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      const T *g = &dy.data[(n * O + o) * OH * OW];
      const int64_t grp = o / OG;
      for (int64_t i = 0; i < I; ++i) {
        T *out = &dx.data[(n * C + grp * I + i) * H * W];
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw) {
            const T wv = w.data[((o * I + i) * KH + kh) * KW + kw];
            for (int64_t oh = 0; oh < OH; ++oh) {
              int64_t ih = oh * a.strides[0] - a.padding[0] + kh * a.dilation[0];
              if (ih < 0 || ih >= H)
                continue; // read zero padding: no gradient
              for (int64_t ow = 0; ow < OW; ++ow) {
                int64_t iw =
                    ow * a.strides[1] - a.padding[1] + kw * a.dilation[1];
                if (iw >= 0 && iw < W)
                  out[ih * W + iw] += wv * g[oh * OW + ow];
              }
            }
          }
      }
    }
  return dx;
}

/// d(weight) of conv2d: dw[o, i, kh, kw] = Σ_{n, oh, ow} dy[n, o, oh, ow] ·
/// x[n, group(o)·I + i, ih, iw] over the in-bounds taps. `weightShape` is
/// the forward weight's OIHW shape.
template <typename T>
HostTensor<T> conv2dGradWeight(const HostTensor<T> &x, const HostTensor<T> &dy,
                               const nn::Conv2dAttrs &a,
                               const std::vector<int64_t> &weightShape) {
  assert(x.shape.size() == 4 && dy.shape.size() == 4 &&
         weightShape.size() == 4);
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t O = weightShape[0], I = weightShape[1], KH = weightShape[2],
                KW = weightShape[3];
  const int64_t OH = dy.shape[2], OW = dy.shape[3];
  const int64_t G = a.groups, OG = O / G;
  assert(C == I * G && dy.shape[0] == N && dy.shape[1] == O);
  HostTensor<T> dw(weightShape);
  for (int64_t o = 0; o < O; ++o) {
    const int64_t grp = o / OG;
    for (int64_t i = 0; i < I; ++i)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw) {
          T acc = T(0);
          for (int64_t n = 0; n < N; ++n) {
            const T *in = &x.data[(n * C + grp * I + i) * H * W];
            const T *g = &dy.data[(n * O + o) * OH * OW];
            for (int64_t oh = 0; oh < OH; ++oh) {
              int64_t ih = oh * a.strides[0] - a.padding[0] + kh * a.dilation[0];
              if (ih < 0 || ih >= H)
                continue;
              for (int64_t ow = 0; ow < OW; ++ow) {
                int64_t iw =
                    ow * a.strides[1] - a.padding[1] + kw * a.dilation[1];
                if (iw >= 0 && iw < W)
                  acc += g[oh * OW + ow] * in[ih * W + iw];
              }
            }
          }
          dw.data[((o * I + i) * KH + kh) * KW + kw] = acc;
        }
  }
  return dw;
}

/// Σ of dy over every axis but 1 (the bias of conv2d and linear).
template <typename T> HostTensor<T> biasGrad(const HostTensor<T> &dy) {
  assert(dy.shape.size() >= 2);
  AxisSplit s = channelSplit(dy.shape);
  HostTensor<T> db({s.extent});
  for (int64_t c = 0; c < s.extent; ++c) {
    T acc = T(0);
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j)
        acc += dy.data[(n * s.extent + c) * s.inner + j];
    db.data[c] = acc;
  }
  return db;
}

/// The three gradients of training-mode batch norm.
template <typename T> struct BatchNormGrads {
  HostTensor<T> input, scale, shift;
};

/// Training-mode BN backward. Recomputes the batch mean μ and biased
/// variance σ² of `x` (batchStatistics, as the forward does); with
/// invstd = 1/√(σ² + eps), x̂ = (x − μ)·invstd and M = N·H·W per channel:
///   dx = scale·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)),
///   dscale = Σ dy·x̂,  dshift = Σ dy.
template <typename T>
BatchNormGrads<T> batchNormGrad(const HostTensor<T> &dy, const HostTensor<T> &x,
                                const HostTensor<T> &scale, double eps) {
  assert(dy.shape == x.shape && x.shape.size() >= 2);
  AxisSplit s = channelSplit(x.shape);
  assert(scale.numel() == s.extent);
  const int64_t M = s.outer * s.inner;
  std::vector<T> mean, var;
  batchStatistics(x, mean, var);
  BatchNormGrads<T> g{HostTensor<T>(x.shape), HostTensor<T>({s.extent}),
                      HostTensor<T>({s.extent})};
  for (int64_t c = 0; c < s.extent; ++c) {
    const T invstd = T(1) / std::sqrt(var[c] + static_cast<T>(eps));
    auto at = [&](int64_t n, int64_t j) { return (n * s.extent + c) * s.inner + j; };
    T sumDy = T(0), sumDyXhat = T(0);
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        T xhat = (x.data[at(n, j)] - mean[c]) * invstd;
        sumDy += dy.data[at(n, j)];
        sumDyXhat += dy.data[at(n, j)] * xhat;
      }
    g.scale.data[c] = sumDyXhat;
    g.shift.data[c] = sumDy;
    const T meanDy = sumDy / static_cast<T>(M),
            meanDyXhat = sumDyXhat / static_cast<T>(M);
    const T k = scale.data[c] * invstd;
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        T xhat = (x.data[at(n, j)] - mean[c]) * invstd;
        g.input.data[at(n, j)] =
            k * (dy.data[at(n, j)] - meanDy - xhat * meanDyXhat);
      }
  }
  return g;
}

/// dy where the relu's output y > 0, else 0.
template <typename T>
HostTensor<T> reluGrad(const HostTensor<T> &dy, const HostTensor<T> &y) {
  assert(dy.shape == y.shape);
  HostTensor<T> dx(dy.shape);
  for (int64_t i = 0; i < dy.numel(); ++i)
    dx.data[i] = y.data[i] > T(0) ? dy.data[i] : T(0);
  return dx;
}

/// d(input) of slice: zeros of `inputShape` with dy at [start, start + size)
/// of `axis` (size = dy's extent there).
template <typename T>
HostTensor<T> sliceGrad(const HostTensor<T> &dy, int64_t axis, int64_t start,
                        const std::vector<int64_t> &inputShape) {
  const int64_t size = dy.shape[axis];
  assert(start >= 0 && start + size <= inputShape[axis]);
  HostTensor<T> dx(inputShape);
  AxisSplit in = splitAt(inputShape, axis);
  for (int64_t o = 0; o < in.outer; ++o)
    for (int64_t e = 0; e < size; ++e)
      for (int64_t i = 0; i < in.inner; ++i)
        dx.data[(o * in.extent + start + e) * in.inner + i] =
            dy.data[(o * size + e) * in.inner + i];
  return dx;
}

/// d(input) of max pooling: each dy goes to the FIRST maximum of its window
/// (in kh-major, kw-minor order, in-bounds positions only: padding never
/// wins); overlapping windows accumulate.
template <typename T>
HostTensor<T> maxPool2dGrad(const HostTensor<T> &dy, const HostTensor<T> &x,
                            const std::vector<int64_t> &k,
                            const std::vector<int64_t> &s,
                            const std::vector<int64_t> &p) {
  assert(x.shape.size() == 4 && dy.shape.size() == 4);
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = dy.shape[2], OW = dy.shape[3];
  HostTensor<T> dx(x.shape);
  for (int64_t nc = 0; nc < N * C; ++nc)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t arg = -1; // flat index of the first maximum
        for (int64_t kh = 0; kh < k[0]; ++kh)
          for (int64_t kw = 0; kw < k[1]; ++kw) {
            int64_t ih = oh * s[0] - p[0] + kh, iw = ow * s[1] - p[1] + kw;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W)
              continue;
            int64_t at = (nc * H + ih) * W + iw;
            if (arg < 0 || x.data[at] > x.data[arg]) // strict: first wins
              arg = at;
          }
        if (arg >= 0) // a window wholly in padding reads nothing
          dx.data[arg] += dy.data[(nc * OH + oh) * OW + ow];
      }
  return dx;
}

/// d(input) of the global average pool: dy[n, c] / (H·W) at every pixel.
template <typename T>
HostTensor<T> globalAvgPoolGrad(const HostTensor<T> &dy,
                                const std::vector<int64_t> &inputShape) {
  assert(dy.shape.size() == 2 && inputShape.size() == 4);
  const int64_t NC = dy.shape[0] * dy.shape[1],
                HW = inputShape[2] * inputShape[3];
  HostTensor<T> dx(inputShape);
  for (int64_t nc = 0; nc < NC; ++nc)
    for (int64_t i = 0; i < HW; ++i)
      dx.data[nc * HW + i] = divideByCount(dy.data[nc], HW);
  return dx;
}

/// d(input) of linear: dx = dy W (NxO times OxI).
template <typename T>
HostTensor<T> linearGradInput(const HostTensor<T> &dy, const HostTensor<T> &w) {
  assert(dy.shape.size() == 2 && w.shape.size() == 2 &&
         dy.shape[1] == w.shape[0]);
  const int64_t N = dy.shape[0], O = w.shape[0], I = w.shape[1];
  HostTensor<T> dx({N, I});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < I; ++i) {
      T acc = T(0);
      for (int64_t o = 0; o < O; ++o)
        acc += dy.data[n * O + o] * w.data[o * I + i];
      dx.data[n * I + i] = acc;
    }
  return dx;
}

/// d(weight) of linear: dW = dy^T x (OxN times NxI).
template <typename T>
HostTensor<T> linearGradWeight(const HostTensor<T> &x, const HostTensor<T> &dy) {
  assert(x.shape.size() == 2 && dy.shape.size() == 2 &&
         x.shape[0] == dy.shape[0]);
  const int64_t N = x.shape[0], I = x.shape[1], O = dy.shape[1];
  HostTensor<T> dw({O, I});
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < I; ++i) {
      T acc = T(0);
      for (int64_t n = 0; n < N; ++n)
        acc += dy.data[n * O + o] * x.data[n * I + i];
      dw.data[o * I + i] = acc;
    }
  return dw;
}

/// d(mean loss)/d(logits) of softmaxCrossEntropy: (softmax − onehot) / N.
/// `labels` holds integral class indices in [0, K) (checked by the caller).
template <typename T>
HostTensor<T> softmaxCrossEntropyGrad(const HostTensor<T> &logits,
                                      const HostTensor<T> &labels) {
  assert(logits.shape.size() == 2 && labels.numel() == logits.shape[0]);
  const int64_t N = logits.shape[0], K = logits.shape[1];
  HostTensor<T> d(logits.shape);
  for (int64_t n = 0; n < N; ++n) {
    const T *row = &logits.data[n * K];
    T mx = *std::max_element(row, row + K); // shift for a finite exp
    T sum = T(0);
    for (int64_t k = 0; k < K; ++k)
      sum += std::exp(row[k] - mx);
    int64_t label = static_cast<int64_t>(labels.data[n]);
    for (int64_t k = 0; k < K; ++k) {
      T p = std::exp(row[k] - mx) / sum;
      d.data[n * K + k] = (p - (k == label ? T(1) : T(0))) / static_cast<T>(N);
    }
  }
  return d;
}

} // namespace cardinal::kernels

#endif // CARDINAL_INTERP_GRADKERNELS_H
