//===- BatchNormEmulationTest.cpp - the BN kernels, run on host threads ---===//
//
// runtime/cuda/BatchNormKernels.cuh executed under CudaEmulation.h with the
// launch sequence of BatchNorm.cu (partial statistics over (splits,
// channels), finalize, apply; the same for the backward), including the
// warp-shuffle block reductions, against the CPU runtime's BN: training
// forward (plain and with ReLU: y, saved mean/invstd, running statistics),
// backward (plain and through the ReLU) and eval. Shapes with one and with
// several slices per channel.
//
//===----------------------------------------------------------------------===//
#include "CudaEmulation.h" // first: defines the CUDA keywords

#include "BnReference.h"
#include "CudaTestUtil.h"

#include "runtime/cuda/BatchNormKernels.cuh"
#include "runtime/kernels/BatchNorm.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace cardinal::rt {
/// gtest's printout (and ctest's test ids) of the parameter.
inline void PrintTo(const ActShape &s, std::ostream *os) {
  *os << s.n << "x" << s.c << "x" << s.h << "x" << s.w;
}
} // namespace cardinal::rt

namespace cardinal::rt::cuda {
namespace {

using cuda_emulation::launch;
using test::blocksOf;
using test::randomFloats;
using test::relError;

constexpr unsigned kThreads = detail::kThreads;

class BatchNormEmulationTest : public ::testing::TestWithParam<ActShape> {};

TEST_P(BatchNormEmulationTest, TrainForwardBackwardEvalMatchCpu) {
  const ActShape s = GetParam();
  const int64_t splits = bn::bnSplits(s);
  const unsigned C = static_cast<unsigned>(s.c), S = static_cast<unsigned>(splits);
  std::mt19937 rng(71);
  const auto x = randomFloats(rng, s.size(), -1.f, 3.f),
             dy = randomFloats(rng, s.size()),
             scale = randomFloats(rng, s.c, 0.5f, 1.5f),
             shift = randomFloats(rng, s.c),
             rm0 = randomFloats(rng, s.c), rv0 = randomFloats(rng, s.c, 1, 2);
  for (bool relu : {false, true}) {
    const std::string what = relu ? "bn+relu" : "bn";
    const test::BnReference ref =
        test::cpuTrainBn(s, relu, x, dy, scale, shift, rm0, rv0, 1e-5f, 0.1f);

    // The kernels, launched as BatchNorm.cu does.
    std::vector<Welford> partial(s.c * splits);
    std::vector<float> gy(s.size()), gMean(s.c), gInv(s.c), gRm = rm0,
        gRv = rv0;
    launch({S, C, 1}, kThreads, [&] {
      bn::bnPartialStatsKernel<float>(s, x.data(), partial.data());
    });
    launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
      bn::bnFinalizeStatsKernel(s.c, splits, splits, 1, partial.data(), 1e-5f, 0.1f,
                                gMean.data(), gInv.data(), gRm.data(),
                                gRv.data());
    });
    launch({blocksOf(s.size(), kThreads), 1, 1}, kThreads, [&] {
      bn::bnApplyKernel<float>(s, x.data(), gMean.data(), gInv.data(),
                               scale.data(), shift.data(), relu, gy.data());
    });
    EXPECT_LT(relError(gMean, ref.mean), 1e-5) << what;
    EXPECT_LT(relError(gInv, ref.invstd), 1e-4) << what;
    EXPECT_LT(relError(gRm, ref.runningMean), 1e-5) << what;
    EXPECT_LT(relError(gRv, ref.runningVar), 1e-4) << what;
    EXPECT_LT(relError(gy, ref.y), 1e-4) << what;

    std::vector<bn::BnGradSums> sums(s.c * splits);
    std::vector<BnBackwardCoefs> coefs(s.c);
    std::vector<float> gdx(s.size()), gds(s.c), gdb(s.c);
    const float *yIn = relu ? ref.y.data() : nullptr;
    launch({S, C, 1}, kThreads, [&] {
      bn::bnPartialGradKernel<float>(s, x.data(), yIn, dy.data(),
                                     ref.mean.data(), sums.data());
    });
    launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
      bn::bnFinalizeGradKernel(s.c, splits, float(s.n * s.hw()), sums.data(),
                               scale.data(), ref.invstd.data(), gds.data(),
                               gdb.data(), coefs.data());
    });
    launch({blocksOf(s.size(), kThreads), 1, 1}, kThreads, [&] {
      bn::bnApplyGradKernel<float>(s, x.data(), yIn, dy.data(),
                                   ref.mean.data(), coefs.data(), gdx.data());
    });
    EXPECT_LT(relError(gdx, ref.dx), 1e-4) << what;
    EXPECT_LT(relError(gds, ref.dscale), 1e-4) << what;
    EXPECT_LT(relError(gdb, ref.dshift), 1e-4) << what;
  }

  // Eval: invStd from the running variance, then apply.
  std::vector<float> y(s.size()), gy(s.size()), gInv(s.c);
  rt::batchNormForwardEval<float>(s, x.data(), scale.data(), shift.data(),
                                  rm0.data(), rv0.data(), 1e-5f, y.data());
  launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
    bn::invStdFromVarKernel(s.c, rv0.data(), 1e-5f, gInv.data());
  });
  launch({blocksOf(s.size(), kThreads), 1, 1}, kThreads, [&] {
    bn::bnApplyKernel<float>(s, x.data(), rm0.data(), gInv.data(),
                             scale.data(), shift.data(), false, gy.data());
  });
  EXPECT_LT(relError(gy, y), 1e-5) << "eval";
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BatchNormEmulationTest,
    ::testing::Values(ActShape{2, 3, 5, 7},    // one slice, partial block
                      ActShape{8, 2, 32, 32},  // two slices per channel
                      ActShape{4, 1, 48, 48},  // two slices, one channel
                      ActShape{33, 5, 1, 1}),  // BN1d
    [](const ::testing::TestParamInfo<ActShape> &info) {
      const ActShape &s = info.param;
      return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" +
             std::to_string(s.h) + "x" + std::to_string(s.w);
    });

TEST(BatchNormEmulationTest, SplitsGrowWithTheChannelPlane) {
  EXPECT_EQ(bn::bnSplits(ActShape{2, 3, 5, 7}), 1);
  EXPECT_EQ(bn::bnSplits(ActShape{8, 2, 32, 32}), 2);
  EXPECT_EQ(bn::bnSplits(ActShape{32, 64, 112, 112}), 9); // ceil(528 / 64)
  EXPECT_EQ(bn::bnSplits(ActShape{256, 4, 112, 112}), 64); // capped
}

} // namespace
} // namespace cardinal::rt::cuda
