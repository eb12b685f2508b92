//===- ConvStatsKernelTest.cpp - the conv-level fused training kernels ----===//
//
// Each fused kernel of the conv-level training fusion against the unfused
// kernels it replaces, in double (≤ 1e-12 relative) and float (≤ 1e-5),
// on a dense 1x1 conv and a grouped strided 3x3 conv:
//  - conv2dStatsForward vs conv2dForward + batchNormForwardTrain (output,
//    saved mean/invstd, running statistics), also with |mean| >> std;
//  - bnReluConv2dForward / bnReluConv2dBackwardWeight vs BN -> ReLU ->
//    conv2dForward / conv2dBackwardWeight; bnReluConv2dStatsForward vs
//    BN -> ReLU -> conv -> batchNormForwardTrain's statistics;
//  - bnReluApplyBackward vs bnReluBackward (mask recomputed vs stored);
//  - bnAddReluForward / bnAddReluBackward vs BN -> add -> ReLU and
//    reluBackward -> batchNormBackward;
//  - conv2dBackwardDataBnSums + bnReluApplyBackwardInput vs
//    conv2dBackwardData + bnReluApplyBackward, on small shapes, on batches
//    of several chunks, and with a synchronized-BN reducer.
//
//===----------------------------------------------------------------------===//
#include "runtime/Random.h"
#include "runtime/kernels/Kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace cardinal::rt;

namespace {

template <typename T>
std::vector<T> uniform(Random &rng, int64_t n, double lo, double hi) {
  std::vector<T> v(n);
  for (auto &e : v)
    e = static_cast<T>(lo + (hi - lo) * rng.uniform());
  return v;
}

template <typename T>
double relError(const std::vector<T> &a, const std::vector<T> &b) {
  double diff = 0, ref = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs((double)a[i] - (double)b[i]));
    ref = std::max(ref, std::fabs((double)b[i]));
  }
  return diff / std::max(ref, 1e-30);
}

// A BN layer's inputs: the previous conv's output x and the BN parameters.
template <typename T> struct Layer {
  ConvShape prev; // conv producing x
  ConvShape next; // conv consuming relu(BN(x))
};

std::vector<Layer<double>> shapes() {
  return {
      {ConvShape::make(4, 6, 7, 7, 8, 1, 1), ConvShape::make(4, 8, 7, 7, 5, 1, 1)},
      {ConvShape::make(3, 4, 9, 9, 8, 1, 1),
       ConvShape::make(3, 8, 9, 9, 8, 3, 3, 2, 1, 1, 4)},
  };
}

