// The vector loops of BN/ReLU (runtime/kernels/ChannelLoops.h) against
// plain scalar loops, at every vector level this CPU has (forced): row
// lengths that are not a multiple of any vector width and longer than one
// 512-element block, strided rows, every mask kind, NaN/inf passed or
// blocked like a select.
#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/ChannelLoops.h"
#include "runtime/kernels/DirectConvIsa.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace cardinal::rt;
using namespace cardinal::rt::detail;

namespace {

struct Data {
  ChannelRows rows;
  std::vector<float> x, y, dy;
};

Data makeData(int64_t n, int64_t hw, int64_t pad, unsigned seed) {
  Data d{{n, hw, hw + pad}, {}, {}, {}};
  const size_t size = static_cast<size_t>(n * (hw + pad));
  std::mt19937 g(seed);
  std::normal_distribution<float> nd(0.3f, 1.0f);
  for (auto *v : {&d.x, &d.y, &d.dy}) {
    v->resize(size);
    for (auto &e : *v)
      e = nd(g);
  }
  return d;
}

float reference(const ReluMask<float> &m, float x, float y, float g) {
  if (m.kind == ReluMask<float>::Output)
    return y > 0 ? g : 0;
  if (m.kind == ReluMask<float>::Recompute) {
    const float v = (x - m.mean) * m.a + m.b;
    return v > 0 ? g : 0;
  }
  return g;
}

/// Runs body once per vector level this CPU supports, restoring the default.
template <typename F> void forEachLevel(F body) {
  const VectorIsa best = detectVectorIsa();
  for (VectorIsa isa :
       {VectorIsa::Baseline, VectorIsa::Avx2, VectorIsa::Avx512}) {
    if (isa > best)
      continue;
    forceDirectConvIsa(isa);
    SCOPED_TRACE("vector level " + std::to_string(int(isa)));
    body();
  }
  forceDirectConvIsa(best);
}

std::vector<ReluMask<float>> masks(const Data &d) {
  ReluMask<float> none, out, rec;
  out.kind = ReluMask<float>::Output;
  out.y = d.y.data();
  rec.kind = ReluMask<float>::Recompute;
  rec.mean = 0.25f;
  rec.a = 1.7f;
  rec.b = -0.1f;
  return {none, out, rec};
}

} // namespace

TEST(ChannelLoops, GradSumsAndInputMatchScalarLoops) {
  forEachLevel([] {
    for (int64_t hw : {1, 7, 49, 63, 513, 1100}) {
      Data d = makeData(3, hw, 5, static_cast<unsigned>(hw));
      const double mean = 0.2;
      for (const auto &m : masks(d)) {
        double a = 0, b = 0, ra = 0, rb = 0;
        std::vector<float> g(d.x.size(), -7.f), dx(d.x.size(), -7.f);
        channelGradSums(d.rows, d.x.data(), d.dy.data(), m, mean, a, b,
                        g.data());
        channelGradInput(d.rows, d.x.data(), d.dy.data(), m, 0.2f, 0.01f,
                         0.03f, 1.5f, dx.data());
        for (int64_t i = 0; i < d.rows.n; ++i) {
          for (int64_t j = 0; j < hw; ++j) {
            const size_t at = static_cast<size_t>(i * d.rows.stride + j);
            const float r = reference(m, d.x[at], d.y[at], d.dy[at]);
            ra += r;
            rb += r * (d.x[at] - mean);
            ASSERT_EQ(g[at], r) << "hw " << hw << " mask " << m.kind;
            ASSERT_FLOAT_EQ(dx[at],
                            (r - 0.01f - (d.x[at] - 0.2f) * 0.03f) * 1.5f);
          }
        }
        // Padding between rows untouched.
        if (d.rows.stride > hw) {
          EXPECT_EQ(g[static_cast<size_t>(hw)], -7.f);
        }
        EXPECT_NEAR(a, ra, 1e-9 * (1 + std::abs(ra))) << "hw " << hw;
        EXPECT_NEAR(b, rb, 1e-9 * (1 + std::abs(rb))) << "hw " << hw;
      }
    }
  });
}

