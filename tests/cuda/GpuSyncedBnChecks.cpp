//===- GpuSyncedBnChecks.cpp - --sync-bn's plumbing on the device ----------===//
//
// Context::bnSync set to a two-rank BnSync whose other rank holds the same
// batch (the all-gather repeats this rank's states, the all-reduce doubles):
// the union batch is this one twice, so every BN op must give what it gives
// without synchronization — statistics, y, dx, this rank's dscale/dshift —
// except the running variance, whose unbiased estimate now counts 2N
// elements a channel. Covers each synchronized finalize: the BN kernels
// (BatchNorm.cu), the statistics epilogue and the fused BN backwards
// (ConvBn.cu), and the backward whose sums arrive as dscale/dshift.
//
//===----------------------------------------------------------------------===//
#include "GpuChecks.h"

#include <string>

namespace cardinal::rt::cuda::test {
namespace {

/// The other rank is this one again.
class MirrorBnSync final : public BnSync {
public:
  int ranks() const override { return 2; }
  void allGather(Context &ctx, const float *send, float *recv,
                 int64_t n) override {
    for (int r = 0; r < 2; ++r)
      checkCuda(cudaMemcpyAsync(recv + r * n, send, sizeof(float) * n,
                                cudaMemcpyDeviceToDevice, ctx.stream),
                "mirror all-gather");
  }
  void allReduceSum(Context &ctx, float *data, int64_t n) override {
    std::vector<float> host(static_cast<size_t>(n));
    synchronize(ctx);
    checkCuda(cudaMemcpy(host.data(), data, sizeof(float) * n,
                         cudaMemcpyDeviceToHost),
              "mirror all-reduce");
    for (float &v : host)
      v *= 2.f;
    checkCuda(cudaMemcpy(data, host.data(), sizeof(float) * n,
                         cudaMemcpyHostToDevice),
              "mirror all-reduce");
  }
};

/// What one op wrote, downloaded.
using Outputs = std::vector<std::vector<float>>;

/// Runs `op` (writes into the buffers it captured, returns their contents)
/// without and with the mirror; compares all but `runningVarAt`, which is
/// checked against the 2N-count unbiased update of the same variance.
template <typename T, typename Op>
void compare(Context &ctx, Checks &checks, const std::string &name,
             int64_t countPerChannel, int runningVarAt,
             const std::vector<float> &rv0, float momentum, Op &&op) {
  const Outputs local = op();
  MirrorBnSync mirror;
  ctx.bnSync = &mirror;
  Outputs synced;
  try {
    synced = op();
  } catch (...) {
    ctx.bnSync = nullptr;
    throw;
  }
  ctx.bnSync = nullptr;
  for (size_t i = 0; i < local.size(); ++i) {
    if (static_cast<int>(i) == runningVarAt)
      continue;
    checks.close<T>(name + " output " + std::to_string(i) + " synced",
                    synced[i], local[i], 4);
  }
  if (runningVarAt < 0)
    return;
  const double n = static_cast<double>(countPerChannel);
  std::vector<float> expected(rv0.size());
  for (size_t c = 0; c < rv0.size(); ++c) {
    const double unbiasedLocal =
        (local[runningVarAt][c] - (1 - momentum) * rv0[c]) / momentum;
    const double biased = unbiasedLocal * (n - 1) / n;
    expected[c] = static_cast<float>((1 - momentum) * rv0[c] +
                                     momentum * biased * 2 * n / (2 * n - 1));
  }
  checks.close<float>(name + " running var over 2N", synced[runningVarAt],
                      expected, 10);
}

} // namespace

template <typename T> void checkSyncedBn(Context &ctx, Checks &checks) {
  std::mt19937 rng(51);
  const ActShape s{4, 6, 9, 7};
  const float eps = 1e-5f, momentum = 0.1f;
  const auto x = rounded<T>(randomFloats(rng, s.size(), -1, 3)),
             dy = rounded<T>(randomFloats(rng, s.size()));
  const auto scale = randomFloats(rng, s.c, 0.5f, 1.5f),
             shift = randomFloats(rng, s.c),
             rm0 = randomFloats(rng, s.c), rv0 = randomFloats(rng, s.c, 1, 2);
  auto dX = upload<T>(x), dDy = upload<T>(dy);
  auto dScale = upload<float>(scale), dShift = upload<float>(shift);
  auto dY = alloc<T>(s.size()), dDx = alloc<T>(s.size());
  auto dMean = alloc<float>(s.c), dInv = alloc<float>(s.c);
  auto dGs = alloc<float>(s.c), dGb = alloc<float>(s.c);
  const int64_t count = s.n * s.h * s.w;

  compare<T>(ctx, checks, "batchNormForwardTrain", count, 4, rv0, momentum,
             [&] {
               auto dRm = upload<float>(rm0), dRv = upload<float>(rv0);
               batchNormForwardTrain<T>(ctx, s, dX->get(), dScale->get(),
                                        dShift->get(), eps, momentum,
                                        dY->get(), dMean->get(), dInv->get(),
                                        dRm->get(), dRv->get());
               return Outputs{download(ctx, *dY), download(ctx, *dMean),
                              download(ctx, *dInv), download(ctx, *dRm),
                              download(ctx, *dRv)};
             });
  // The statistics above, for the backwards.
  batchNormForwardTrain<T>(ctx, s, dX->get(), dScale->get(), dShift->get(),
                           eps, momentum, dY->get(), dMean->get(), dInv->get(),
                           nullptr, nullptr);
  compare<T>(ctx, checks, "batchNormBackward", count, -1, rv0, momentum, [&] {
    batchNormBackward<T>(ctx, s, dX->get(), dDy->get(), dScale->get(),
                         dMean->get(), dInv->get(), dDx->get(), dGs->get(),
                         dGb->get());
    return Outputs{download(ctx, *dDx), download(ctx, *dGs),
                   download(ctx, *dGb)};
  });
  compare<T>(ctx, checks, "bnReluApplyBackward", count, -1, rv0, momentum,
             [&] {
               bnReluApplyBackward<T>(ctx, s, dX->get(), dDy->get(),
                                      dMean->get(), dInv->get(),
                                      dScale->get(), dShift->get(),
                                      dDx->get(), dGs->get(), dGb->get());
               return Outputs{download(ctx, *dDx), download(ctx, *dGs),
                              download(ctx, *dGb)};
             });
  // This rank's sums as the fused conv backward-data leaves them.
  bnReluApplyBackward<T>(ctx, s, dX->get(), dDy->get(), dMean->get(),
                         dInv->get(), dScale->get(), dShift->get(), dDx->get(),
                         dGs->get(), dGb->get());
  compare<T>(ctx, checks, "bnReluApplyBackwardInput", count, -1, rv0,
             momentum, [&] {
               bnReluApplyBackwardInput<T>(
                   ctx, s, dX->get(), dDy->get(), dMean->get(), dInv->get(),
                   dScale->get(), dShift->get(), dGs->get(), dGb->get(),
                   dDx->get());
               return Outputs{download(ctx, *dDx)};
             });

  // The statistics epilogue of a fused conv (finalizeChannelStats).
  const ConvShape cs = ConvShape::make(s.n, s.c, s.h, s.w, 5, 1, 1);
  const auto w = rounded<T>(randomFloats(rng, cs.weightSize()));
  auto dW = upload<T>(w);
  auto dOut = alloc<T>(cs.outputSize());
  auto oMean = alloc<float>(cs.o), oInv = alloc<float>(cs.o);
  const std::vector<float> orv0(cs.o, 1.5f), orm0(cs.o, 0.25f);
  compare<T>(ctx, checks, "conv2dStatsForward", cs.n * cs.oh * cs.ow, 4, orv0,
             momentum, [&] {
               auto dRm = upload<float>(orm0), dRv = upload<float>(orv0);
               conv2dStatsForward<T>(ctx, cs, dX->get(), dW->get(), eps,
                                     momentum, dOut->get(), oMean->get(),
                                     oInv->get(), dRm->get(), dRv->get());
               return Outputs{download(ctx, *dOut), download(ctx, *oMean),
                              download(ctx, *oInv), download(ctx, *dRm),
                              download(ctx, *dRv)};
             });
}

template void checkSyncedBn<float>(Context &, Checks &);
template void checkSyncedBn<bf16>(Context &, Checks &);

} // namespace cardinal::rt::cuda::test
