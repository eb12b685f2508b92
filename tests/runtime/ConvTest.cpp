//===- ConvTest.cpp - conv2d kernels vs naive loops and finite differences ===//

#include "TestUtil.h"

#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/DirectConvIsa.h"

#include <sstream>
#include <string>

using namespace cardinal::rt;
using namespace cardinal::rt::test;

namespace {

//===----------------------------------------------------------------------===//
// Naive references (accumulate in double).
//===----------------------------------------------------------------------===//

/// Calls f(n, o, oh, ow, ic, i, j, xIndex, wIndex) for every valid term.
template <typename F> void forEachTerm(const ConvShape &s, F f) {
  const int64_t cg = s.cPerGroup(), og = s.oPerGroup();
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < s.o; ++o)
      for (int64_t oh = 0; oh < s.oh; ++oh)
        for (int64_t ow = 0; ow < s.ow; ++ow)
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t i = 0; i < s.kh; ++i)
              for (int64_t j = 0; j < s.kw; ++j) {
                const int64_t ih = oh * s.strideH - s.padH + i * s.dilationH;
                const int64_t iw = ow * s.strideW - s.padW + j * s.dilationW;
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w)
                  continue;
                const int64_t c = (o / og) * cg + ic;
                f(((n * s.o + o) * s.oh + oh) * s.ow + ow,
                  ((n * s.c + c) * s.h + ih) * s.w + iw,
                  ((o * cg + ic) * s.kh + i) * s.kw + j);
              }
}

template <typename T>
std::vector<T> naiveForward(const ConvShape &s, const std::vector<T> &x,
                            const std::vector<T> &w, const std::vector<T> *b) {
  std::vector<double> y(s.outputSize(), 0.0);
  forEachTerm(s, [&](int64_t yi, int64_t xi, int64_t wi) {
    y[yi] += double(w[wi]) * double(x[xi]);
  });
  if (b)
    for (int64_t i = 0; i < s.outputSize(); ++i)
      y[i] += (*b)[(i / (s.oh * s.ow)) % s.o];
  return cast<T>(y);
}

template <typename T>
std::vector<T> naiveBackwardData(const ConvShape &s, const std::vector<T> &dy,
                                 const std::vector<T> &w) {
  std::vector<double> dx(s.inputSize(), 0.0);
  forEachTerm(s, [&](int64_t yi, int64_t xi, int64_t wi) {
    dx[xi] += double(w[wi]) * double(dy[yi]);
  });
  return cast<T>(dx);
}

template <typename T>
std::vector<T> naiveBackwardWeight(const ConvShape &s,
                                   const std::vector<T> &x,
                                   const std::vector<T> &dy) {
  std::vector<double> dw(s.weightSize(), 0.0);
  forEachTerm(s, [&](int64_t yi, int64_t xi, int64_t wi) {
    dw[wi] += double(x[xi]) * double(dy[yi]);
  });
  return cast<T>(dw);
}

std::string describe(const ConvShape &s) {
  std::ostringstream os;
  os << "n" << s.n << " c" << s.c << " " << s.h << "x" << s.w << " o" << s.o
     << " k" << s.kh << "x" << s.kw << " s" << s.strideH << "," << s.strideW
     << " p" << s.padH << "," << s.padW << " d" << s.dilationH << ","
     << s.dilationW << " g" << s.groups;
  return os.str();
}

const char *name(ConvAlgo a) {
  return a == ConvAlgo::Gemm ? "gemm" : a == ConvAlgo::Direct ? "direct"
                                                              : "auto";
}

