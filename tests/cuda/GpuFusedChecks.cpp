//===- GpuFusedChecks.cpp - conv-level training fusion on the device ------===//
//
// Every kernel of the conv-level training fusion against the CPU's fused
// kernels (ConvStats.h, BnPrologueConv.h, BnApply.h): the library entry
// points (dense convs through cuDNN, a grouped conv through the direct
// kernel: the decomposition of ConvBn.cu), the fused grouped 3x3 templates
// (GpuGroupedFused.cu), the elementwise BN forward/backwards, and the
// BN-grad reductions of the conv backward-data (conv2dBackwardDataBnSums,
// bnReluGradSums, bnReluApplyBackwardInput). Inputs
// are the T-rounded values on both sides; statistics are fp32 but, for
// bf16, taken from y as stored, hence compared at T's tolerance.
//
//===----------------------------------------------------------------------===//
#include "GpuChecks.h"
#include "GpuGrouped.h"

#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/BnPrologueConv.h"
#include "runtime/kernels/ConvGradBnSums.h"
#include "runtime/kernels/ConvStats.h"

#include <string>

namespace cardinal::rt::cuda::test {
namespace {

std::string describe(const ConvShape &s) {
  return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" +
         std::to_string(s.h) + "x" + std::to_string(s.w) + "->" +
         std::to_string(s.o) + " k" + std::to_string(s.kh) + " s" +
         std::to_string(s.strideH) + " g" + std::to_string(s.groups);
}

/// The BN of the layer before: statistics and affine parameters (fp32).
struct InBn {
  std::vector<float> mean, invstd, scale, shift;
  std::unique_ptr<Dev<float>> dMean, dInvstd, dScale, dShift;
  InBn(std::mt19937 &rng, int64_t c, float offset)
      : mean(randomFloats(rng, c, offset, offset + 1.5f)),
        invstd(randomFloats(rng, c, 0.5f, 2.f)),
        scale(randomFloats(rng, c, -0.5f, 1.5f)),
        shift(randomFloats(rng, c, -0.5f, 0.5f)), dMean(upload<float>(mean)),
        dInvstd(upload<float>(invstd)), dScale(upload<float>(scale)),
        dShift(upload<float>(shift)) {}
};

/// `grouped`: through the generated templates (false: the library).
template <typename T>
void checkFusedConv(Context &ctx, Checks &checks, const ConvShape &s,
                    bool grouped, float offset = 0.f) {
  std::mt19937 rng(53);
  const auto x = rounded<T>(
      randomFloats(rng, s.inputSize(), offset - 1.f, offset + 1.f));
  const auto w = rounded<T>(randomFloats(rng, s.weightSize(), -0.5f, 0.5f));
  const auto dy = rounded<T>(randomFloats(rng, s.outputSize()));
  const auto rm0 = randomFloats(rng, s.o), rv0 = randomFloats(rng, s.o, 1, 2);
  InBn in(rng, s.c, offset);
  const std::string tag = describe(s) + (offset ? " offset" : "") +
                          (grouped ? " grouped3x3" : " library");
  auto dX = upload<T>(x), dW = upload<T>(w), dDy = upload<T>(dy);
  const float eps = 1e-5f, momentum = 0.1f;

  for (int variant = 0; variant < 3; ++variant) {
    // 0: conv2d_stats, 1: bn_relu_conv2d_stats, 2: bn_relu_conv2d.
    const bool prologue = variant > 0, stats = variant < 2;
    const std::string name =
        std::string(variant == 0   ? "conv2dStatsForward "
                    : variant == 1 ? "bnReluConv2dStatsForward "
                                   : "bnReluConv2dForward ") +
        tag;
    std::vector<float> y(s.outputSize()), mean(s.o), inv(s.o), rm = rm0,
                                                                rv = rv0;
    if (variant == 0)
      rt::conv2dStatsForward<float>(s, x.data(), w.data(), eps, momentum,
                                    y.data(), mean.data(), inv.data(),
                                    rm.data(), rv.data());
    else if (variant == 1)
      rt::bnReluConv2dStatsForward<float>(
          s, x.data(), in.mean.data(), in.invstd.data(), in.scale.data(),
          in.shift.data(), w.data(), eps, momentum, y.data(), mean.data(),
          inv.data(), rm.data(), rv.data());
    else
      rt::bnReluConv2dForward<float>(s, x.data(), in.mean.data(),
                                     in.invstd.data(), in.scale.data(),
                                     in.shift.data(), w.data(), y.data());
    auto dY = alloc<T>(s.outputSize());
    auto dMean = alloc<float>(s.o), dInv = alloc<float>(s.o);
    auto dRm = upload<float>(rm0), dRv = upload<float>(rv0);
    const float *im = prologue ? in.dMean->get() : nullptr;
    if (grouped) {
      if (!groupedFusedForward<T>(ctx, s, dX->get(), im, in.dInvstd->get(),
                                  in.dScale->get(), in.dShift->get(),
                                  dW->get(), eps, momentum, dY->get(),
                                  stats ? dMean->get() : nullptr, dInv->get(),
                                  dRm->get(), dRv->get())) {
        checks.expect(name + " (no instantiation)", 1.0, 0.0);
        return;
      }
    } else if (variant == 0) {
      conv2dStatsForward<T>(ctx, s, dX->get(), dW->get(), eps, momentum,
                            dY->get(), dMean->get(), dInv->get(), dRm->get(),
                            dRv->get());
    } else if (variant == 1) {
      bnReluConv2dStatsForward<T>(
          ctx, s, dX->get(), in.dMean->get(), in.dInvstd->get(),
          in.dScale->get(), in.dShift->get(), dW->get(), eps, momentum,
          dY->get(), dMean->get(), dInv->get(), dRm->get(), dRv->get());
    } else {
      bnReluConv2dForward<T>(ctx, s, dX->get(), in.dMean->get(),
                             in.dInvstd->get(), in.dScale->get(),
                             in.dShift->get(), dW->get(), dY->get());
    }
    checks.close<T>(name + " y", download(ctx, *dY), y, 10);
    if (stats) {
      checks.close<T>(name + " mean", download(ctx, *dMean), mean, 10);
      checks.close<T>(name + " invstd", download(ctx, *dInv), inv, 10);
      checks.close<T>(name + " runningMean", download(ctx, *dRm), rm, 10);
      checks.close<T>(name + " runningVar", download(ctx, *dRv), rv, 10);
    }
  }

  // bn_relu_conv2d_grad_weight.
  std::vector<float> dw(s.weightSize());
  rt::bnReluConv2dBackwardWeight<float>(
      s, x.data(), in.mean.data(), in.invstd.data(), in.scale.data(),
      in.shift.data(), dy.data(), dw.data());
  auto dDw = alloc<float>(s.weightSize());
  const std::string name = "bnReluConv2dBackwardWeight " + tag;
  if (grouped)
    groupedBnReluBackwardWeight<T>(ctx, s, dX->get(), in.dMean->get(),
                                   in.dInvstd->get(), in.dScale->get(),
                                   in.dShift->get(), dDy->get(), dDw->get());
  else
    bnReluConv2dBackwardWeight<T>(ctx, s, dX->get(), in.dMean->get(),
                                  in.dInvstd->get(), in.dScale->get(),
                                  in.dShift->get(), dDy->get(), dDw->get());
  checks.close<T>(name + " dw", download(ctx, *dDw), dw, 10);

  // nn.conv2d_grad_input_bn_sums through the library (conv2d* backward-data,
  // then the reductions): dx and the BN backward's dscale/dshift.
  {
    std::vector<float> dx(s.inputSize()), ds(s.c), db(s.c);
    rt::conv2dBackwardDataBnSums<float>(
        s, dy.data(), w.data(), x.data(), in.mean.data(), in.invstd.data(),
        in.scale.data(), in.shift.data(), dx.data(), ds.data(), db.data());
    auto dDx = alloc<T>(s.inputSize());
    auto dDs = alloc<float>(s.c), dDb = alloc<float>(s.c);
    conv2dBackwardDataBnSums<T>(ctx, s, dDy->get(), dW->get(), dX->get(),
                                in.dMean->get(), in.dInvstd->get(),
                                in.dScale->get(), in.dShift->get(), dDx->get(),
                                dDs->get(), dDb->get());
    const std::string sums = "conv2dBackwardDataBnSums " + tag;
    checks.close<T>(sums + " dx", download(ctx, *dDx), dx, 10);
    checks.close<T>(sums + " dscale", download(ctx, *dDs), ds, 10);
    checks.close<T>(sums + " dshift", download(ctx, *dDb), db, 10);
  }
}

template <typename T>
void checkFusedBn(Context &ctx, Checks &checks, const ActShape &s,
                  float offset) {
  std::mt19937 rng(59);
  const auto x = rounded<T>(randomFloats(rng, s.size(), offset - 1, offset + 1));
  const auto res = rounded<T>(randomFloats(rng, s.size()));
  const auto dy = rounded<T>(randomFloats(rng, s.size()));
  InBn in(rng, s.c, offset - 0.75f);
  const std::string tag = std::to_string(s.n) + "x" + std::to_string(s.c) +
                          "x" + std::to_string(s.h) + "x" +
                          std::to_string(s.w) + (offset ? " offset" : "");
  auto dX = upload<T>(x), dRes = upload<T>(res), dDy = upload<T>(dy);

  std::vector<float> y(s.size());
  rt::bnAddReluForward<float>(s, x.data(), in.mean.data(), in.invstd.data(),
                              in.scale.data(), in.shift.data(), res.data(),
                              y.data());
  auto dY = alloc<T>(s.size());
  bnAddReluForward<T>(ctx, s, dX->get(), in.dMean->get(), in.dInvstd->get(),
                      in.dScale->get(), in.dShift->get(), dRes->get(),
                      dY->get());
  checks.close<T>("bnAddReluForward " + tag, download(ctx, *dY), y);

  // Backwards from the same (rounded) y on both sides.
  const auto yr = rounded<T>(y);
  auto cY = upload<T>(yr);
  for (bool addRelu : {true, false}) {
    std::vector<float> dx(s.size()), dres(s.size()), ds(s.c), db(s.c);
    if (addRelu)
      rt::bnAddReluBackward<float>(s, x.data(), yr.data(), dy.data(),
                                   in.mean.data(), in.invstd.data(),
                                   in.scale.data(), dx.data(), dres.data(),
                                   ds.data(), db.data());
    else
      rt::bnReluApplyBackward<float>(s, x.data(), dy.data(), in.mean.data(),
                                     in.invstd.data(), in.scale.data(),
                                     in.shift.data(), dx.data(), ds.data(),
                                     db.data());
    auto dDx = alloc<T>(s.size()), dDres = alloc<T>(s.size());
    auto dDs = alloc<float>(s.c), dDb = alloc<float>(s.c);
    if (addRelu)
      bnAddReluBackward<T>(ctx, s, dX->get(), cY->get(), dDy->get(),
                           in.dMean->get(), in.dInvstd->get(),
                           in.dScale->get(), dDx->get(), dDres->get(),
                           dDs->get(), dDb->get());
    else
      bnReluApplyBackward<T>(ctx, s, dX->get(), dDy->get(), in.dMean->get(),
                             in.dInvstd->get(), in.dScale->get(),
                             in.dShift->get(), dDx->get(), dDs->get(),
                             dDb->get());
    const std::string name =
        (addRelu ? "bnAddReluBackward " : "bnReluApplyBackward ") + tag;
    checks.close<T>(name + " dx", download(ctx, *dDx), dx, 10);
    checks.close<float>(name + " dscale", download(ctx, *dDs), ds, 10);
    checks.close<float>(name + " dshift", download(ctx, *dDb), db, 10);
    if (addRelu)
      checks.close<T>(name + " dresidual", download(ctx, *dDres), dres);
  }

  // The BN-grad reductions alone, and the dx pass given them (the split
  // bn_relu_apply_grad of conv2d_grad_input_bn_sums + bn_relu_apply_grad_input).
  std::vector<float> dx(s.size()), ds(s.c), db(s.c);
  rt::bnReluApplyBackward<float>(s, x.data(), dy.data(), in.mean.data(),
                                 in.invstd.data(), in.scale.data(),
                                 in.shift.data(), dx.data(), ds.data(),
                                 db.data());
  auto dDs = alloc<float>(s.c), dDb = alloc<float>(s.c);
  bnReluGradSums<T>(ctx, s, dX->get(), dDy->get(), in.dMean->get(),
                    in.dInvstd->get(), in.dScale->get(), in.dShift->get(),
                    dDs->get(), dDb->get());
  checks.close<float>("bnReluGradSums dscale " + tag, download(ctx, *dDs), ds,
                      10);
  checks.close<float>("bnReluGradSums dshift " + tag, download(ctx, *dDb), db,
                      10);
  auto cDs = upload<float>(ds), cDb = upload<float>(db);
  auto dDx = alloc<T>(s.size());
  bnReluApplyBackwardInput<T>(ctx, s, dX->get(), dDy->get(), in.dMean->get(),
                              in.dInvstd->get(), in.dScale->get(),
                              in.dShift->get(), cDs->get(), cDb->get(),
                              dDx->get());
  checks.close<T>("bnReluApplyBackwardInput dx " + tag, download(ctx, *dDx),
                  dx, 10);
}

} // namespace

template <typename T> void checkFused(Context &ctx, Checks &checks) {
  // The library (decomposition): dense 1x1 and 3x3 (cuDNN), strided, and a
  // grouped conv no template covers (the direct kernel).
  checkFusedConv<T>(ctx, checks, ConvShape::make(4, 16, 8, 8, 32, 1, 1), false);
  checkFusedConv<T>(ctx, checks,
                    ConvShape::make(4, 3, 16, 16, 8, 3, 3, 2, 1), false);
  checkFusedConv<T>(ctx, checks,
                    ConvShape::make(2, 32, 8, 8, 64, 1, 1, 2, 0), false);
  checkFusedConv<T>(ctx, checks,
                    ConvShape::make(2, 8, 6, 6, 8, 3, 3, 1, 1, 1, 2), false);
  // The fused grouped 3x3 templates.
  for (const ConvShape &s : groupedFusedTestShapes(3))
    checkFusedConv<T>(ctx, checks, s, true);
  checkFusedBn<T>(ctx, checks, ActShape{4, 6, 5, 7}, 0.f);
  checkFusedBn<T>(ctx, checks, ActShape{8, 3, 64, 64}, 0.f); // split sums
  if constexpr (!isBf16<T>) { // |mean| >> std: fp32 only (as checkBn)
    checkFusedConv<T>(ctx, checks, ConvShape::make(4, 16, 8, 8, 32, 1, 1),
                      false, 100.f);
    checkFusedConv<T>(ctx, checks, groupedFusedTestShapes(2)[0], true, 100.f);
    checkFusedBn<T>(ctx, checks, ActShape{4, 3, 32, 32}, 100.f);
  }
}

template void checkFused<float>(Context &, Checks &);
template void checkFused<bf16>(Context &, Checks &);

} // namespace cardinal::rt::cuda::test
