//===- BnMath.h - batch-norm statistics, apply and backward formulas ------===//
//
// Statistics: each thread runs Welford's update over its elements and the
// per-thread states are combined with Chan et al.'s pairwise merge, so the
// variance never comes from E[x^2] - E[x]^2 (no cancellation when
// |mean| >> std), in fp32 on the device. Apply, running-statistics update
// and backward follow runtime/kernels/BatchNorm.cpp term for term.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_BNMATH_H
#define CARDINAL_RUNTIME_CUDA_MATH_BNMATH_H

#include "runtime/cuda/HostDevice.h"

#include <math.h>

namespace cardinal::rt::cuda {

/// Running mean and sum of squared deviations (m2) of `count` values.
struct Welford {
  float count = 0.f, mean = 0.f, m2 = 0.f;

  CARDINAL_HD void add(float v) {
    count += 1.f;
    const float d = v - mean;
    mean += d / count;
    m2 += d * (v - mean);
  }
  /// Chan's merge: the state of the union of both value sets.
  CARDINAL_HD void merge(const Welford &b) {
    if (b.count == 0.f)
      return;
    if (count == 0.f) {
      *this = b;
      return;
    }
    const float n = count + b.count, d = b.mean - mean;
    mean += d * (b.count / n);
    m2 += b.m2 + d * d * (count * (b.count / n));
    count = n;
  }
  /// Biased (population) variance, what BN normalizes with.
  CARDINAL_HD float variance() const { return count > 0.f ? m2 / count : 0.f; }
};

CARDINAL_HD inline float bnInvStd(float var, float eps) {
  return 1.f / sqrtf(var + eps);
}

/// (x - mean) * (scale * invStd) + shift, then ReLU if asked; scale/shift
/// already resolved (1 and 0 without affine).
CARDINAL_HD inline float bnApply(float x, float mean, float a, float b,
                                 bool relu) {
  const float v = (x - mean) * a + b;
  return relu ? (v > 0.f ? v : 0.f) : v;
}

/// running = (1 - momentum) * running + momentum * batch; the variance
/// entry gets the unbiased batch variance.
CARDINAL_HD inline float bnRunningMean(float running, float mean,
                                       float momentum) {
  return (1.f - momentum) * running + momentum * mean;
}
CARDINAL_HD inline float bnRunningVar(float running, float biasedVar,
                                      float count, float momentum) {
  const float unbiased = count > 1.f ? biasedVar * count / (count - 1.f)
                                     : biasedVar;
  return (1.f - momentum) * running + momentum * unbiased;
}

/// The per-channel constants of the backward, from sum(dy) and
/// sum(dy * (x - mean)) over the channel's `count` elements:
///   dx = (dy - meanDy - (x - mean) * proj) * k.
struct BnBackwardCoefs {
  float k, meanDy, proj;
};
CARDINAL_HD inline BnBackwardCoefs bnBackwardCoefs(float scale, float invStd,
                                                   float sumDy,
                                                   float sumDyXmu,
                                                   float count) {
  BnBackwardCoefs c;
  c.k = scale * invStd;
  c.meanDy = sumDy / count;
  c.proj = sumDyXmu / count * invStd * invStd;
  return c;
}
CARDINAL_HD inline float bnBackwardElement(const BnBackwardCoefs &c, float dy,
                                           float x, float mean) {
  return (dy - c.meanDy - (x - mean) * c.proj) * c.k;
}

/// dReLU folded into the BN backward: the gradient reaching the BN output.
CARDINAL_HD inline float reluGrad(float yOrX, float dy) {
  return yOrX > 0.f ? dy : 0.f;
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_BNMATH_H
