//===- GpuConvChecks.cpp - conv kernels on the device vs the CPU ----------===//
#include "GpuChecks.h"
#include "GpuGrouped.h"

#include "runtime/cuda/ConvPaths.h"
#include "runtime/cuda/math/Gemm1x1.h"
#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/FusedConv.h"

#include <string>

namespace cardinal::rt::cuda::test {
namespace {

std::string describe(const ConvShape &s) {
  return "n" + std::to_string(s.n) + " c" + std::to_string(s.c) + " " +
         std::to_string(s.h) + "x" + std::to_string(s.w) + " o" +
         std::to_string(s.o) + " k" + std::to_string(s.kh) + " s" +
         std::to_string(s.strideH) + " g" + std::to_string(s.groups);
}

/// CPU references of forward (+bias), dgrad (+ accumulate into dx0) and
/// wgrad (+ db) on T-representable inputs.
struct ConvRef {
  std::vector<float> x, w, bias, dy, dx0, y, dx, dw, db;
  explicit ConvRef(const ConvShape &s, std::mt19937 &rng, bool bf) {
    auto r = [&](int64_t n) {
      auto v = randomFloats(rng, n);
      return bf ? rounded<bf16>(v) : v;
    };
    x = r(s.inputSize()), w = r(s.weightSize()), bias = r(s.o);
    dy = r(s.outputSize()), dx0 = r(s.inputSize());
    y.resize(s.outputSize()), dx = dx0, dw.resize(s.weightSize()),
        db.resize(s.o);
    rt::conv2dForward<float>(s, x.data(), w.data(), bias.data(), y.data());
    rt::conv2dBackwardData<float>(s, dy.data(), w.data(), dx.data(), true);
    rt::conv2dBackwardWeight<float>(s, x.data(), dy.data(), dw.data(),
                                    db.data());
  }
};

template <typename T>
void checkLibraryConv(Context &ctx, Checks &checks, const ConvShape &s) {
  std::mt19937 rng(31);
  ConvRef ref(s, rng, isBf16<T>);
  auto x = upload<T>(ref.x), w = upload<T>(ref.w), b = upload<T>(ref.bias),
       dy = upload<T>(ref.dy), dx = upload<T>(ref.dx0);
  auto y = alloc<T>(s.outputSize());
  auto dw = alloc<float>(s.weightSize()), db = alloc<float>(s.o);
  const std::string tag = describe(s) +
                          (chooseConvPath(s) == ConvPath::Cudnn ? " cudnn"
                                                                : " direct");
  conv2dForward<T>(ctx, s, x->get(), w->get(), b->get(), y->get());
  checks.close<T>("conv2dForward " + tag, download(ctx, *y), ref.y);
  conv2dBackwardData<T>(ctx, s, dy->get(), w->get(), dx->get(), true);
  checks.close<T>("conv2dBackwardData(acc) " + tag, download(ctx, *dx),
                  ref.dx);
  conv2dBackwardWeight<T>(ctx, s, x->get(), dy->get(), dw->get(), db->get());
  checks.close<T>("conv2dBackwardWeight " + tag, download(ctx, *dw), ref.dw);
  checks.close<T>("conv2dBackwardWeight db " + tag, download(ctx, *db),
                  ref.db);
  // The other path on the same shape: both must agree with the CPU.
  if (chooseConvPath(s) == ConvPath::Cudnn) {
    directConvForward<T>(ctx, s, x->get(), w->get(), y->get());
    std::vector<float> noBias(ref.y);
    for (int64_t i = 0; i < s.outputSize(); ++i)
      noBias[i] -= ref.bias[(i / (s.oh * s.ow)) % s.o];
    checks.close<T>("directConvForward " + describe(s), download(ctx, *y),
                    noBias);
    if (fitsGemm1x1(s)) { // conv2d* may have picked either: check both
      gemmConv1x1Forward<T>(ctx, s, x->get(), w->get(), y->get());
      checks.close<T>("gemmConv1x1Forward " + describe(s), download(ctx, *y),
                      noBias);
      auto dx2 = upload<T>(ref.dx0);
      gemmConv1x1BackwardData<T>(ctx, s, dy->get(), w->get(), dx2->get(),
                                 true);
      checks.close<T>("gemmConv1x1BackwardData(acc) " + describe(s),
                      download(ctx, *dx2), ref.dx);
      gemmConv1x1BackwardWeight<T>(ctx, s, x->get(), dy->get(), dw->get());
      checks.close<T>("gemmConv1x1BackwardWeight " + describe(s),
                      download(ctx, *dw), ref.dw);
      // A workspace for x' (if gathered) and two samples' partials: the
      // batch in chunks.
      Context *small = createContext(
          ctx.device,
          gemmConv1x1WorkspaceBytes<T>(s, ConvDirection::BackwardWeight) +
              sizeof(float) * static_cast<size_t>(s.weightSize()));
      gemmConv1x1BackwardWeight<T>(*small, s, x->get(), dy->get(), dw->get());
      synchronize(*small);
      destroyContext(small);
      checks.close<T>("gemmConv1x1BackwardWeight in chunks " + describe(s),
                      download(ctx, *dw), ref.dw);
      cudnnConvForward<T>(ctx, s, x->get(), w->get(), y->get());
      checks.close<T>("cudnnConvForward " + describe(s), download(ctx, *y),
                      noBias);
    }
  } else {
    cudnnConvBackwardWeight<T>(ctx, s, x->get(), dy->get(), dw->get());
    checks.close<T>("cudnnConvBackwardWeight " + describe(s),
                    download(ctx, *dw), ref.dw);
    ctx.cudnnOnly = true; // the baseline plan routes grouped convs to cuDNN
    conv2dForward<T>(ctx, s, x->get(), w->get(), b->get(), y->get());
    checks.close<T>("conv2dForward cudnnOnly " + describe(s),
                    download(ctx, *y), ref.y);
    ctx.cudnnOnly = false;
  }
}

template <typename T>
void checkGroupedSpecialization(Context &ctx, Checks &checks,
                                const ConvShape &s) {
  std::mt19937 rng(32);
  ConvRef ref(s, rng, isBf16<T>);
  auto x = upload<T>(ref.x), w = upload<T>(ref.w), b = upload<T>(ref.bias),
       dy = upload<T>(ref.dy), dx = upload<T>(ref.dx0);
  auto y = alloc<T>(s.outputSize());
  auto dw = alloc<float>(s.weightSize()), db = alloc<float>(s.o);
  const std::string tag = describe(s);
  bool found = groupedForward<T>(ctx, s, x->get(), w->get(), b->get(),
                                 y->get());
  checks.close<T>("groupedConv3x3Forward " + tag, download(ctx, *y), ref.y);
  found &= groupedBackwardData<T>(ctx, s, dy->get(), w->get(), dx->get(),
                                  true);
  checks.close<T>("groupedConv3x3BackwardData(acc) " + tag,
                  download(ctx, *dx), ref.dx);
  found &= groupedBackwardWeight<T>(ctx, s, x->get(), dy->get(), dw->get(),
                                    db->get());
  checks.close<T>("groupedConv3x3BackwardWeight " + tag, download(ctx, *dw),
                  ref.dw);
  checks.close<T>("groupedConv3x3BackwardWeight db " + tag,
                  download(ctx, *db), ref.db);
  checks.equal("grouped specialization exists for " + tag, found);
  checks.equal("fitsGroupedConv3x3 " + tag, fitsGroupedConv3x3(s));
}

template <typename T>
void checkBnAct(Context &ctx, Checks &checks, const ConvShape &s,
                bool residual, bool relu) {
  std::mt19937 rng(33);
  auto r = [&](int64_t n, float lo, float hi) {
    return rounded<T>(randomFloats(rng, n, lo, hi));
  };
  auto x = r(s.inputSize(), -1, 1), w = r(s.weightSize(), -1, 1),
       res = r(s.outputSize(), -1, 1);
  auto scale = randomFloats(rng, s.o, 0.5f, 1.5f),
       shift = randomFloats(rng, s.o, -1, 1),
       mean = randomFloats(rng, s.o, -1, 1),
       var = randomFloats(rng, s.o, 0.5f, 2.f);
  std::vector<float> ref(s.outputSize());
  rt::conv2dBnActForward<float>(s, x.data(), w.data(), scale.data(),
                                shift.data(), mean.data(), var.data(), 1e-5f,
                                residual ? res.data() : nullptr, relu,
                                ref.data());
  auto dx = upload<T>(x), dw = upload<T>(w), dres = upload<T>(res);
  auto dscale = upload<float>(scale), dshift = upload<float>(shift),
       dmean = upload<float>(mean), dvar = upload<float>(var);
  auto y = alloc<T>(s.outputSize());
  conv2dBnActForward<T>(ctx, s, dx->get(), dw->get(), dscale->get(),
                        dshift->get(), dmean->get(), dvar->get(), 1e-5f,
                        residual ? dres->get() : nullptr, relu, y->get());
  checks.close<T>("conv2dBnActForward " + describe(s) +
                      (residual ? " +res" : "") + (relu ? " relu" : ""),
                  download(ctx, *y), ref);
}

} // namespace

template <typename T> void checkConvs(Context &ctx, Checks &checks) {
  for (const ConvShape &s :
       {ConvShape::make(2, 8, 9, 9, 16, 3, 3, 1, 1),     // dense 3x3
        ConvShape::make(3, 16, 8, 8, 24, 1, 1, 2, 0),    // 1x1 projection
        ConvShape::make(2, 8, 7, 5, 8, 1, 1, 2, 0),      // odd sides
        ConvShape::make(3, 24, 7, 5, 16, 1, 1),          // 1x1: cuBLAS too
        ConvShape::make(2, 3, 17, 17, 8, 7, 7, 2, 3),    // stem-like 7x7
        ConvShape::make(2, 64, 9, 9, 64, 3, 3, 2, 1, 1, 32), // 32x2d grouped
        ConvShape::make(2, 8, 6, 6, 8, 3, 3, 1, 1, 1, 2)}) { // C=2
    checkLibraryConv<T>(ctx, checks, s);
    checks.equal("fitsGroupedConv3x3 " + describe(s) + " is " +
                     (s.groups > 1 && s.kh == 3 ? "true" : "false"),
                 fitsGroupedConv3x3(s) == (s.groups > 1 && s.kh == 3));
  }
  for (const ConvShape &s : groupedTestShapes(3))
    checkGroupedSpecialization<T>(ctx, checks, s);
  checkBnAct<T>(ctx, checks, ConvShape::make(2, 8, 7, 7, 16, 3, 3, 1, 1),
                true, true);
  checkBnAct<T>(ctx, checks,
                ConvShape::make(2, 16, 7, 7, 16, 3, 3, 1, 1, 1, 4), false,
                false);
}

template void checkConvs<float>(Context &, Checks &);
template void checkConvs<bf16>(Context &, Checks &);

} // namespace cardinal::rt::cuda::test
