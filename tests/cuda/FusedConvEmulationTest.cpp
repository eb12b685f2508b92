//===- FusedConvEmulationTest.cpp - the fused conv/BN kernels, run on host -===//
//
// The conv-level training fusion's device code under CudaEmulation.h, with
// the launch sequences of GroupedConv.cuh and ConvBn.cu, against the CPU
// runtime's fused kernels (ConvStats.h, BnPrologueConv.h, BnApply.h):
//  - the grouped 3x3 kernels with the BN+ReLU prologue and the statistics
//    epilogue: conv2d_stats, bn_relu_conv2d_stats, bn_relu_conv2d (forward)
//    and bn_relu_conv2d_grad_weight (backward), cardinality C = 1, 2, 4, 32,
//    stride 1 and 2, partial row tiles, several samples (the per-block
//    Welford partials merged by bnFinalizePartsKernel);
//  - the elementwise BN kernels: bn_add_relu forward, bn_add_relu_grad and
//    bn_relu_apply_grad (masked partial sums, finalize, dx), and the split
//    bn_relu_apply_grad of the BN-grad reductions fused into the conv
//    backward-data (conv2d_grad_input_bn_sums' sums, bn_relu_apply_grad_input).
// Inputs with |mean| >> std check that the statistics stay exact.
//
//===----------------------------------------------------------------------===//
#include "CudaEmulation.h" // first: defines the CUDA keywords

#include "CudaTestUtil.h"

#include "runtime/cuda/BatchNormKernels.cuh"
#include "GroupedEmulation.h"

#include "runtime/cuda/GroupedConvKernels.cuh"
#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/BnPrologueConv.h"
#include "runtime/kernels/ConvGradBnSums.h"
#include "runtime/kernels/ConvStats.h"

#include <gtest/gtest.h>

#include <string>

