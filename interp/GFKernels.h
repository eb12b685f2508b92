//===- GFKernels.h - channelwise non-linear ops over GF(2^61 - 1) ---------===//
//
// The exact check (DESIGN §4) replaces ReLU and BN's 1/sqrt by random keyed
// cubics φ_k(t) = a t³ + b t² + c t + d, a different one per channel. Two
// forms must then agree for *every* channelwise function, which is what
// "BN/ReLU commute with channel concat/slice" claims.
//
// Which φ a channel gets is decided by its label, a uint64 carried beside
// every GF tensor of rank >= 2 (channel = dim 1):
//   nn.input channel c      hash(input name, c)
//   conv / linear output    0 ("unlabeled": a fresh mix of channels)
//   BN output channel c     hash(scale_c, shift_c, running_mean_c, running_var_c)
//   relu, pools, slice,     propagate (slice/concat slice/concat the labels)
//   concat
//   add                     equal labels stay, else hash(min, max)
// BN labels come from the parameter values, so the same channel gets the same
// φ in every form once parameters are mapped (concatenated or split). BN's
// 1/sqrt is keyed by (label, eps): a changed eps is a different function.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_GFKERNELS_H
#define CARDINAL_INTERP_GFKERNELS_H

#include "interp/GF61.h"
#include "interp/Hash.h"
#include "interp/HostTensor.h"
#include "interp/Kernels.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

namespace cardinal::gf {

/// One label per channel (dim 1); empty for tensors of rank < 2.
using Labels = std::vector<uint64_t>;

/// φ_k(t) = a t³ + b t² + c t + d.
struct KeyedCubic {
  GF61 a, b, c, d;
  GF61 operator()(GF61 t) const { return ((a * t + b) * t + c) * t + d; }
};

/// φ_k's coefficients: four draws of splitmix64 seeded by (gfKey, k).
inline KeyedCubic keyedCubic(uint64_t gfKey, uint64_t k) {
  uint64_t state = hashCombine(gfKey, k);
  GF61 a = GF61::random(state), b = GF61::random(state),
       c = GF61::random(state), d = GF61::random(state);
  return {a, b, c, d};
}

/// The key of the function named `tag` ("relu", "rsqrt") on channel `label`.
inline uint64_t channelKey(std::string_view tag, uint64_t label) {
  return hashCombine(hashString(tag), label);
}

//===----------------------------------------------------------------------===//
// Labels.
//===----------------------------------------------------------------------===//

/// nn.input `name` of shape `shape`: channel c is hash(name, c).
inline Labels inputLabels(std::string_view name,
                          const std::vector<int64_t> &shape) {
  Labels l;
  if (shape.size() >= 2)
    for (int64_t c = 0; c < shape[1]; ++c)
      l.push_back(hashCombine(hashString(name), uint64_t(c)));
  return l;
}

/// Conv / linear outputs mix channels: all unlabeled (0).
inline Labels unlabeled(const std::vector<int64_t> &shape) {
  return shape.size() >= 2 ? Labels(shape[1], 0) : Labels();
}

/// add: equal labels stay, else hash(min, max) (symmetric, as add is).
inline uint64_t mergeLabel(uint64_t a, uint64_t b) {
  return a == b ? a : hashCombine(std::min(a, b), std::max(a, b));
}
inline Labels mergeLabels(const Labels &a, const Labels &b) {
  Labels l(a.size());
  for (size_t c = 0; c < a.size(); ++c)
    l[c] = mergeLabel(a[c], b[c]);
  return l;
}

/// BN output channel c: hash of its four parameter values.
inline Labels batchNormLabels(const HostTensor<GF61> &scale,
                              const HostTensor<GF61> &shift,
                              const HostTensor<GF61> &mean,
                              const HostTensor<GF61> &var) {
  Labels l(scale.numel());
  for (int64_t c = 0; c < scale.numel(); ++c) {
    uint64_t h = hashCombine(scale.data[c].v, shift.data[c].v);
    h = hashCombine(h, mean.data[c].v);
    l[c] = hashCombine(h, var.data[c].v);
  }
  return l;
}

//===----------------------------------------------------------------------===//
// Channelwise ops.
//===----------------------------------------------------------------------===//

/// relu on channel c: φ_{hash("relu", label_c)}.
inline HostTensor<GF61> relu(const HostTensor<GF61> &x, const Labels &labels,
                             uint64_t gfKey) {
  kernels::AxisSplit s = kernels::channelSplit(x.shape);
  HostTensor<GF61> y(x.shape);
  for (int64_t c = 0; c < s.extent; ++c) {
    // Rank < 2 has no channel dimension: one unlabeled channel.
    uint64_t label = labels.empty() ? 0 : labels[c];
    KeyedCubic phi = keyedCubic(gfKey, channelKey("relu", label));
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        int64_t at = (n * s.extent + c) * s.inner + j;
        y.data[at] = phi(x.data[at]);
      }
  }
  return y;
}

