//===- GpuMiscChecks.cpp - pointwise, concat, linear, loss, SGD, casts ----===//
#include "GpuChecks.h"

#include "runtime/kernels/Concat.h"
#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/Linear.h"
#include "runtime/kernels/Loss.h"
#include "runtime/kernels/Sgd.h"

#include <cmath>
#include <limits>

namespace cardinal::rt::cuda::test {
namespace {

template <typename T> void checkPointwise(Context &ctx, Checks &checks) {
  std::mt19937 rng(51);
  const int64_t n = 10007;
  const auto a = rounded<T>(randomFloats(rng, n)),
             b = rounded<T>(randomFloats(rng, n));
  std::vector<float> relu(n), drelu(n), sum(n);
  rt::reluForward<float>(n, a.data(), relu.data());
  rt::reluBackward<float>(n, a.data(), b.data(), drelu.data());
  rt::add<float>(n, a.data(), b.data(), sum.data());
  auto dA = upload<T>(a), dB = upload<T>(b);
  auto out = alloc<T>(n);
  reluForward<T>(ctx, n, dA->get(), out->get());
  checks.close<T>("reluForward", download(ctx, *out), relu);
  reluBackward<T>(ctx, n, dA->get(), dB->get(), out->get());
  checks.close<T>("reluBackward", download(ctx, *out), drelu);
  add<T>(ctx, n, dA->get(), dB->get(), out->get());
  checks.close<T>("add", download(ctx, *out), sum);

  // biasGrad: per-channel sums of a [3, 7, 25] tensor.
  std::vector<float> db(7, 0.f);
  for (int64_t i = 0; i < 3 * 7 * 25; ++i)
    db[(i / 25) % 7] += a[i];
  auto dDb = alloc<float>(7);
  biasGrad<T>(ctx, 3, 7, 25, dA->get(), dDb->get());
  checks.close<float>(std::string("biasGrad [") + typeName<T>() + "]",
                      download(ctx, *dDb), db);
}

template <typename T> void checkConcatSlice(Context &ctx, Checks &checks) {
  std::mt19937 rng(52);
  const int64_t n = 3, hw = 10, chans[] = {2, 5, 1}, total = 8;
  std::vector<std::vector<float>> parts;
  for (int64_t c : chans)
    parts.push_back(rounded<T>(randomFloats(rng, n * c * hw)));
  const float *cpuParts[] = {parts[0].data(), parts[1].data(),
                             parts[2].data()};
  std::vector<float> y(n * total * hw);
  rt::concatChannelsForward<float>(n, hw, 3, cpuParts, chans, y.data());
  auto p0 = upload<T>(parts[0]), p1 = upload<T>(parts[1]),
       p2 = upload<T>(parts[2]);
  const T *devParts[] = {p0->get(), p1->get(), p2->get()};
  auto dY = alloc<T>(y.size());
  concatChannelsForward<T>(ctx, n, hw, 3, devParts, chans, dY->get());
  checks.close<T>("concatChannelsForward", download(ctx, *dY), y);

  // Backward with accumulate into the parts.
  const auto dy = rounded<T>(randomFloats(rng, y.size()));
  auto cpuDx = parts;
  float *cpuDxs[] = {cpuDx[0].data(), cpuDx[1].data(), cpuDx[2].data()};
  rt::concatChannelsBackward<float>(n, hw, 3, chans, dy.data(), cpuDxs, true);
  auto dDy = upload<T>(dy);
  T *devDxs[] = {p0->get(), p1->get(), p2->get()};
  concatChannelsBackward<T>(ctx, n, hw, 3, chans, dDy->get(), devDxs, true);
  checks.close<T>("concatChannelsBackward(acc) part 1", download(ctx, *p1),
                  cpuDx[1]);

  // Slice channels [3, 7) of y, forward and both backward modes.
  std::vector<float> s(n * 4 * hw), dx(y.size()), dxAcc = y;
  rt::sliceChannelsForward<float>(n, total, hw, 3, 4, y.data(), s.data());
  rt::sliceChannelsBackward<float>(n, total, hw, 3, 4, s.data(), dx.data());
  rt::sliceChannelsBackward<float>(n, total, hw, 3, 4, s.data(), dxAcc.data(),
                                   true);
  auto dS = alloc<T>(s.size());
  sliceChannelsForward<T>(ctx, n, total, hw, 3, 4, dY->get(), dS->get());
  checks.close<T>("sliceChannelsForward", download(ctx, *dS), s);
  auto dDx = upload<T>(rounded<T>(randomFloats(rng, y.size()))); // garbage
  sliceChannelsBackward<T>(ctx, n, total, hw, 3, 4, dS->get(), dDx->get());
  checks.close<T>("sliceChannelsBackward (zeroes the rest)",
                  download(ctx, *dDx), dx);
  sliceChannelsBackward<T>(ctx, n, total, hw, 3, 4, dS->get(), dY->get(),
                           true);
  checks.close<T>("sliceChannelsBackward(acc)", download(ctx, *dY), dxAcc);
}

template <typename T> void checkLinearLoss(Context &ctx, Checks &checks) {
  std::mt19937 rng(53);
  const LinearShape s{6, 40, 11};
  const auto x = rounded<T>(randomFloats(rng, s.n * s.in)),
             w = rounded<T>(randomFloats(rng, s.out * s.in)),
             b = rounded<T>(randomFloats(rng, s.out)),
             dy = rounded<T>(randomFloats(rng, s.n * s.out));
  std::vector<float> y(s.n * s.out), dx(s.n * s.in), dw(s.out * s.in),
      db(s.out);
  rt::linearForward<float>(s, x.data(), w.data(), b.data(), y.data());
  rt::linearBackward<float>(s, x.data(), w.data(), dy.data(), dx.data(),
                            dw.data(), db.data());
  auto dX = upload<T>(x), dW = upload<T>(w), dB = upload<T>(b),
       dDy = upload<T>(dy);
  auto dY = alloc<T>(y.size()), dDx = alloc<T>(dx.size());
  auto dDw = alloc<float>(dw.size()), dDb = alloc<float>(db.size());
  linearForward<T>(ctx, s, dX->get(), dW->get(), dB->get(), dY->get());
  checks.close<T>("linearForward", download(ctx, *dY), y);
  linearBackward<T>(ctx, s, dX->get(), dW->get(), dDy->get(), dDx->get(),
                    dDw->get(), dDb->get());
  checks.close<T>("linearBackward dx", download(ctx, *dDx), dx);
  checks.close<T>("linearBackward dw", download(ctx, *dDw), dw);
  checks.close<T>("linearBackward db", download(ctx, *dDb), db);

  // Loss on [n, k] logits with ties for top-k.
  const int64_t n = 37, k = 12;
  auto logits = rounded<T>(randomFloats(rng, n * k, -4, 4));
  for (auto &v : logits)
    v = std::round(v * 2.f) / 2.f;
  const auto labels = randomLabels(rng, n, k);
  std::vector<float> probs(n * k), dlogits(n * k);
  const float loss = rt::softmaxCrossEntropyForward<float>(
      n, k, logits.data(), labels.data(), probs.data());
  rt::softmaxCrossEntropyBackward<float>(n, k, logits.data(), labels.data(),
                                         1.f, dlogits.data());
  const TopKCorrect hits =
      rt::countTopKCorrect<float>(n, k, logits.data(), labels.data());
  auto dL = upload<T>(logits);
  auto dLab = uploadRaw(labels);
  auto dProbs = alloc<T>(n * k), dDl = alloc<T>(n * k);
  auto dLoss = alloc<float>(1);
  auto dHits = alloc<int64_t>(2);
  softmaxCrossEntropyForward<T>(ctx, n, k, dL->get(), dLab->get(),
                                dProbs->get(), dLoss->get());
  checks.close<float>(std::string("softmaxCrossEntropyForward loss [") +
                          typeName<T>() + "]",
                      download(ctx, *dLoss), std::vector<float>{loss});
  checks.close<T>("softmaxCrossEntropyForward probs", download(ctx, *dProbs),
                  probs);
  softmaxCrossEntropyBackward<T>(ctx, n, k, dL->get(), dLab->get(), 1.f,
                                 dDl->get());
  checks.close<T>("softmaxCrossEntropyBackward", download(ctx, *dDl),
                  dlogits);
  countTopKCorrect<T>(ctx, n, k, dL->get(), dLab->get(), dHits->get());
  const auto got = downloadRaw(ctx, *dHits);
  checks.equal(std::string("countTopKCorrect [") + typeName<T>() + "]",
               got[0] == hits.top1 && got[1] == hits.top5);
}

} // namespace

template <typename T> void checkMisc(Context &ctx, Checks &checks) {
  checkPointwise<T>(ctx, checks);
  checkConcatSlice<T>(ctx, checks);
  checkLinearLoss<T>(ctx, checks);
}

template void checkMisc<float>(Context &, Checks &);
template void checkMisc<bf16>(Context &, Checks &);

void checkSgdAndCasts(Context &ctx, Checks &checks) {
  std::mt19937 rng(54);
  const int64_t n = 4099;
  const auto w0 = randomFloats(rng, n), g = randomFloats(rng, n),
             v0 = randomFloats(rng, n);
  for (bool nesterov : {false, true}) {
    auto w = w0, v = v0;
    rt::sgdUpdate<float>(n, w.data(), g.data(), v.data(), 0.1f, 0.9f, 1e-4f,
                         nesterov);
    auto dW = upload<float>(w0), dG = upload<float>(g), dV = upload<float>(v0);
    auto dLow = alloc<bf16>(n);
    sgdUpdate(ctx, n, dW->get(), dG->get(), dV->get(), 0.1f, 0.9f, 1e-4f,
              nesterov, dLow->get());
    const std::string tag = nesterov ? " nesterov" : "";
    checks.expect("sgdUpdate w" + tag, relError(download(ctx, *dW), w), 1e-6);
    checks.expect("sgdUpdate v" + tag, relError(download(ctx, *dV), v), 1e-6);
    checks.close<bf16>("sgdUpdate bf16 copy" + tag, download(ctx, *dLow), w);
  }
  // Casts: the device kernel must give math/Bf16.h's bits exactly.
  std::vector<float> f = randomFloats(rng, 1000, -1e3f, 1e3f);
  const float inf = std::numeric_limits<float>::infinity();
  for (float special : {0.f, -0.f, inf, -inf, NAN, bitsFloat(0x7f800001u),
                        bitsFloat(0x3f808000u), bitsFloat(0x3f818000u),
                        bitsFloat(0x00000001u), bitsFloat(0x00018000u),
                        std::numeric_limits<float>::max()})
    f.push_back(special);
  auto dF = upload<float>(f);
  auto dH = alloc<bf16>(f.size());
  auto dBack = alloc<float>(f.size());
  castFloatToBf16(ctx, static_cast<int64_t>(f.size()), dF->get(), dH->get());
  castBf16ToFloat(ctx, static_cast<int64_t>(f.size()), dH->get(),
                  dBack->get());
  const auto bits = downloadRaw(ctx, *dH);
  bool same = true;
  for (size_t i = 0; i < f.size(); ++i) {
    uint16_t b;
    std::memcpy(&b, &bits[i], sizeof b);
    same &= b == floatToBf16Bits(f[i]);
  }
  checks.equal("castFloatToBf16 bits == floatToBf16Bits", same);
  checks.expect("castBf16ToFloat exact",
                relError(download(ctx, *dBack), rounded<bf16>(f)), 0.0);
}

} // namespace cardinal::rt::cuda::test