/// Shapes that exercise every path: dense, grouped (widths 1..16), 1x1,
/// strides 1-3, dilation, asymmetric attributes, padding larger than the
/// kernel reach, and rows longer than two AVX-512 vectors (tails).
std::vector<ConvShape> forwardShapes() {
  std::vector<ConvShape> v = {
      ConvShape::make(2, 3, 9, 11, 5, 3, 3, 1, 1),
      ConvShape::make(2, 3, 9, 11, 5, 3, 3, 2, 1),
      ConvShape::make(2, 8, 7, 7, 6, 1, 1),
      ConvShape::make(2, 8, 9, 9, 6, 1, 1, 2, 0),
      ConvShape::make(2, 4, 8, 8, 6, 3, 3, 1, 1, 1, 2),
      ConvShape::make(2, 8, 9, 10, 8, 3, 3, 2, 1, 1, 4),
      ConvShape::make(1, 6, 7, 7, 6, 3, 3, 1, 1, 1, 6),
      ConvShape::make(2, 32, 12, 12, 32, 3, 3, 1, 1, 1, 8),
      ConvShape::make(2, 32, 13, 13, 32, 3, 3, 2, 1, 1, 8),
      ConvShape::make(1, 8, 5, 70, 8, 3, 3, 1, 1, 1, 2),
      ConvShape::make(1, 32, 6, 19, 32, 3, 3, 1, 1, 1, 2),
      ConvShape::make(1, 4, 11, 13, 4, 5, 5, 1, 4, 2, 2),
      ConvShape::make(1, 4, 10, 10, 4, 2, 2, 3, 0, 1, 2),
      ConvShape::make(1, 4, 6, 6, 4, 3, 3, 1, 2, 1, 2),
      ConvShape::make(2, 9, 7, 8, 6, 3, 3, 2, 1, 1, 3),
  };
  ConvShape asym;
  asym.n = 2, asym.c = 4, asym.h = 9, asym.w = 8, asym.o = 4;
  asym.kh = 3, asym.kw = 1, asym.strideH = 2, asym.strideW = 1;
  asym.padH = 1, asym.padW = 0, asym.dilationH = 1, asym.dilationW = 2;
  asym.groups = 2;
  v.push_back(asym.computeOutput());
  return v;
}

template <typename T> void forwardMatchesNaive(double tol) {
  Random rng(1);
  for (const ConvShape &s : forwardShapes())
    for (ConvAlgo algo : {ConvAlgo::Gemm, ConvAlgo::Direct})
      for (bool withBias : {false, true}) {
        SCOPED_TRACE(describe(s) + " " + name(algo) +
                     (withBias ? " bias" : ""));
        ASSERT_TRUE(s.valid());
        auto x = uniform<T>(rng, s.inputSize());
        auto w = uniform<T>(rng, s.weightSize());
        auto b = uniform<T>(rng, s.o);
        std::vector<T> y(s.outputSize(), T(7)); // overwritten
        conv2dForward<T>(s, x.data(), w.data(), withBias ? b.data() : nullptr,
                         y.data(), algo);
        EXPECT_TRUE(
            allClose(y, naiveForward(s, x, w, withBias ? &b : nullptr), tol));
      }
}

template <typename T> void backwardMatchesNaive(double tol) {
  Random rng(2);
  for (const ConvShape &s : forwardShapes())
    for (ConvAlgo algo : {ConvAlgo::Gemm, ConvAlgo::Direct}) {
      SCOPED_TRACE(describe(s) + " " + name(algo));
      auto x = uniform<T>(rng, s.inputSize());
      auto w = uniform<T>(rng, s.weightSize());
      auto dy = uniform<T>(rng, s.outputSize());
      std::vector<T> dx(s.inputSize(), T(7)), dw(s.weightSize(), T(7));
      conv2dBackwardData<T>(s, dy.data(), w.data(), dx.data(), false, algo);
      conv2dBackwardWeight<T>(s, x.data(), dy.data(), dw.data(), nullptr,
                              algo);
      EXPECT_TRUE(allClose(dx, naiveBackwardData(s, dy, w), tol));
      EXPECT_TRUE(allClose(dw, naiveBackwardWeight(s, x, dy), tol));
    }
}

/// Runs body once per vector level this CPU supports, restoring the default.
template <typename F> void forEachVectorLevel(F body) {
  using detail::VectorIsa;
  const VectorIsa best = detail::detectVectorIsa();
  for (VectorIsa isa :
       {VectorIsa::Baseline, VectorIsa::Avx2, VectorIsa::Avx512}) {
    if (isa > best)
      continue;
    detail::forceDirectConvIsa(isa);
    SCOPED_TRACE("vector level " + std::to_string(int(isa)));
    body();
  }
  detail::forceDirectConvIsa(best);
}

} // namespace

TEST(ConvForward, MatchesNaiveFloat) { forwardMatchesNaive<float>(2e-5); }
TEST(ConvForward, MatchesNaiveDouble) { forwardMatchesNaive<double>(1e-12); }

TEST(ConvBackward, MatchesNaiveFloat) { backwardMatchesNaive<float>(2e-5); }
TEST(ConvBackward, MatchesNaiveDouble) {
  backwardMatchesNaive<double>(1e-12);
}