template <typename T> void checkAll(double tol, double offset) {
  for (const auto &l : shapes()) {
    Random rng(3);
    const ConvShape &p = l.prev, &q = l.next;
    const ActShape a = p.output();
    auto xin = uniform<T>(rng, p.inputSize(), -1, 1);
    auto w = uniform<T>(rng, p.weightSize(), -0.5, 0.5);
    auto scale = uniform<T>(rng, a.c, 0.5, 1.5);
    auto shift = uniform<T>(rng, a.c, -0.3, 0.3);
    auto rm0 = uniform<T>(rng, a.c, -0.1, 0.1);
    auto rv0 = uniform<T>(rng, a.c, 0.5, 1.5);
    // An input offset makes |mean| >> std: the merged per-image moments
    // must stay as exact as the two-pass ones.
    for (auto &v : xin)
      v += static_cast<T>(offset);

    // Unfused: conv, BN (training), relu.
    std::vector<T> x(a.size()), n(a.size()), r(a.size()), m(a.c), is(a.c);
    std::vector<T> rm = rm0, rv = rv0;
    conv2dForward(p, xin.data(), w.data(), static_cast<const T *>(nullptr),
                  x.data());
    batchNormForwardTrain(a, x.data(), scale.data(), shift.data(), T(1e-5),
                          T(0.1), n.data(), m.data(), is.data(), rm.data(),
                          rv.data());
    reluForward(a.size(), n.data(), r.data());

    // conv2dStatsForward.
    std::vector<T> fx(a.size()), fm(a.c), fis(a.c), frm = rm0, frv = rv0;
    conv2dStatsForward(p, xin.data(), w.data(), T(1e-5), T(0.1), fx.data(),
                       fm.data(), fis.data(), frm.data(), frv.data());
    EXPECT_LE(relError(fx, x), tol);
    EXPECT_LE(relError(fm, m), tol);
    EXPECT_LE(relError(fis, is), tol);
    EXPECT_LE(relError(frm, rm), tol);
    EXPECT_LE(relError(frv, rv), tol);

    // bnReluConv2dForward vs conv(relu(BN(x))).
    auto w2 = uniform<T>(rng, q.weightSize(), -0.5, 0.5);
    std::vector<T> z(q.outputSize()), fz(q.outputSize());
    conv2dForward(q, r.data(), w2.data(), static_cast<const T *>(nullptr),
                  z.data());
    bnReluConv2dForward(q, x.data(), m.data(), is.data(), scale.data(),
                        shift.data(), w2.data(), fz.data());
    EXPECT_LE(relError(fz, z), tol);

    // bnReluConv2dStatsForward vs the same conv + batchNormForwardTrain.
    {
      const ActShape b = q.output();
      std::vector<T> nz(b.size()), m2(b.c), is2(b.c), fm2(b.c), fis2(b.c),
          fz2(b.size());
      std::vector<T> rm2(rm0.begin(), rm0.begin() + b.c),
          rv2(rv0.begin(), rv0.begin() + b.c);
      std::vector<T> frm2 = rm2, frv2 = rv2;
      batchNormForwardTrain(b, z.data(), static_cast<const T *>(nullptr),
                            static_cast<const T *>(nullptr), T(1e-5), T(0.1),
                            nz.data(), m2.data(), is2.data(), rm2.data(),
                            rv2.data());
      bnReluConv2dStatsForward(q, x.data(), m.data(), is.data(), scale.data(),
                               shift.data(), w2.data(), T(1e-5), T(0.1),
                               fz2.data(), fm2.data(), fis2.data(),
                               frm2.data(), frv2.data());
      EXPECT_LE(relError(fz2, z), tol);
      EXPECT_LE(relError(fm2, m2), tol);
      EXPECT_LE(relError(fis2, is2), tol);
      EXPECT_LE(relError(frm2, rm2), tol);
      EXPECT_LE(relError(frv2, rv2), tol);
    }

    // bnReluConv2dBackwardWeight vs conv2dBackwardWeight(relu(BN(x)), dz).
    auto dz = uniform<T>(rng, q.outputSize(), -1, 1);
    std::vector<T> dw(q.weightSize()), fdw(q.weightSize());
    conv2dBackwardWeight(q, r.data(), dz.data(), dw.data(),
                         static_cast<T *>(nullptr));
    bnReluConv2dBackwardWeight(q, x.data(), m.data(), is.data(), scale.data(),
                               shift.data(), dz.data(), fdw.data());
    EXPECT_LE(relError(fdw, dw), tol);

    // bnReluApplyBackward vs bnReluBackward (stored y).
    auto dr = uniform<T>(rng, a.size(), -1, 1);
    std::vector<T> dx(a.size()), ds(a.c), dt(a.c), fdx(a.size()), fds(a.c),
        fdt(a.c);
    bnReluBackward(a, x.data(), r.data(), dr.data(), scale.data(), m.data(),
                   is.data(), dx.data(), ds.data(), dt.data());
    bnReluApplyBackward(a, x.data(), dr.data(), m.data(), is.data(),
                        scale.data(), shift.data(), fdx.data(), fds.data(),
                        fdt.data());
    EXPECT_LE(relError(fdx, dx), tol);
    EXPECT_LE(relError(fds, ds), tol);
    EXPECT_LE(relError(fdt, dt), tol);

    // bnAddReluForward / Backward vs BN -> add -> relu and its backward.
    auto res = uniform<T>(rng, a.size(), -1, 1);
    std::vector<T> sum(a.size()), y(a.size()), fy(a.size());
    add(a.size(), n.data(), res.data(), sum.data());
    reluForward(a.size(), sum.data(), y.data());
    bnAddReluForward(a, x.data(), m.data(), is.data(), scale.data(),
                     shift.data(), res.data(), fy.data());
    EXPECT_LE(relError(fy, y), tol);
    std::vector<T> masked(a.size()), fres(a.size());
    reluBackward(a.size(), y.data(), dr.data(), masked.data());
    batchNormBackward(a, x.data(), masked.data(), scale.data(), m.data(),
                      is.data(), dx.data(), ds.data(), dt.data());
    bnAddReluBackward(a, x.data(), y.data(), dr.data(), m.data(), is.data(),
                      scale.data(), fdx.data(), fres.data(), fds.data(),
                      fdt.data());
    EXPECT_LE(relError(fres, masked), 0.0);
    EXPECT_LE(relError(fdx, dx), tol);
    EXPECT_LE(relError(fds, ds), tol);
    EXPECT_LE(relError(fdt, dt), tol);
  }
}

