//===- MathFusedBnTest.cpp - math/BnMath.h's fused BN vs the CPU kernels --===//
//
// The conv-level training fusion's arithmetic (BnChannel and its prologue /
// add+ReLU / recomputed-mask functions, bnBatchStats) replayed on the host
// the way the CUDA kernels use it, against runtime/kernels' BnApply.h and
// ConvStats.h:
//  - the per-channel map equals detail::BnCoeffs (so the device prologue
//    and backward mask make the CPU's ReLU decisions), affine or not;
//  - bn_add_relu, bn_relu_apply_grad and bn_add_relu_grad element by
//    element, with the backward's sums taken per slice as the kernels do;
//  - batch statistics from per-block Welford partials (the grouped conv
//    epilogue's blocks of output rows, merged as bnFinalizePartsKernel
//    does) against conv2dStatsForward's, with |mean| >> std.
//
//===----------------------------------------------------------------------===//
#include "CudaTestUtil.h"

#include "runtime/cuda/math/BnMath.h"
#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/ConvStats.h"

#include <gtest/gtest.h>

namespace cardinal::rt::cuda {
namespace {

using test::randomFloats;
using test::relError;

struct Bn {
  std::vector<float> mean, invstd, scale, shift;
  Bn(std::mt19937 &rng, int64_t c, float offset = 0.f)
      : mean(randomFloats(rng, c, offset - 0.5f, offset + 0.5f)),
        invstd(randomFloats(rng, c, 0.5f, 2.f)),
        scale(randomFloats(rng, c, -0.5f, 1.5f)),
        shift(randomFloats(rng, c, -0.5f, 0.5f)) {}
};

TEST(MathFusedBnTest, ChannelMapIsTheCpuPrologue) {
  std::mt19937 rng(5);
  const ActShape s{3, 4, 5, 6};
  const auto x = randomFloats(rng, s.size(), -1.f, 3.f);
  Bn bn(rng, s.c, 1.f);
  for (bool affine : {true, false}) {
    const float *scale = affine ? bn.scale.data() : nullptr;
    const float *shift = affine ? bn.shift.data() : nullptr;
    std::vector<float> ref(s.size()), got(s.size());
    rt::detail::normalizeReluImages<float>(0, s.n, s.c, s.hw(), x.data(),
                                           bn.mean.data(), bn.invstd.data(),
                                           scale, shift, ref.data());
    int64_t positive = 0;
    for (int64_t i = 0; i < s.size(); ++i) {
      const int64_t c = (i / s.hw()) % s.c;
      const BnChannel k =
          bnChannel(bn.mean.data(), bn.invstd.data(), scale, shift, c);
      const rt::detail::BnCoeffs<float> cpu(bn.mean.data(), bn.invstd.data(),
                                            scale, shift, c);
      EXPECT_EQ(k.a, cpu.a) << "channel " << c;
      EXPECT_EQ(k.b, cpu.b);
      got[i] = bnReluApply(k, x[i]);
      positive += got[i] > 0.f;
      // The backward's recomputed mask is the prologue's ReLU decision.
      EXPECT_EQ(bnReluRecomputedGrad(k, x[i], 1.f), got[i] > 0.f ? 1.f : 0.f);
    }
    EXPECT_LT(relError(got, ref), 1e-6) << (affine ? "affine" : "plain");
    EXPECT_GT(positive, s.size() / 8); // both sides of the ReLU are covered
    EXPECT_LT(positive, s.size() * 7 / 8);
  }
}

TEST(MathFusedBnTest, AddReluForward) {
  std::mt19937 rng(6);
  const ActShape s{2, 3, 4, 7};
  const auto x = randomFloats(rng, s.size(), -1.f, 3.f),
             res = randomFloats(rng, s.size());
  Bn bn(rng, s.c, 1.f);
  std::vector<float> ref(s.size()), got(s.size());
  rt::bnAddReluForward<float>(s, x.data(), bn.mean.data(), bn.invstd.data(),
                              bn.scale.data(), bn.shift.data(), res.data(),
                              ref.data());
  for (int64_t i = 0; i < s.size(); ++i)
    got[i] = bnAddRelu(bnChannel(bn.mean.data(), bn.invstd.data(),
                                 bn.scale.data(), bn.shift.data(),
                                 (i / s.hw()) % s.c),
                       x[i], res[i]);
  EXPECT_LT(relError(got, ref), 1e-6);
}

/// The fused BN backward as the kernels compute it: per channel, `slices`
/// contiguous slices of n*hw elements summed in fp32, the slices added in
/// order (bnFinalizeGradKernel), then the element formula. y non-null:
/// bn_add_relu_grad's mask (y > 0), else relu(BN(x)) recomputed.
void replayBackward(const ActShape &s, int64_t slices,
                    const std::vector<float> &x, const float *y,
                    const std::vector<float> &dy, const Bn &bn,
                    const float *shift, std::vector<float> &dx,
                    std::vector<float> &dres, std::vector<float> &dscale,
                    std::vector<float> &dshift) {
  const int64_t hw = s.hw(), count = s.n * hw,
                per = (count + slices - 1) / slices;
  for (int64_t c = 0; c < s.c; ++c) {
    const BnChannel k = bnChannel(bn.mean.data(), bn.invstd.data(),
                                  bn.scale.data(), shift, c);
    auto at = [&](int64_t i) { return (i / hw * s.c + c) * hw + i % hw; };
    auto masked = [&](int64_t a) {
      return y ? reluGrad(y[a], dy[a]) : bnReluRecomputedGrad(k, x[a], dy[a]);
    };
    float sumDy = 0.f, sumDyXmu = 0.f;
    for (int64_t sl = 0; sl < slices; ++sl) {
      float a = 0.f, b = 0.f;
      for (int64_t i = sl * per; i < std::min(count, (sl + 1) * per); ++i) {
        const float g = masked(at(i));
        dres[at(i)] = g;
        a += g;
        b += g * (x[at(i)] - k.mean);
      }
      sumDy += a;
      sumDyXmu += b;
    }
    const BnBackwardCoefs co = bnBackwardCoefs(
        bn.scale[c], bn.invstd[c], sumDy, sumDyXmu, float(count));
    for (int64_t i = 0; i < count; ++i)
      dx[at(i)] = bnBackwardElement(co, masked(at(i)), x[at(i)], k.mean);
    dscale[c] = sumDyXmu * bn.invstd[c];
    dshift[c] = sumDy;
  }
}

TEST(MathFusedBnTest, ApplyGradAndAddReluGrad) {
  std::mt19937 rng(7);
  const ActShape s{6, 3, 9, 11};
  const auto x = randomFloats(rng, s.size(), -1.f, 3.f),
             res = randomFloats(rng, s.size()),
             dy = randomFloats(rng, s.size());
  Bn bn(rng, s.c, 1.f);
  std::vector<float> y(s.size());
  rt::bnAddReluForward<float>(s, x.data(), bn.mean.data(), bn.invstd.data(),
                              bn.scale.data(), bn.shift.data(), res.data(),
                              y.data());
  for (int64_t slices : {1, 3}) {
    for (bool addRelu : {true, false}) {
      std::vector<float> dx(s.size()), dres(s.size()), ds(s.c), db(s.c);
      std::vector<float> gdx(s.size()), gdres(s.size()), gds(s.c), gdb(s.c);
      if (addRelu)
        rt::bnAddReluBackward<float>(s, x.data(), y.data(), dy.data(),
                                     bn.mean.data(), bn.invstd.data(),
                                     bn.scale.data(), dx.data(), dres.data(),
                                     ds.data(), db.data());
      else
        rt::bnReluApplyBackward<float>(
            s, x.data(), dy.data(), bn.mean.data(), bn.invstd.data(),
            bn.scale.data(), bn.shift.data(), dx.data(), ds.data(), db.data());
      replayBackward(s, slices, x, addRelu ? y.data() : nullptr, dy, bn,
                     addRelu ? nullptr : bn.shift.data(), gdx, gdres, gds,
                     gdb);
      const std::string what = std::string(addRelu ? "bn_add_relu_grad"
                                                   : "bn_relu_apply_grad") +
                               ", " + std::to_string(slices) + " slices";
      EXPECT_LT(relError(gdx, dx), 1e-5) << what;
      EXPECT_LT(relError(gds, ds), 1e-5) << what;
      EXPECT_LT(relError(gdb, db), 1e-5) << what;
      if (addRelu) {
        EXPECT_EQ(relError(gdres, dres), 0.0) << what;
      }
    }
  }
}

TEST(MathFusedBnTest, BackwardInputFromParameterGradients) {
  // nn.bn_relu_apply_grad_input: the dx constants from dscale/dshift equal
  // those from the sums they came from.
  std::mt19937 rng(9);
  const ActShape s{5, 3, 6, 7};
  const auto x = randomFloats(rng, s.size(), -1.f, 3.f),
             dy = randomFloats(rng, s.size());
  Bn bn(rng, s.c, 1.f);
  std::vector<float> dx(s.size()), ds(s.c), db(s.c), ref(s.size());
  rt::bnReluApplyBackward<float>(s, x.data(), dy.data(), bn.mean.data(),
                                 bn.invstd.data(), bn.scale.data(),
                                 bn.shift.data(), dx.data(), ds.data(),
                                 db.data());
  rt::bnReluApplyBackwardInput<float>(
      s, x.data(), dy.data(), bn.mean.data(), bn.invstd.data(),
      bn.scale.data(), bn.shift.data(), ds.data(), db.data(), ref.data());
  std::vector<float> got(s.size());
  for (int64_t i = 0; i < s.size(); ++i) {
    const int64_t c = (i / s.hw()) % s.c;
    const BnChannel k = bnChannel(bn.mean.data(), bn.invstd.data(),
                                  bn.scale.data(), bn.shift.data(), c);
    const BnBackwardCoefs co = bnBackwardCoefsFromGrads(
        bn.scale[c], bn.invstd[c], ds[c], db[c], float(s.n * s.hw()));
    got[i] = bnBackwardElement(co, bnReluRecomputedGrad(k, x[i], dy[i]), x[i],
                               k.mean);
  }
  EXPECT_LT(relError(got, ref), 1e-5);
  EXPECT_LT(relError(got, dx), 1e-5);
}

/// conv2d_stats's statistics from the grouped kernel's per-block partials:
/// a block holds `rows` output rows of one sample and channel (one value
/// per thread; each warp's shuffle tree, then the warps in order), partial
/// p = n * tiles + tile; the finalize block's thread t merges partials
/// t, t + 256, ... then the block's tree.
TEST(MathFusedBnTest, StatisticsFromBlockPartials) {
  std::mt19937 rng(8);
  for (float offset : {0.f, 1000.f}) {
    // A 1x1 conv with one input channel and weight 1: y = x, so the CPU
    // kernel's statistics are those of x.
    const ConvShape s = ConvShape::make(9, 1, 13, 17, 1, 1, 1, 1, 0, 1, 1);
    const auto x = randomFloats(rng, s.inputSize(), offset - 1.f, offset + 1.f);
    const float w = 1.f, eps = 1e-5f, momentum = 0.1f;
    std::vector<float> y(s.outputSize());
    float mean, inv, rm = 0.3f, rv = 1.7f;
    rt::conv2dStatsForward<float>(s, x.data(), &w, eps, momentum, y.data(),
                                  &mean, &inv, &rm, &rv);
    const int64_t hw = s.oh * s.ow, rows = 4,
                  threads = (rows * s.ow + 31) / 32 * 32; // one per pixel
    const int64_t tiles = (s.oh + rows - 1) / rows;
    std::vector<Welford> parts;
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t t = 0; t < tiles; ++t) {
        std::vector<Welford> th(threads);
        for (int64_t p = t * rows * s.ow;
             p < std::min(hw, (t + 1) * rows * s.ow); ++p)
          th[p - t * rows * s.ow].add(x[n * hw + p]);
        // Each warp's shuffle tree, then the warps in order.
        Welford block;
        for (int64_t w0 = 0; w0 < threads; w0 += 32) {
          for (int64_t stride = 1; stride < 32; stride *= 2)
            for (int64_t k = w0; k + stride < w0 + 32; k += 2 * stride)
              th[k].merge(th[k + stride]);
          block.merge(th[w0]);
        }
        parts.push_back(block);
      }
    std::vector<Welford> lanes(256);
    for (size_t p = 0; p < parts.size(); ++p)
      lanes[p % 256].merge(parts[p]);
    for (int64_t stride = 1; stride < 256; stride *= 2)
      for (int64_t k = 0; k + stride < 256; k += 2 * stride)
        lanes[k].merge(lanes[k + stride]);
    const BnBatchStats r = bnBatchStats(lanes[0], eps, momentum, 0.3f, 1.7f);
    const std::string what = "offset " + std::to_string(offset);
    EXPECT_EQ(lanes[0].count, float(s.n * hw)) << what;
    EXPECT_NEAR(r.mean, mean, 1e-6 * std::max(1.f, offset)) << what;
    EXPECT_NEAR(r.invStd, inv, 1e-4 * inv) << what; // no cancellation
    EXPECT_NEAR(r.runningMean, rm, 1e-6 * std::max(1.f, offset)) << what;
    EXPECT_NEAR(r.runningVar, rv, 1e-4 * rv) << what;
  }
}

} // namespace
} // namespace cardinal::rt::cuda