TEST(ConvDirect, EveryVectorLevelMatchesNaive) {
  forEachVectorLevel([] {
    Random rng(3);
    for (const ConvShape &s : forwardShapes()) {
      SCOPED_TRACE(describe(s));
      auto x = uniform<float>(rng, s.inputSize());
      auto w = uniform<float>(rng, s.weightSize());
      auto b = uniform<float>(rng, s.o);
      auto dy = uniform<float>(rng, s.outputSize());
      std::vector<float> y(s.outputSize()), dx(s.inputSize()),
          dw(s.weightSize());
      conv2dForward<float>(s, x.data(), w.data(), b.data(), y.data(),
                           ConvAlgo::Direct);
      conv2dBackwardData<float>(s, dy.data(), w.data(), dx.data(), false,
                                ConvAlgo::Direct);
      conv2dBackwardWeight<float>(s, x.data(), dy.data(), dw.data(), nullptr,
                                  ConvAlgo::Direct);
      EXPECT_TRUE(allClose(y, naiveForward(s, x, w, &b), 2e-5));
      EXPECT_TRUE(allClose(dx, naiveBackwardData(s, dy, w), 2e-5));
      EXPECT_TRUE(allClose(dw, naiveBackwardWeight(s, x, dy), 2e-5));
      auto xd = cast<double>(x), wd = cast<double>(w);
      std::vector<double> yd(s.outputSize());
      conv2dForward<double>(s, xd.data(), wd.data(), nullptr, yd.data(),
                            ConvAlgo::Direct);
      EXPECT_TRUE(allClose(yd, naiveForward<double>(s, xd, wd, nullptr), 1e-12));
    }
  });
}

TEST(ConvDirect, MatchesGemmOnResNeXtShapes) {
  // The 32x4d bottleneck's grouped 3x3 (scaled down spatially), both strides.
  Random rng(4);
  for (int64_t stride : {1, 2})
    for (int64_t d : {4, 8, 16}) {
      ConvShape s = ConvShape::make(2, 32 * d, 14, 14, 32 * d, 3, 3, stride, 1,
                                    1, 32);
      SCOPED_TRACE(describe(s));
      EXPECT_EQ(chooseConvAlgo(s), ConvAlgo::Direct);
      auto x = uniform<float>(rng, s.inputSize());
      auto w = uniform<float>(rng, s.weightSize());
      auto dy = uniform<float>(rng, s.outputSize());
      std::vector<float> y1(s.outputSize()), y2(s.outputSize());
      std::vector<float> dx1(s.inputSize()), dx2(s.inputSize());
      std::vector<float> dw1(s.weightSize()), dw2(s.weightSize());
      conv2dForward<float>(s, x.data(), w.data(), nullptr, y1.data(),
                           ConvAlgo::Direct);
      conv2dForward<float>(s, x.data(), w.data(), nullptr, y2.data(),
                           ConvAlgo::Gemm);
      conv2dBackwardData<float>(s, dy.data(), w.data(), dx1.data(), false,
                                ConvAlgo::Direct);
      conv2dBackwardData<float>(s, dy.data(), w.data(), dx2.data(), false,
                                ConvAlgo::Gemm);
      conv2dBackwardWeight<float>(s, x.data(), dy.data(), dw1.data(), nullptr,
                                  ConvAlgo::Direct);
      conv2dBackwardWeight<float>(s, x.data(), dy.data(), dw2.data(), nullptr,
                                  ConvAlgo::Gemm);
      EXPECT_TRUE(allClose(y1, y2, 2e-5));
      EXPECT_TRUE(allClose(dx1, dx2, 2e-5));
      EXPECT_TRUE(allClose(dw1, dw2, 1e-4)); // sums over 2*14*14 pixels
    }
}

TEST(ConvAlgoChoice, DirectOnlyForNarrowGroupsAndWideEnoughRows) {
  EXPECT_EQ(chooseConvAlgo(ConvShape::make(8, 128, 56, 56, 128, 3, 3, 1, 1, 1,
                                           32)),
            ConvAlgo::Direct);
  EXPECT_EQ(chooseConvAlgo(ConvShape::make(8, 1024, 7, 7, 1024, 3, 3, 1, 1, 1,
                                           32)),
            ConvAlgo::Gemm); // d = 32
  EXPECT_EQ(chooseConvAlgo(ConvShape::make(8, 64, 56, 56, 256, 1, 1)),
            ConvAlgo::Gemm);
  EXPECT_EQ(chooseConvAlgo(ConvShape::make(8, 3, 32, 32, 16, 3, 3, 1, 1)),
            ConvAlgo::Gemm); // dense, even if narrow
  // Output rows narrower than 4 (the kernels' SIMD runs along them): Gemm.
  EXPECT_EQ(chooseConvAlgo(ConvShape::make(8, 128, 8, 8, 128, 3, 3, 2, 1, 1,
                                           32)),
            ConvAlgo::Direct); // 4 wide
  EXPECT_EQ(chooseConvAlgo(ConvShape::make(8, 128, 6, 6, 128, 3, 3, 2, 1, 1,
                                           32)),
            ConvAlgo::Gemm); // 3 wide
  EXPECT_EQ(chooseConvAlgo(ConvShape::make(8, 64, 2, 2, 64, 3, 3, 1, 1, 1,
                                           4)),
            ConvAlgo::Gemm);
}

