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
#include <stdint.h>

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

/// The conv-level training fusion (runtime/kernels/BnApply.h): a BN whose
/// batch statistics (mean, invstd) are values from the producing conv's
/// epilogue, applied per channel as v = (x - mean) * a + b with
/// a = scale * invstd (scale/shift null: 1 and 0), exactly BnApply.h's
/// detail::BnCoeffs (a float product of two floats is what the CPU's double
/// product rounds to). The same map is the forward prologue and the
/// backward's recomputed ReLU mask, so both make the same decision: it is
/// one explicit fused multiply-add, rounded the same way in every kernel
/// and on the host whatever the compiler contracts (at most an ulp from the
/// CPU's separately rounded product and sum).
struct BnChannel {
  float mean, a, b;
  CARDINAL_HD float operator()(float x) const { return fmaf(x - mean, a, b); }
};
CARDINAL_HD inline BnChannel bnChannel(const float *mean, const float *invstd,
                                       const float *scale, const float *shift,
                                       int64_t c) {
  BnChannel k;
  k.mean = mean[c];
  k.a = (scale ? scale[c] : 1.f) * invstd[c];
  k.b = shift ? shift[c] : 0.f;
  return k;
}
/// relu(BN(x)): the prologue of bn_relu_conv2d* (and its weight gradient).
CARDINAL_HD inline float bnReluApply(const BnChannel &k, float x) {
  const float v = k(x);
  return v > 0.f ? v : 0.f;
}
/// relu(BN(x) + residual): nn.bn_add_relu.
CARDINAL_HD inline float bnAddRelu(const BnChannel &k, float x,
                                   float residual) {
  const float v = k(x) + residual;
  return v > 0.f ? v : 0.f;
}
/// The gradient reaching BN's output through a ReLU whose mask is
/// recomputed from x (nn.bn_relu_apply_grad): dy where relu(BN(x)) > 0.
CARDINAL_HD inline float bnReluRecomputedGrad(const BnChannel &k, float x,
                                              float dy) {
  return k(x) > 0.f ? dy : 0.f;
}

/// bnBackwardCoefs from the BN's parameter gradients instead of the sums
/// (nn.bn_relu_apply_grad_input: the conv backward-data took them):
/// dshift = Σdz and dscale = Σdz·(x - mean)·invstd, so Σdz·(x - mean) =
/// dscale / invstd (BnApply.cpp's bnReluApplyBackwardInput).
CARDINAL_HD inline BnBackwardCoefs bnBackwardCoefsFromGrads(
    float scale, float invStd, float dscale, float dshift, float count) {
  return bnBackwardCoefs(scale, invStd, dshift, dscale / invStd, count);
}

/// Batch statistics from a channel's Welford state (merged from per-block
/// partials): mean, 1/sqrt(biased var + eps), and the running statistics
/// updated as batchNormForwardTrain does (null running pointers: skipped).
struct BnBatchStats {
  float mean, invStd, runningMean, runningVar;
};
CARDINAL_HD inline BnBatchStats bnBatchStats(const Welford &w, float eps,
                                             float momentum,
                                             float runningMean,
                                             float runningVar) {
  BnBatchStats r;
  const float var = w.variance();
  r.mean = w.mean;
  r.invStd = bnInvStd(var, eps);
  r.runningMean = bnRunningMean(runningMean, w.mean, momentum);
  r.runningVar = bnRunningVar(runningVar, var, w.count, momentum);
  return r;
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_BNMATH_H