namespace cardinal::rt::cuda {
namespace {

using cuda_emulation::launch;
using test::randomFloats;
using test::relError;

constexpr unsigned kThreads = detail::kThreads;

/// The BN of the layer before (statistics given), as the prologue reads it.
struct InBn {
  std::vector<float> mean, invstd, scale, shift;
  InBn(std::mt19937 &rng, int64_t c)
      : mean(randomFloats(rng, c, 0.f, 1.5f)),
        invstd(randomFloats(rng, c, 0.5f, 2.f)),
        scale(randomFloats(rng, c, -0.5f, 1.5f)), // some channels flip sign
        shift(randomFloats(rng, c, -0.5f, 0.5f)) {}
  grouped3x3::InputBn device() const {
    return {mean.data(), invstd.data(), scale.data(), shift.data()};
  }
};

/// Launches the statistics finalize as FusedStats.h does.
void finalize(int64_t channels, int64_t parts,
              const std::vector<Welford> &partial, float eps, float momentum,
              std::vector<float> &mean, std::vector<float> &invstd,
              std::vector<float> &rm, std::vector<float> &rv) {
  launch({static_cast<unsigned>(channels), 1, 1}, kThreads, [&] {
    bn::bnFinalizePartsKernel<void>(parts, partial.data(), eps, momentum,
                                    mean.data(), invstd.data(), rm.data(),
                                    rv.data());
  });
}

template <int Groups, int CinG, int CoutG, int H, int W, int Stride>
void checkFusedGrouped(int64_t n, float offset) {
  using G = grouped3x3::Geometry<Groups, CinG, CoutG, H, W, Stride>;
  const ConvShape s = ConvShape::make(n, Groups * CinG, H, W, Groups * CoutG,
                                      3, 3, Stride, 1, 1, Groups);
  ASSERT_TRUE(s.valid());
  const std::string tag = "C=" + std::to_string(Groups) + " stride " +
                          std::to_string(Stride) + " offset " +
                          std::to_string(offset);
  std::mt19937 rng(83 + Groups + Stride);
  // Raw conv outputs of the layer before: around `offset` (|mean| >> std
  // when large), normalized by inBn.
  auto x = randomFloats(rng, s.inputSize(), offset - 1.f, offset + 1.f);
  InBn inBn(rng, s.c);
  for (auto &m : inBn.mean)
    m += offset;
  const auto w = randomFloats(rng, s.weightSize(), -0.5f, 0.5f),
             dy = randomFloats(rng, s.outputSize()),
             rm0 = randomFloats(rng, s.o), rv0 = randomFloats(rng, s.o, 1, 2);
  const float eps = 1e-5f, momentum = 0.1f;
  const unsigned un = static_cast<unsigned>(n);
  const int64_t parts = n * G::FwdTiles;

  for (bool prologue : {false, true}) {
    const std::string what =
        (prologue ? "bn_relu_conv2d_stats " : "conv2d_stats ") + tag;
    // (Without the prologue, y = conv(x) of x ~ offset: per-channel means
    // ~ offset * sum(w) with a spread of ~ sum |w|.)
    std::vector<float> y(s.outputSize()), mean(s.o), inv(s.o), rm = rm0,
                                                                rv = rv0;
    if (prologue)
      rt::bnReluConv2dStatsForward<float>(
          s, x.data(), inBn.mean.data(), inBn.invstd.data(),
          inBn.scale.data(), inBn.shift.data(), w.data(), eps, momentum,
          y.data(), mean.data(), inv.data(), rm.data(), rv.data());
    else
      rt::conv2dStatsForward<float>(s, x.data(), w.data(), eps, momentum,
                                    y.data(), mean.data(), inv.data(),
                                    rm.data(), rv.data());
    std::vector<float> gy(s.outputSize(), NAN), gMean(s.o), gInv(s.o),
        gRm = rm0, gRv = rv0;
    std::vector<Welford> partial(s.o * parts);
    const auto bn = prologue ? inBn.device() : grouped3x3::InputBn{};
    launch({G::FwdGridX, G::FwdGridY, un}, G::FwdThreads, [&] {
      if (prologue)
        grouped3x3::forwardKernel<Groups, CinG, CoutG, H, W, Stride, float,
                                  true, true>(x.data(), w.data(), nullptr,
                                              gy.data(), bn, partial.data());
      else
        grouped3x3::forwardKernel<Groups, CinG, CoutG, H, W, Stride, float,
                                  false, true>(x.data(), w.data(), nullptr,
                                               gy.data(), bn, partial.data());
    });
    finalize(s.o, parts, partial, eps, momentum, gMean, gInv, gRm, gRv);
    EXPECT_LT(relError(gy, y), 1e-5) << what << ": y";
    EXPECT_LT(relError(gMean, mean), 1e-5) << what << ": mean";
    EXPECT_LT(relError(gInv, inv), 1e-4) << what << ": invstd";
    EXPECT_LT(relError(gRm, rm), 1e-5) << what << ": running mean";
    EXPECT_LT(relError(gRv, rv), 1e-4) << what << ": running var";
  }

  // bn_relu_conv2d: the prologue without statistics.
  {
    std::vector<float> y(s.outputSize()), gy(s.outputSize(), NAN);
    rt::bnReluConv2dForward<float>(s, x.data(), inBn.mean.data(),
                                   inBn.invstd.data(), inBn.scale.data(),
                                   inBn.shift.data(), w.data(), y.data());
    launch({G::FwdGridX, G::FwdGridY, un}, G::FwdThreads, [&] {
      grouped3x3::forwardKernel<Groups, CinG, CoutG, H, W, Stride, float,
                                true, false>(x.data(), w.data(), nullptr,
                                             gy.data(), inBn.device());
    });
    EXPECT_LT(relError(gy, y), 1e-5) << "bn_relu_conv2d " << tag;
  }

  // bn_relu_conv2d_grad_weight: relu(BN(x)) recomputed while staging.
  {
    std::vector<float> dw(s.weightSize()), gdw(s.weightSize(), NAN);
    rt::bnReluConv2dBackwardWeight<float>(
        s, x.data(), inBn.mean.data(), inBn.invstd.data(), inBn.scale.data(),
        inBn.shift.data(), dy.data(), dw.data());
    const auto split =
        test::emulateGroupedBackwardWeight<Groups, CinG, CoutG, H, W, Stride,
                                           true>(n, x.data(), dy.data(),
                                                 gdw.data(), 64 << 20,
                                                 inBn.device());
    EXPECT_LT(relError(gdw, dw), 1e-5)
        << "bn_relu_conv2d_grad_weight " << tag << ", " << split.slices
        << " slices";
  }
}

TEST(FusedConvEmulationTest, Cardinality1Stride1) {
  checkFusedGrouped<1, 8, 8, 6, 6, 1>(3, 0.f);
}
TEST(FusedConvEmulationTest, Cardinality1Stride2) {
  checkFusedGrouped<1, 4, 8, 10, 10, 2>(2, 0.f);
}
TEST(FusedConvEmulationTest, Cardinality2Stride1) {
  checkFusedGrouped<2, 8, 4, 7, 9, 1>(2, 0.f);
}
TEST(FusedConvEmulationTest, Cardinality2Stride2OddExtent) {
  checkFusedGrouped<2, 4, 4, 9, 9, 2>(2, 0.f);
}
TEST(FusedConvEmulationTest, Cardinality4Stride1RowTiles) {
  // 20 wide at stride 1: 12 rows per tile, a partial last tile.
  checkFusedGrouped<4, 4, 4, 20, 20, 1>(2, 0.f);
}
TEST(FusedConvEmulationTest, Cardinality4Stride2) {
  checkFusedGrouped<4, 8, 8, 8, 8, 2>(2, 0.f);
}
TEST(FusedConvEmulationTest, Cardinality32Stride1) {
  checkFusedGrouped<32, 4, 4, 8, 8, 1>(2, 0.f);
}
TEST(FusedConvEmulationTest, Cardinality32Stride2) {
  checkFusedGrouped<32, 4, 4, 7, 7, 2>(3, 0.f);
}
TEST(FusedConvEmulationTest, Table2Width14Stride2) {
  // (C, d) = (8, 14): the weight gradient splits pixels over threads.
  checkFusedGrouped<8, 14, 14, 9, 9, 2>(2, 0.f);
}
TEST(FusedConvEmulationTest, MeanMuchLargerThanStd) {
  // Raw conv outputs around 100 with unit spread: the prologue's (x - mean)
  // and the epilogue's statistics must not cancel.
  checkFusedGrouped<2, 4, 4, 8, 8, 1>(4, 100.f);
}

// --- the elementwise BN kernels (ConvBn.cu's launch sequence) ---------------

class FusedBnEmulationTest : public ::testing::TestWithParam<ActShape> {};

TEST_P(FusedBnEmulationTest, AddReluAndApplyGradMatchCpu) {
  const ActShape s = GetParam();
  const int64_t splits = bn::bnSplits(s);
  const unsigned C = static_cast<unsigned>(s.c),
                 S = static_cast<unsigned>(splits),
                 blocks = static_cast<unsigned>((s.size() + kThreads - 1) /
                                                kThreads),
                 cBlocks = static_cast<unsigned>((s.c + kThreads - 1) /
                                                 kThreads);
  std::mt19937 rng(97);
  const auto x = randomFloats(rng, s.size(), -1.f, 3.f),
             residual = randomFloats(rng, s.size()),
             dy = randomFloats(rng, s.size());
  InBn k(rng, s.c);
  const float count = float(s.n * s.hw());

  // relu(BN(x)): the decomposition's prologue (ConvBn.cu).
  {
    std::vector<float> ref(s.size()), got(s.size(), NAN);
    rt::detail::normalizeReluImages<float>(0, s.n, s.c, s.hw(), x.data(),
                                           k.mean.data(), k.invstd.data(),
                                           k.scale.data(), k.shift.data(),
                                           ref.data());
    launch({blocks, 1, 1}, kThreads, [&] {
      bn::bnReluApplyKernel<float>(s, x.data(), k.mean.data(),
                                   k.invstd.data(), k.scale.data(),
                                   k.shift.data(), got.data());
    });
    EXPECT_LT(relError(got, ref), 1e-6) << "relu(BN(x))";
  }

  // bn_add_relu forward.
  std::vector<float> y(s.size()), gy(s.size(), NAN);
  rt::bnAddReluForward<float>(s, x.data(), k.mean.data(), k.invstd.data(),
                              k.scale.data(), k.shift.data(), residual.data(),
                              y.data());
  launch({blocks, 1, 1}, kThreads, [&] {
    bn::bnAddReluKernel<float>(s, x.data(), k.mean.data(), k.invstd.data(),
                               k.scale.data(), k.shift.data(),
                               residual.data(), gy.data());
  });
  EXPECT_LT(relError(gy, y), 1e-6) << "bn_add_relu";

  for (bool addRelu : {true, false}) {
    const std::string what =
        addRelu ? "bn_add_relu_grad" : "bn_relu_apply_grad";
    std::vector<float> dx(s.size()), dres(s.size()), ds(s.c), db(s.c);
    if (addRelu)
      rt::bnAddReluBackward<float>(s, x.data(), y.data(), dy.data(),
                                   k.mean.data(), k.invstd.data(),
                                   k.scale.data(), dx.data(), dres.data(),
                                   ds.data(), db.data());
    else
      rt::bnReluApplyBackward<float>(s, x.data(), dy.data(), k.mean.data(),
                                     k.invstd.data(), k.scale.data(),
                                     k.shift.data(), dx.data(), ds.data(),
                                     db.data());
    const float *yIn = addRelu ? y.data() : nullptr;
    const float *shift = addRelu ? nullptr : k.shift.data();
    std::vector<float> gdx(s.size(), NAN), gdres(s.size(), NAN), gds(s.c),
        gdb(s.c);
    std::vector<bn::BnGradSums> sums(s.c * splits);
    std::vector<BnBackwardCoefs> coefs(s.c);
    launch({S, C, 1}, kThreads, [&] {
      bn::bnPartialGradFusedKernel<float>(
          s, x.data(), yIn, dy.data(), k.mean.data(), k.invstd.data(),
          k.scale.data(), shift, addRelu ? gdres.data() : nullptr,
          sums.data());
    });
    launch({cBlocks, 1, 1}, kThreads, [&] {
      bn::bnFinalizeGradKernel(s.c, splits, count, sums.data(),
                               k.scale.data(), k.invstd.data(), gds.data(),
                               gdb.data(), coefs.data());
    });
    launch({blocks, 1, 1}, kThreads, [&] {
      bn::bnApplyGradFusedKernel<float>(s, x.data(), yIn, dy.data(),
                                        k.mean.data(), k.invstd.data(),
                                        k.scale.data(), shift, coefs.data(),
                                        gdx.data());
    });
    EXPECT_LT(relError(gdx, dx), 1e-4) << what << ": dx";
    EXPECT_LT(relError(gds, ds), 1e-4) << what << ": dscale";
    EXPECT_LT(relError(gdb, db), 1e-4) << what << ": dshift";
    if (addRelu) {
      EXPECT_EQ(relError(gdres, dres), 0.0) << what << ": dresidual";
    }
  }
}

TEST_P(FusedBnEmulationTest, GradSumsAndBackwardInputMatchCpu) {
  // nn.conv2d_grad_input_bn_sums's reductions (over a conv backward-data's
  // dx, here any dy: 1x1 identity conv on the CPU side) and
  // nn.bn_relu_apply_grad_input's dx from them.
  const ActShape s = GetParam();
  const int64_t splits = bn::bnSplits(s);
  const unsigned C = static_cast<unsigned>(s.c),
                 S = static_cast<unsigned>(splits),
                 blocks = static_cast<unsigned>((s.size() + kThreads - 1) /
                                                kThreads),
                 cBlocks = static_cast<unsigned>((s.c + kThreads - 1) /
                                                 kThreads);
  std::mt19937 rng(101);
  const auto x = randomFloats(rng, s.size(), -1.f, 3.f),
             dy = randomFloats(rng, s.size());
  InBn k(rng, s.c);
  // The CPU: a 1x1 conv with the identity weight has dx = dy.
  const ConvShape conv = ConvShape::make(s.n, s.c, s.h, s.w, s.c, 1, 1);
  std::vector<float> eye(s.c * s.c, 0.f), dxConv(s.size()), ds(s.c), db(s.c),
      dx(s.size());
  for (int64_t c = 0; c < s.c; ++c)
    eye[c * s.c + c] = 1.f;
  rt::conv2dBackwardDataBnSums<float>(
      conv, dy.data(), eye.data(), x.data(), k.mean.data(), k.invstd.data(),
      k.scale.data(), k.shift.data(), dxConv.data(), ds.data(), db.data());
  rt::bnReluApplyBackwardInput<float>(
      s, x.data(), dy.data(), k.mean.data(), k.invstd.data(), k.scale.data(),
      k.shift.data(), ds.data(), db.data(), dx.data());

  std::vector<bn::BnGradSums> sums(s.c * splits);
  std::vector<BnBackwardCoefs> coefs(s.c);
  std::vector<float> gds(s.c), gdb(s.c), gdx(s.size(), NAN);
  launch({S, C, 1}, kThreads, [&] {
    bn::bnPartialGradFusedKernel<float>(s, x.data(), nullptr, dy.data(),
                                        k.mean.data(), k.invstd.data(),
                                        k.scale.data(), k.shift.data(),
                                        nullptr, sums.data());
  });
  launch({cBlocks, 1, 1}, kThreads, [&] {
    bn::bnFinalizeGradKernel(s.c, splits, float(s.n * s.hw()), sums.data(),
                             k.scale.data(), k.invstd.data(), gds.data(),
                             gdb.data(), coefs.data());
  });
  EXPECT_LT(relError(gds, ds), 1e-4) << "bn grad sums: dscale";
  EXPECT_LT(relError(gdb, db), 1e-4) << "bn grad sums: dshift";
  // The dx pass from the CPU's sums (the same inputs on both sides).
  launch({cBlocks, 1, 1}, kThreads, [&] {
    bn::bnCoefsFromGradsKernel<void>(s.c, float(s.n * s.hw()),
                                     k.scale.data(), k.invstd.data(),
                                     ds.data(), db.data(), coefs.data());
  });
  launch({blocks, 1, 1}, kThreads, [&] {
    bn::bnApplyGradFusedKernel<float>(s, x.data(), nullptr, dy.data(),
                                      k.mean.data(), k.invstd.data(),
                                      k.scale.data(), k.shift.data(),
                                      coefs.data(), gdx.data());
  });
  EXPECT_LT(relError(gdx, dx), 1e-5) << "bn_relu_apply_grad_input: dx";
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FusedBnEmulationTest,
    ::testing::Values(ActShape{2, 3, 5, 7},   // one slice, partial block
                      ActShape{8, 2, 32, 32}, // two slices per channel
                      ActShape{33, 5, 1, 1}), // 1x1 planes
    [](const ::testing::TestParamInfo<ActShape> &info) {
      const ActShape &s = info.param;
      return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" +
             std::to_string(s.h) + "x" + std::to_string(s.w);
    });

} // namespace
} // namespace cardinal::rt::cuda