void identityReduce(double *, int64_t, void *) {} // one replica

/// The backward of conv `q` reading relu(BN(x)): the fused pair against
/// conv2dBackwardData + bnReluApplyBackward (dy, dx, dscale, dshift).
template <typename T> void checkGradSums(const ConvShape &q, double tol) {
  Random rng(5);
  const ActShape a = q.input();
  auto x = uniform<T>(rng, a.size(), -1, 1);
  auto mean = uniform<T>(rng, a.c, -0.2, 0.2);
  auto invstd = uniform<T>(rng, a.c, 0.8, 1.6);
  auto scale = uniform<T>(rng, a.c, 0.5, 1.5);
  auto shift = uniform<T>(rng, a.c, -0.3, 0.3);
  auto w = uniform<T>(rng, q.weightSize(), -0.5, 0.5);
  auto dz = uniform<T>(rng, q.outputSize(), -1, 1);
  std::vector<T> dy(a.size()), dx(a.size()), ds(a.c), dt(a.c);
  conv2dBackwardData(q, dz.data(), w.data(), dy.data());
  bnReluApplyBackward(a, x.data(), dy.data(), mean.data(), invstd.data(),
                      scale.data(), shift.data(), dx.data(), ds.data(),
                      dt.data());
  std::vector<T> fdy(a.size()), fdx(a.size()), fds(a.c), fdt(a.c);
  conv2dBackwardDataBnSums(q, dz.data(), w.data(), x.data(), mean.data(),
                           invstd.data(), scale.data(), shift.data(),
                           fdy.data(), fds.data(), fdt.data());
  bnReluApplyBackwardInput(a, x.data(), fdy.data(), mean.data(), invstd.data(),
                           scale.data(), shift.data(), fds.data(), fdt.data(),
                           fdx.data());
  EXPECT_LE(relError(fdy, dy), tol);
  EXPECT_LE(relError(fds, ds), tol);
  EXPECT_LE(relError(fdt, dt), tol);
  EXPECT_LE(relError(fdx, dx), tol);
}

std::vector<ConvShape> gradSumsShapes() {
  return {
      ConvShape::make(4, 8, 7, 7, 5, 1, 1),
      ConvShape::make(3, 8, 9, 9, 8, 3, 3, 2, 1, 1, 4),
      // Images of 64x64x64 (2 MiB in double, 1 MiB in float): two or four
      // per ~4 MiB chunk, so the sums span several chunks (the last one
      // partial).
      ConvShape::make(9, 64, 64, 64, 8, 3, 3, 1, 1, 1, 8),
  };
}
} // namespace

TEST(ConvStatsKernels, MatchUnfusedDouble) { checkAll<double>(1e-12, 0.0); }
TEST(ConvStatsKernels, MatchUnfusedDoubleLargeMean) {
  checkAll<double>(1e-10, 100.0);
}
TEST(ConvStatsKernels, MatchUnfusedFloat) { checkAll<float>(1e-5, 0.0); }
TEST(ConvStatsKernels, GradSumsMatchUnfused) {
  for (const ConvShape &q : gradSumsShapes()) {
    checkGradSums<double>(q, 1e-12);
    checkGradSums<float>(q, 1e-5);
  }
}
TEST(ConvStatsKernels, GradSumsSyncBnMatchesUnfused) {
  // With a reducer installed the dx pass all-reduces sums it recomputes
  // (bnReluApplyBackward's synchronized path).
  setBatchNormReduce(identityReduce, nullptr);
  for (const ConvShape &q : gradSumsShapes()) {
    checkGradSums<double>(q, 1e-12);
    checkGradSums<float>(q, 1e-5);
  }
  setBatchNormReduce(nullptr, nullptr);
}