TEST(ConvBackward, AccumulateAddsIntoDx) {
  Random rng(5);
  for (ConvAlgo algo : {ConvAlgo::Gemm, ConvAlgo::Direct}) {
    for (const ConvShape &s : {ConvShape::make(2, 8, 7, 7, 8, 3, 3, 2, 1, 1, 4),
                               ConvShape::make(2, 8, 6, 6, 4, 1, 1)}) {
      SCOPED_TRACE(describe(s) + " " + name(algo));
      auto w = uniform(rng, s.weightSize());
      auto dy = uniform(rng, s.outputSize());
      auto base = uniform(rng, s.inputSize());
      std::vector<double> dx = base, fresh(s.inputSize());
      conv2dBackwardData<double>(s, dy.data(), w.data(), dx.data(), true,
                                 algo);
      conv2dBackwardData<double>(s, dy.data(), w.data(), fresh.data(), false,
                                 algo);
      for (size_t i = 0; i < dx.size(); ++i)
        EXPECT_NEAR(dx[i], base[i] + fresh[i], 1e-12);
    }
  }
}

//===----------------------------------------------------------------------===//
// Finite differences (double).
//===----------------------------------------------------------------------===//

namespace {

void gradCheck(const ConvShape &s, ConvAlgo algo, uint64_t seed) {
  SCOPED_TRACE(describe(s) + " " + name(algo));
  Random rng(seed);
  auto x = uniform(rng, s.inputSize());
  auto w = uniform(rng, s.weightSize());
  auto b = uniform(rng, s.o);
  auto r = uniform(rng, s.outputSize()); // dL/dy
  std::vector<double> y(s.outputSize());
  auto loss = [&] {
    conv2dForward<double>(s, x.data(), w.data(), b.data(), y.data(), algo);
    return dot(r, y);
  };
  std::vector<double> dx(s.inputSize()), dw(s.weightSize()), db(s.o);
  conv2dBackwardData<double>(s, r.data(), w.data(), dx.data(), false, algo);
  conv2dBackwardWeight<double>(s, x.data(), r.data(), dw.data(), db.data(),
                               algo);
  expectGradient("dx", x, loss, dx);
  expectGradient("dw", w, loss, dw);
  expectGradient("db", b, loss, db);
}

std::vector<ConvShape> gradShapes(int64_t groups) {
  const int64_t c = 4 * groups / std::min<int64_t>(groups, 2);
  return {
      ConvShape::make(2, c, 6, 5, 2 * groups, 3, 3, 1, 1, 1, groups),
      ConvShape::make(2, c, 7, 7, groups, 3, 3, 2, 1, 1, groups),
      ConvShape::make(1, c, 6, 6, 2 * groups, 3, 3, 2, 0, 1, groups),
      ConvShape::make(2, c, 5, 5, 2 * groups, 1, 1, 1, 0, 1, groups),
      ConvShape::make(1, c, 5, 6, groups, 1, 1, 2, 0, 1, groups),
      ConvShape::make(1, c, 7, 7, groups, 3, 3, 1, 2, 2, groups),
  };
}

} // namespace

TEST(ConvGradCheck, DenseGroups1) {
  for (const ConvShape &s : gradShapes(1))
    for (ConvAlgo algo : {ConvAlgo::Gemm, ConvAlgo::Direct})
      gradCheck(s, algo, 10);
}

TEST(ConvGradCheck, Groups2) {
  for (const ConvShape &s : gradShapes(2))
    for (ConvAlgo algo : {ConvAlgo::Gemm, ConvAlgo::Direct})
      gradCheck(s, algo, 11);
}

TEST(ConvGradCheck, Groups4) {
  for (const ConvShape &s : gradShapes(4))
    for (ConvAlgo algo : {ConvAlgo::Gemm, ConvAlgo::Direct})
      gradCheck(s, algo, 12);
}
