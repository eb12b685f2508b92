//===- FusedTrainKernels.h - reference loops of the conv-level BN fusion ---===//
//
// The ops of --nn-fuse-conv-bn-relu that carry BN statistics as values
// (nn.conv2d_stats, nn.bn_relu_conv2d, nn.bn_add_relu and their backward)
// need: the batch statistics of a tensor, BN applied with given statistics,
// and BN's gradient with given statistics. Each is the same arithmetic as
// the unfused BN's (Kernels.h, GradKernels.h, GFKernels.h), split at the
// statistics, so a fused graph evaluates to the unfused one's values.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_FUSEDTRAINKERNELS_H
#define CARDINAL_INTERP_FUSEDTRAINKERNELS_H

#include "interp/GFKernels.h"
#include "interp/GradKernels.h"
#include "interp/Kernels.h"

#include <cmath>

namespace cardinal::kernels {

/// Per-channel batch mean and 1/√(biased var + eps), as tensors [C].
template <typename T> struct BatchStats {
  HostTensor<T> mean, invstd;
};

template <typename T>
BatchStats<T> batchStats(const HostTensor<T> &x, double eps) {
  std::vector<T> mean, var;
  batchStatistics(x, mean, var);
  const int64_t c = static_cast<int64_t>(mean.size());
  BatchStats<T> s{HostTensor<T>({c}), HostTensor<T>({c})};
  for (int64_t i = 0; i < c; ++i) {
    s.mean.data[i] = mean[i];
    s.invstd.data[i] = T(1) / std::sqrt(var[i] + static_cast<T>(eps));
  }
  return s;
}

/// (x - mean_c)·(scale_c·invstd_c) + shift_c: BN with given statistics
/// (over GF, invstd is already the keyed 1/sqrt).
template <typename T>
HostTensor<T> batchNormWithStats(const HostTensor<T> &x,
                                 const HostTensor<T> &mean,
                                 const HostTensor<T> &invstd,
                                 const HostTensor<T> &scale,
                                 const HostTensor<T> &shift) {
  AxisSplit s = channelSplit(x.shape);
  HostTensor<T> y(x.shape);
  for (int64_t n = 0; n < s.outer; ++n)
    for (int64_t c = 0; c < s.extent; ++c) {
      const T k = scale.data[c] * invstd.data[c];
      for (int64_t j = 0; j < s.inner; ++j) {
        int64_t at = (n * s.extent + c) * s.inner + j;
        y.data[at] = (x.data[at] - mean.data[c]) * k + shift.data[c];
      }
    }
  return y;
}

/// BN's input gradient given the statistics and its two reductions
/// (sumDyXhat = Σdy·x̂, sumDy = Σdy per channel):
/// dx = scale·invstd·(dy − Σdy/M − x̂·Σdy·x̂/M).
template <typename T>
HostTensor<T> batchNormGradInputWithSums(
    const HostTensor<T> &dy, const HostTensor<T> &x, const HostTensor<T> &mean,
    const HostTensor<T> &invstd, const HostTensor<T> &scale,
    const HostTensor<T> &sumDyXhat, const HostTensor<T> &sumDy) {
  AxisSplit s = channelSplit(x.shape);
  const int64_t M = s.outer * s.inner;
  HostTensor<T> dx(x.shape);
  for (int64_t c = 0; c < s.extent; ++c) {
    const T mu = mean.data[c], is = invstd.data[c];
    const T meanDy = sumDy.data[c] / static_cast<T>(M),
            meanDyXhat = sumDyXhat.data[c] / static_cast<T>(M);
    const T k = scale.data[c] * is;
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        const int64_t at = (n * s.extent + c) * s.inner + j;
        T xhat = (x.data[at] - mu) * is;
        dx.data[at] = k * (dy.data[at] - meanDy - xhat * meanDyXhat);
      }
  }
  return dx;
}

/// batchNormGrad with the statistics given instead of recomputed.
template <typename T>
BatchNormGrads<T> batchNormGradWithStats(const HostTensor<T> &dy,
                                         const HostTensor<T> &x,
                                         const HostTensor<T> &mean,
                                         const HostTensor<T> &invstd,
                                         const HostTensor<T> &scale) {
  AxisSplit s = channelSplit(x.shape);
  BatchNormGrads<T> g{HostTensor<T>(x.shape), HostTensor<T>({s.extent}),
                      HostTensor<T>({s.extent})};
  for (int64_t c = 0; c < s.extent; ++c) {
    const T mu = mean.data[c], is = invstd.data[c];
    auto at = [&](int64_t n, int64_t j) {
      return (n * s.extent + c) * s.inner + j;
    };
    T sumDy = T(0), sumDyXhat = T(0);
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        sumDy += dy.data[at(n, j)];
        sumDyXhat += dy.data[at(n, j)] * (x.data[at(n, j)] - mu) * is;
      }
    g.scale.data[c] = sumDyXhat;
    g.shift.data[c] = sumDy;
  }
  g.input = batchNormGradInputWithSums(dy, x, mean, invstd, scale, g.scale,
                                       g.shift);
  return g;
}

} // namespace cardinal::kernels

namespace cardinal::gf {

/// Training BN's statistics over GF: μ_c = Σx·count⁻¹ and the keyed
/// 1/sqrt (keyed by the BN's output label and eps, as batchNormTrain's) of
/// v_c = Σ(x − μ_c)²·count⁻¹.
inline kernels::BatchStats<GF61> batchStats(const HostTensor<GF61> &x,
                                            const Labels &labels, double eps,
                                            uint64_t gfKey) {
  kernels::AxisSplit s = kernels::channelSplit(x.shape);
  const GF61 invCount = GF61::fromInt(s.outer * s.inner).inverse();
  kernels::BatchStats<GF61> r{HostTensor<GF61>({s.extent}),
                              HostTensor<GF61>({s.extent})};
  for (int64_t c = 0; c < s.extent; ++c) {
    GF61 mean, var;
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j)
        mean += x.data[(n * s.extent + c) * s.inner + j];
    mean *= invCount;
    for (int64_t n = 0; n < s.outer; ++n)
      for (int64_t j = 0; j < s.inner; ++j) {
        GF61 d = x.data[(n * s.extent + c) * s.inner + j] - mean;
        var += d * d;
      }
    var *= invCount;
    r.mean.data[c] = mean;
    r.invstd.data[c] = keyedCubic(gfKey, rsqrtKey(labels[c], eps))(var);
  }
  return r;
}

} // namespace cardinal::gf

#endif // CARDINAL_INTERP_FUSEDTRAINKERNELS_H