/// The key of BN's 1/sqrt(v + eps) on a channel. eps joins the key so that a
/// rewrite that changes eps changes the function (and is caught).
inline uint64_t rsqrtKey(uint64_t label, double eps) {
  uint64_t bits;
  static_assert(sizeof bits == sizeof eps);
  std::memcpy(&bits, &eps, sizeof bits);
  return hashCombine(channelKey("rsqrt", label), bits);
}

/// y = (x - mean_c) · scale_c · φ_{rsqrtKey(label_c, eps)}(var_c) + shift_c,
/// `labels` being the BN's output labels.
inline HostTensor<GF61>
batchNormApply(const HostTensor<GF61> &x, const HostTensor<GF61> &scale,
               const HostTensor<GF61> &shift, const std::vector<GF61> &mean,
               const std::vector<GF61> &var, const Labels &labels, double eps,
               uint64_t gfKey) {
  kernels::AxisSplit s = kernels::channelSplit(x.shape);
  HostTensor<GF61> y(x.shape);
  for (int64_t c = 0; c < s.extent; ++c) {
    KeyedCubic rsqrt = keyedCubic(gfKey, rsqrtKey(labels[c], eps));
    GF61 k = scale.data[c] * rsqrt(var[c]);
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        int64_t at = (n * s.extent + c) * s.inner + j;
        y.data[at] = (x.data[at] - mean[c]) * k + shift.data[c];
      }
  }
  return y;
}

/// Eval mode: the running statistics stand in for the batch's.
inline HostTensor<GF61>
batchNormEval(const HostTensor<GF61> &x, const HostTensor<GF61> &scale,
              const HostTensor<GF61> &shift, const HostTensor<GF61> &mean,
              const HostTensor<GF61> &var, const Labels &labels, double eps,
              uint64_t gfKey) {
  return batchNormApply(x, scale, shift, mean.data, var.data, labels, eps,
                        gfKey);
}

/// Training mode: μ_c = Σx · count⁻¹, v_c = Σ(x - μ_c)² · count⁻¹.
inline HostTensor<GF61>
batchNormTrain(const HostTensor<GF61> &x, const HostTensor<GF61> &scale,
               const HostTensor<GF61> &shift, const Labels &labels,
               double eps, uint64_t gfKey) {
  kernels::AxisSplit s = kernels::channelSplit(x.shape);
  const GF61 invCount = GF61::fromInt(s.outer * s.inner).inverse();
  std::vector<GF61> mean(s.extent), var(s.extent);
  for (int64_t c = 0; c < s.extent; ++c) {
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j)
        mean[c] += x.data[(n * s.extent + c) * s.inner + j];
    mean[c] *= invCount;
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        GF61 d = x.data[(n * s.extent + c) * s.inner + j] - mean[c];
        var[c] += d * d;
      }
    var[c] *= invCount;
  }
  return batchNormApply(x, scale, shift, mean, var, labels, eps, gfKey);
}

} // namespace cardinal::gf

#endif // CARDINAL_INTERP_GFKERNELS_H
