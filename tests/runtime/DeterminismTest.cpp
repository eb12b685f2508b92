//===- DeterminismTest.cpp - same thread count -> same bits ----------------===//
//
// A forward + backward pass through every kernel family, run with one
// thread twice (must be bit-identical), and with two threads (must agree to
// rounding; bit-identical for the kernels documented as thread-count
// independent).
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "runtime/kernels/Kernels.h"

#include <map>
#include <string>

using namespace cardinal::rt;
using namespace cardinal::rt::test;

namespace {

using Outputs = std::map<std::string, std::vector<float>>;

/// Runs each kernel once on fixed random inputs; returns every output.
Outputs runAll() {
  Random rng(70);
  Outputs out;
  // Convolutions: a grouped 3x3 (direct), the same through GEMM, a 1x1.
  const ConvShape grouped = ConvShape::make(4, 64, 12, 12, 64, 3, 3, 1, 1, 1, 16);
  const ConvShape pointwise = ConvShape::make(4, 32, 10, 10, 48, 1, 1);
  for (auto [name, s, algo] :
       {std::tuple{"direct", grouped, ConvAlgo::Direct},
        std::tuple{"gemm", grouped, ConvAlgo::Gemm},
        std::tuple{"pointwise", pointwise, ConvAlgo::Auto}}) {
    auto x = uniform<float>(rng, s.inputSize());
    auto w = uniform<float>(rng, s.weightSize());
    auto b = uniform<float>(rng, s.o);
    auto dy = uniform<float>(rng, s.outputSize());
    std::vector<float> y(s.outputSize()), dx(s.inputSize()),
        dw(s.weightSize()), db(s.o);
    conv2dForward<float>(s, x.data(), w.data(), b.data(), y.data(), algo);
    conv2dBackwardData<float>(s, dy.data(), w.data(), dx.data(), false, algo);
    conv2dBackwardWeight<float>(s, x.data(), dy.data(), dw.data(), db.data(),
                                algo);
    out[std::string(name) + ".y"] = y;
    out[std::string(name) + ".dx"] = dx;
    out[std::string(name) + ".dw"] = dw;
    out[std::string(name) + ".db"] = db;
  }
  // Batch norm.
  const ActShape a{8, 16, 9, 9};
  auto x = uniform<float>(rng, a.size());
  auto scale = uniform<float>(rng, a.c), shift = uniform<float>(rng, a.c);
  auto dy = uniform<float>(rng, a.size());
  std::vector<float> y(a.size()), mean(a.c), invStd(a.c), rm(a.c, 0.f),
      rv(a.c, 1.f), dx(a.size()), dscale(a.c), dshift(a.c);
  batchNormForwardTrain<float>(a, x.data(), scale.data(), shift.data(), 1e-5f,
                               0.1f, y.data(), mean.data(), invStd.data(),
                               rm.data(), rv.data());
  batchNormBackward<float>(a, x.data(), dy.data(), scale.data(), mean.data(),
                           invStd.data(), dx.data(), dscale.data(),
                           dshift.data());
  out["bn.y"] = y, out["bn.rv"] = rv, out["bn.dx"] = dx;
  out["bn.dscale"] = dscale;
  // Pooling.
  const PoolShape p = PoolShape::make(8, 16, 9, 9, 3, 2, 1);
  std::vector<float> py(p.outputSize()), pdx(p.inputSize());
  std::vector<int32_t> idx(p.outputSize());
  auto pdy = uniform<float>(rng, p.outputSize());
  maxPool2dForward<float>(p, x.data(), py.data(), idx.data());
  maxPool2dBackward<float>(p, idx.data(), pdy.data(), pdx.data());
  out["pool.y"] = py, out["pool.dx"] = pdx;
  std::vector<float> gap(a.n * a.c);
  globalAvgPoolForward<float>(a, x.data(), gap.data());
  out["gap.y"] = gap;
  // Linear + loss.
  const LinearShape l{8, a.c, 10};
  auto lw = uniform<float>(rng, l.out * l.in), lb = uniform<float>(rng, l.out);
  std::vector<float> logits(l.n * l.out), dlogits(l.n * l.out),
      ldx(l.n * l.in), ldw(l.out * l.in), ldb(l.out);
  linearForward<float>(l, gap.data(), lw.data(), lb.data(), logits.data());
  std::vector<int32_t> labels = {0, 1, 2, 3, 4, 5, 6, 7};
  const float loss = softmaxCrossEntropyForward<float>(
      l.n, l.out, logits.data(), labels.data(), nullptr);
  softmaxCrossEntropyBackward<float>(l.n, l.out, logits.data(), labels.data(),
                                     1.f, dlogits.data());
  linearBackward<float>(l, gap.data(), lw.data(), dlogits.data(), ldx.data(),
                        ldw.data(), ldb.data());
  out["linear.y"] = logits, out["linear.dx"] = ldx, out["linear.dw"] = ldw;
  out["loss"] = {loss};
  return out;
}

} // namespace

TEST(Determinism, OneThreadTwiceIsBitIdentical) {
  const int saved = numThreads();
  setNumThreads(1);
  const Outputs a = runAll(), b = runAll();
  setNumThreads(saved);
  for (const auto &[name, v] : a) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(bitIdentical(v, b.at(name)));
  }
}

TEST(Determinism, TwoThreadsMatchOne) {
  const int saved = numThreads();
  setNumThreads(1);
  const Outputs one = runAll();
  setNumThreads(2);
  const Outputs two = runAll(), twoAgain = runAll();
  setNumThreads(saved);
  for (const auto &[name, v] : one) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(bitIdentical(two.at(name), twoAgain.at(name)));
    EXPECT_TRUE(allClose(two.at(name), v, 1e-5));
    // Everything except the GEMM-path conv weight gradient splits work so
    // that no sum crosses threads.
    if (name != "gemm.dw" && name != "pointwise.dw") {
      EXPECT_TRUE(bitIdentical(two.at(name), v));
    }
  }
}