TEST(ChannelLoops, MomentsAndAffineMatchScalarLoops) {
  forEachLevel([] {
    Data d = makeData(4, 197, 3, 11);
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 197; ++j)
        sum += d.x[static_cast<size_t>(i * d.rows.stride + j)];
    const double mean = sum / (4 * 197);
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 197; ++j) {
        const double e = d.x[static_cast<size_t>(i * d.rows.stride + j)] - mean;
        sq += e * e;
      }
    EXPECT_NEAR(channelSum(d.rows, d.x.data()), sum, 1e-9);
    EXPECT_NEAR(channelSquaredDeviation(d.rows, d.x.data(), mean), sq, 1e-9);
    for (bool relu : {false, true}) {
      for (const float *res : {static_cast<const float *>(nullptr),
                               static_cast<const float *>(d.y.data())}) {
        std::vector<float> out(d.x.size());
        channelAffine(d.rows, d.x.data(), 0.3f, 1.2f, -0.4f, res, relu,
                      out.data());
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t j = 0; j < 197; ++j) {
            const size_t at = static_cast<size_t>(i * d.rows.stride + j);
            float v = (d.x[at] - 0.3f) * 1.2f + -0.4f;
            if (res)
              v += res[at];
            ASSERT_EQ(out[at], relu ? (v > 0 ? v : 0.f) : v);
          }
      }
    }
  });
}

// The backward's recomputed ReLU decision must be the forward prologue's,
// bit for bit, also for values that round to within an ulp of zero: a
// contracted FMA in one of them would flip such masks.
TEST(ChannelLoops, RecomputedMaskIsTheForwardReluDecision) {
  forEachLevel([] {
    const int64_t hw = 4096;
    std::vector<float> x(hw), dy(hw, 1.f), fwd(hw), g(hw);
    const float mean[] = {0.1f}, invstd[] = {3.3f}, scale[] = {0.7f},
                shift[] = {-0.231f};
    const BnCoeffs<float> k(mean, invstd, scale, shift, 0);
    // x right around the point where (x - mean)·a + b crosses zero.
    const float x0 = k.mean - k.b / k.a;
    float v = x0;
    for (int64_t i = 0; i < hw / 2; ++i)
      v = std::nextafter(v, 1e9f);
    for (int64_t i = hw - 1; i >= 0; --i) {
      x[static_cast<size_t>(i)] = v;
      v = std::nextafter(v, -1e9f);
    }
    normalizeReluImage<float>(1, hw, x.data(), mean, invstd, scale, shift,
                              fwd.data());
    double a = 0, b = 0;
    channelGradSums(ChannelRows{1, hw, hw}, x.data(), dy.data(), reluMask(k),
                    0.0, a, b, g.data());
    int64_t positives = 0;
    for (size_t i = 0; i < static_cast<size_t>(hw); ++i) {
      ASSERT_EQ(g[i] != 0.f, fwd[i] > 0) << "x = " << x[i];
      positives += fwd[i] > 0;
    }
    EXPECT_GT(positives, 0);
    EXPECT_LT(positives, hw);
  });
}

TEST(ChannelLoops, MaskPositiveSelectsLikeTheBranch) {
  forEachLevel([] {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> m = {1, -1, 0, 2, -0.f, nan, 3, -2, 5},
                       g = {inf, inf, 4, nan, 1, 1, -inf, nan, 2}, out(9);
    maskPositive<float>(9, m.data(), g.data(), out.data());
    EXPECT_EQ(out[0], inf);
    EXPECT_EQ(out[1], 0.f); // a blocked inf is 0, not NaN
    EXPECT_EQ(out[2], 0.f);
    EXPECT_TRUE(std::isnan(out[3]));
    EXPECT_EQ(out[4], 0.f);
    EXPECT_EQ(out[5], 0.f); // NaN > 0 is false
    EXPECT_EQ(out[6], -inf);
    EXPECT_EQ(out[7], 0.f);
    EXPECT_EQ(out[8], 2.f);
  });
}
