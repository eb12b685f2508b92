//===- GpuNormPoolChecks.cpp - BN and pooling on the device vs the CPU ----===//
#include "GpuChecks.h"

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/FusedBn.h"
#include "runtime/kernels/Pool.h"

#include <string>

namespace cardinal::rt::cuda::test {
namespace {

std::string describe(const ActShape &s) {
  return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" +
         std::to_string(s.h) + "x" + std::to_string(s.w);
}

template <typename T>
void checkBn(Context &ctx, Checks &checks, const ActShape &s, float offset) {
  std::mt19937 rng(41);
  const auto x = rounded<T>(randomFloats(rng, s.size(), offset - 1, offset + 1));
  const auto dy = rounded<T>(randomFloats(rng, s.size()));
  const auto scale = randomFloats(rng, s.c, 0.5f, 1.5f),
             shift = randomFloats(rng, s.c);
  const auto rm0 = randomFloats(rng, s.c), rv0 = randomFloats(rng, s.c, 1, 2);
  const std::string tag =
      describe(s) + (offset ? " offset" : "") + " act " + typeName<T>();
  auto dX = upload<T>(x), dDy = upload<T>(dy);
  auto dScale = upload<float>(scale), dShift = upload<float>(shift);
  for (bool relu : {false, true}) {
    const std::string name = relu ? "bnTrainReluForward " : "batchNormForwardTrain ";
    std::vector<float> y(s.size()), mean(s.c), inv(s.c), rm = rm0, rv = rv0;
    (relu ? rt::bnTrainReluForward<float> : rt::batchNormForwardTrain<float>)(
        s, x.data(), scale.data(), shift.data(), 1e-5f, 0.1f, y.data(),
        mean.data(), inv.data(), rm.data(), rv.data());
    auto dY = alloc<T>(s.size());
    auto dMean = alloc<float>(s.c), dInv = alloc<float>(s.c);
    auto dRm = upload<float>(rm0), dRv = upload<float>(rv0);
    (relu ? bnTrainReluForward<T> : batchNormForwardTrain<T>)(
        ctx, s, dX->get(), dScale->get(), dShift->get(), 1e-5f, 0.1f,
        dY->get(), dMean->get(), dInv->get(), dRm->get(), dRv->get());
    // Statistics are fp32 whatever T is.
    checks.close<float>(name + "mean " + tag, download(ctx, *dMean), mean);
    checks.close<float>(name + "invStd " + tag, download(ctx, *dInv), inv, 10);
    checks.close<float>(name + "runningMean " + tag, download(ctx, *dRm), rm);
    checks.close<float>(name + "runningVar " + tag, download(ctx, *dRv), rv,
                        10);
    checks.close<T>(name + "y " + tag, download(ctx, *dY), y, 10);

    // Backward from the CPU's saved statistics (same inputs both sides).
    std::vector<float> dx(s.size()), dscale(s.c), dshift(s.c);
    if (relu)
      rt::bnReluBackward<float>(s, x.data(), y.data(), dy.data(), scale.data(),
                                mean.data(), inv.data(), dx.data(),
                                dscale.data(), dshift.data());
    else
      rt::batchNormBackward<float>(s, x.data(), dy.data(), scale.data(),
                                   mean.data(), inv.data(), dx.data(),
                                   dscale.data(), dshift.data());
    auto cMean = upload<float>(mean), cInv = upload<float>(inv);
    auto cY = upload<T>(y);
    auto dDx = alloc<T>(s.size());
    auto dDs = alloc<float>(s.c), dDb = alloc<float>(s.c);
    if (relu)
      bnReluBackward<T>(ctx, s, dX->get(), cY->get(), dDy->get(),
                        dScale->get(), cMean->get(), cInv->get(), dDx->get(),
                        dDs->get(), dDb->get());
    else
      batchNormBackward<T>(ctx, s, dX->get(), dDy->get(), dScale->get(),
                           cMean->get(), cInv->get(), dDx->get(), dDs->get(),
                           dDb->get());
    const std::string bname = relu ? "bnReluBackward " : "batchNormBackward ";
    checks.close<T>(bname + "dx " + tag, download(ctx, *dDx), dx, 10);
    checks.close<float>(bname + "dscale " + tag, download(ctx, *dDs), dscale,
                        10);
    checks.close<float>(bname + "dshift " + tag, download(ctx, *dDb), dshift,
                        10);
  }
  // Eval mode with the running statistics.
  std::vector<float> y(s.size());
  rt::batchNormForwardEval<float>(s, x.data(), scale.data(), shift.data(),
                                  rm0.data(), rv0.data(), 1e-5f, y.data());
  auto dRm = upload<float>(rm0), dRv = upload<float>(rv0);
  auto dY = alloc<T>(s.size());
  batchNormForwardEval<T>(ctx, s, dX->get(), dScale->get(), dShift->get(),
                          dRm->get(), dRv->get(), 1e-5f, dY->get());
  checks.close<T>("batchNormForwardEval " + tag, download(ctx, *dY), y);
}

template <typename T>
void checkPool(Context &ctx, Checks &checks, const PoolShape &s) {
  std::mt19937 rng(42);
  auto x = rounded<T>(randomFloats(rng, s.inputSize()));
  for (auto &v : x) // ties inside windows
    v = std::round(v * 4.f) / 4.f;
  const auto dy = rounded<T>(randomFloats(rng, s.outputSize()));
  const auto dx0 = rounded<T>(randomFloats(rng, s.inputSize()));
  std::vector<float> y(s.outputSize()), dx = dx0, dxr(s.inputSize());
  std::vector<int32_t> arg(s.outputSize());
  rt::maxPool2dForward<float>(s, x.data(), y.data(), arg.data());
  rt::maxPool2dBackward<float>(s, arg.data(), dy.data(), dx.data(), true);
  rt::maxPool2dBackwardRecompute<float>(s, x.data(), dy.data(), dxr.data());
  auto dX = upload<T>(x), dDy = upload<T>(dy), dDx = upload<T>(dx0);
  auto dY = alloc<T>(s.outputSize());
  auto dArg = alloc<int32_t>(s.outputSize());
  auto dDxr = alloc<T>(s.inputSize());
  const std::string tag = std::to_string(s.h) + "x" + std::to_string(s.w) +
                          " k" + std::to_string(s.kh) + " s" +
                          std::to_string(s.strideH);
  maxPool2dForward<T>(ctx, s, dX->get(), dY->get(), dArg->get());
  checks.close<T>("maxPool2dForward " + tag, download(ctx, *dY), y);
  checks.equal("maxPool2dForward argmax " + tag,
               downloadRaw(ctx, *dArg) == arg);
  maxPool2dBackward<T>(ctx, s, dArg->get(), dDy->get(), dDx->get(), true);
  checks.close<T>("maxPool2dBackward(acc) " + tag, download(ctx, *dDx), dx);
  maxPool2dBackwardRecompute<T>(ctx, s, dX->get(), dDy->get(), dDxr->get());
  checks.close<T>("maxPool2dBackwardRecompute " + tag, download(ctx, *dDxr),
                  dxr);

  const ActShape a{s.n, s.c, s.h, s.w};
  std::vector<float> g(s.n * s.c);
  rt::globalAvgPoolForward<float>(a, x.data(), g.data());
  auto dG = alloc<T>(s.n * s.c);
  auto dGdx = alloc<T>(a.size());
  globalAvgPoolForward<T>(ctx, a, dX->get(), dG->get());
  checks.close<T>("globalAvgPoolForward " + tag, download(ctx, *dG), g);
  const auto gr = rounded<T>(g);
  std::vector<float> gdx(a.size());
  rt::globalAvgPoolBackward<float>(a, gr.data(), gdx.data());
  auto cG = upload<T>(gr);
  globalAvgPoolBackward<T>(ctx, a, cG->get(), dGdx->get());
  checks.close<T>("globalAvgPoolBackward " + tag, download(ctx, *dGdx), gdx);
}

} // namespace

template <typename T> void checkNormPool(Context &ctx, Checks &checks) {
  checkBn<T>(ctx, checks, ActShape{4, 6, 5, 7}, 0.f);
  checkBn<T>(ctx, checks, ActShape{8, 3, 64, 64}, 0.f); // split statistics
  checkBn<T>(ctx, checks, ActShape{16, 10, 1, 1}, 0.f); // BN1d
  if constexpr (!isBf16<T>) // bf16 cannot hold 100 + noise usefully
    checkBn<T>(ctx, checks, ActShape{4, 3, 32, 32}, 100.f);
  checkPool<T>(ctx, checks, PoolShape::make(2, 3, 16, 16, 3, 2, 1));
  checkPool<T>(ctx, checks, PoolShape::make(2, 2, 9, 7, 2, 2, 0));
  checkPool<T>(ctx, checks, PoolShape::make(1, 2, 6, 6, 3, 1, 1));
}

template void checkNormPool<float>(Context &, Checks &);
template void checkNormPool<bf16>(Context &, Checks &);

} // namespace cardinal::rt::cuda::test
