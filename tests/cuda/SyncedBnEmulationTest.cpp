//===- SyncedBnEmulationTest.cpp - synchronized BN's kernels, on host threads
//
// runtime/cuda's --sync-bn path (SyncedBn.h) for R ranks, each holding one
// slice of a batch: per rank, the local partial statistics, merged per
// channel (bnMergePartsKernel); the all-gather (here: the ranks' states
// concatenated in rank order, as CommBnSync delivers them); the finalize
// (bnFinalizeStatsKernel over the gathered states) — against the CPU BN
// over the whole batch. The backward likewise: local gradient sums
// (bnSumGradPartsKernel), the all-reduce (summed here),
// bnFinalizeSyncedGradKernel, dx — against the CPU backward over the whole
// batch: each rank's dx is its slice of the whole batch's dx, its
// dscale/dshift are its own sums (they add up to the whole batch's).
// Kernels run under CudaEmulation.h as BatchNorm.cu launches them.
//
//===----------------------------------------------------------------------===//
#include "CudaEmulation.h" // first: defines the CUDA keywords

#include "BnReference.h"
#include "CudaTestUtil.h"

#include "runtime/cuda/BatchNormKernels.cuh"

#include <gtest/gtest.h>

#include <string>

namespace cardinal::rt::cuda {
namespace {

using cuda_emulation::launch;
using test::blocksOf;
using test::randomFloats;
using test::relError;

constexpr unsigned kThreads = detail::kThreads;

struct SyncCase {
  ActShape perRank; // one rank's batch
  int ranks;
};

class SyncedBnEmulationTest : public ::testing::TestWithParam<SyncCase> {};

TEST_P(SyncedBnEmulationTest, RanksTogetherEqualTheWholeBatch) {
  const ActShape s = GetParam().perRank;
  const int R = GetParam().ranks;
  const ActShape whole{s.n * R, s.c, s.h, s.w};
  const int64_t splits = bn::bnSplits(s);
  const unsigned C = static_cast<unsigned>(s.c),
                 S = static_cast<unsigned>(splits);
  std::mt19937 rng(1234);
  // Channel means far from 0 in some ranks only: the merge must not lose
  // the spread between ranks.
  auto x = randomFloats(rng, whole.size(), -1.f, 3.f);
  for (int64_t i = 0; i < s.size(); ++i)
    x[i] += 20.f;
  const auto dy = randomFloats(rng, whole.size()),
             scale = randomFloats(rng, s.c, 0.5f, 1.5f),
             shift = randomFloats(rng, s.c),
             rm0 = randomFloats(rng, s.c), rv0 = randomFloats(rng, s.c, 1, 2);
  const float eps = 1e-5f, momentum = 0.1f;

  for (bool relu : {false, true}) {
    const std::string what = relu ? "bn+relu" : "bn";
    // CPU reference over the whole batch.
    const test::BnReference ref = test::cpuTrainBn(
        whole, relu, x, dy, scale, shift, rm0, rv0, eps, momentum);

    // Forward, rank by rank up to the all-gather.
    std::vector<Welford> gathered(R * s.c);
    for (int r = 0; r < R; ++r) {
      const float *xr = x.data() + r * s.size();
      std::vector<Welford> partial(s.c * splits);
      launch({S, C, 1}, kThreads, [&] {
        bn::bnPartialStatsKernel<float>(s, xr, partial.data());
      });
      launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
        bn::bnMergePartsKernel<void>(s.c, splits, partial.data(),
                                     gathered.data() + r * s.c);
      });
    }
    // Every rank finalizes the same gathered states: one finalize stands
    // for all of them.
    std::vector<float> gMean(s.c), gInv(s.c), gRm = rm0, gRv = rv0;
    launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
      bn::bnFinalizeStatsKernel(s.c, R, 1, s.c, gathered.data(), eps,
                                momentum, gMean.data(), gInv.data(),
                                gRm.data(), gRv.data());
    });
    EXPECT_LT(relError(gMean, ref.mean), 1e-5) << what;
    EXPECT_LT(relError(gInv, ref.invstd), 1e-4) << what;
    EXPECT_LT(relError(gRm, ref.runningMean), 1e-5) << what;
    EXPECT_LT(relError(gRv, ref.runningVar), 1e-4) << what;

    // Backward: local sums, then the all-reduce (a sum over the ranks).
    std::vector<bn::BnGradSums> local(R * s.c), global(s.c, {0.f, 0.f});
    for (int r = 0; r < R; ++r) {
      const int64_t at = r * s.size();
      std::vector<bn::BnGradSums> partial(s.c * splits), copy(s.c);
      launch({S, C, 1}, kThreads, [&] {
        bn::bnPartialGradKernel<float>(s, x.data() + at,
                                       relu ? ref.y.data() + at : nullptr,
                                       dy.data() + at, ref.mean.data(),
                                       partial.data());
      });
      launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
        bn::bnSumGradPartsKernel<void>(s.c, splits, partial.data(),
                                       local.data() + r * s.c, copy.data());
      });
      for (int64_t c = 0; c < s.c; ++c) {
        EXPECT_EQ(copy[c].sumDy, local[r * s.c + c].sumDy);
        global[c].sumDy += copy[c].sumDy;
        global[c].sumDyXmu += copy[c].sumDyXmu;
      }
    }
    std::vector<float> gdx(whole.size()), dsSum(s.c, 0.f), dbSum(s.c, 0.f);
    const float globalCount = static_cast<float>(whole.n * whole.hw());
    for (int r = 0; r < R; ++r) {
      const int64_t at = r * s.size();
      std::vector<BnBackwardCoefs> coefs(s.c);
      std::vector<float> gds(s.c), gdb(s.c);
      launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
        bn::bnFinalizeSyncedGradKernel<void>(
            s.c, globalCount, local.data() + r * s.c, global.data(),
            scale.data(), ref.invstd.data(), gds.data(), gdb.data(),
            coefs.data());
      });
      launch({blocksOf(s.size(), kThreads), 1, 1}, kThreads, [&] {
        bn::bnApplyGradKernel<float>(s, x.data() + at,
                                     relu ? ref.y.data() + at : nullptr,
                                     dy.data() + at, ref.mean.data(),
                                     coefs.data(), gdx.data() + at);
      });
      for (int64_t c = 0; c < s.c; ++c) {
        dsSum[c] += gds[c];
        dbSum[c] += gdb[c];
      }
    }
    EXPECT_LT(relError(gdx, ref.dx), 1e-4) << what;
    EXPECT_LT(relError(dsSum, ref.dscale), 1e-4) << what;
    EXPECT_LT(relError(dbSum, ref.dshift), 1e-4) << what;
    // (Had each rank returned the whole batch's dscale/dshift, their sum
    // would be R times too large.)

    // bnReluApplyBackwardInput's path: the ranks' dscale/dshift summed
    // give the same dx constants as the gathered sums.
    std::vector<BnBackwardCoefs> fromSums(s.c), fromGlobal(s.c);
    launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
      bn::bnCoefsFromGradsKernel<void>(s.c, globalCount, scale.data(),
                                       ref.invstd.data(), dsSum.data(),
                                       dbSum.data(), fromSums.data());
    });
    launch({blocksOf(s.c, kThreads), 1, 1}, kThreads, [&] {
      bn::bnFinalizeSyncedGradKernel<void>(
          s.c, globalCount, local.data(), global.data(), scale.data(),
          ref.invstd.data(), nullptr, nullptr, fromGlobal.data());
    });
    for (int64_t c = 0; c < s.c; ++c) {
      EXPECT_NEAR(fromSums[c].k, fromGlobal[c].k,
                  1e-4 * (1 + std::abs(fromGlobal[c].k)))
          << what;
      EXPECT_NEAR(fromSums[c].meanDy, fromGlobal[c].meanDy,
                  1e-4 * (1 + std::abs(fromGlobal[c].meanDy)))
          << what;
      EXPECT_NEAR(fromSums[c].proj, fromGlobal[c].proj,
                  1e-4 * (1 + std::abs(fromGlobal[c].proj)))
          << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Ranks, SyncedBnEmulationTest,
    ::testing::Values(SyncCase{{2, 3, 5, 7}, 2},   // one slice per rank
                      SyncCase{{8, 2, 32, 32}, 3}, // two slices per rank
                      SyncCase{{3, 4, 1, 1}, 4},   // BN1d, odd counts
                      SyncCase{{2, 3, 5, 7}, 1}),  // one rank: plain BN
    [](const ::testing::TestParamInfo<SyncCase> &info) {
      const ActShape &s = info.param.perRank;
      return std::to_string(info.param.ranks) + "ranks_" +
             std::to_string(s.n) + "x" + std::to_string(s.c) + "x" +
             std::to_string(s.h) + "x" + std::to_string(s.w);
    });

} // namespace
} // namespace cardinal::rt::cuda
