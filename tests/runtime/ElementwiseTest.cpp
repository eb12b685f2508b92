//===- ElementwiseTest.cpp - relu, add, buffer helpers, concat / slice ----===//

#include "TestUtil.h"

#include "runtime/kernels/Concat.h"
#include "runtime/kernels/Elementwise.h"

using namespace cardinal::rt;
using namespace cardinal::rt::test;

TEST(Relu, ForwardAndBackwardFromXOrY) {
  Random rng(40);
  auto x = uniformAwayFromZero(rng, 100);
  auto r = uniform(rng, 100);
  std::vector<double> y(100);
  auto loss = [&] {
    reluForward<double>(100, x.data(), y.data());
    return dot(r, y);
  };
  loss();
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(y[i], x[i] > 0 ? x[i] : 0.0);
  std::vector<double> fromY(100), fromX(100);
  reluBackward<double>(100, y.data(), r.data(), fromY.data());
  reluBackward<double>(100, x.data(), r.data(), fromX.data());
  EXPECT_EQ(fromY, fromX);
  expectGradient("dx", x, loss, fromY);
  // In place.
  std::vector<float> v = {-1.f, 2.f, 0.f, -0.5f, 3.f};
  reluForward<float>(5, v.data(), v.data());
  EXPECT_EQ(v, (std::vector<float>{0.f, 2.f, 0.f, 0.f, 3.f}));
}

TEST(Elementwise, AddAndBufferHelpers) {
  const int64_t n = 70000; // above the parallel threshold
  Random rng(41);
  auto a = uniform<float>(rng, n), b = uniform<float>(rng, n);
  std::vector<float> y(n);
  add<float>(n, a.data(), b.data(), y.data());
  for (int64_t i = 0; i < n; i += 997)
    EXPECT_EQ(y[i], a[i] + b[i]);
  std::vector<float> c(n);
  copy<float>(n, a.data(), c.data());
  EXPECT_EQ(c, a);
  axpy<float>(n, 2.f, b.data(), c.data());
  for (int64_t i = 0; i < n; i += 997)
    EXPECT_FLOAT_EQ(c[i], a[i] + 2.f * b[i]);
  scale<float>(n, 0.5f, c.data());
  for (int64_t i = 0; i < n; i += 997)
    EXPECT_FLOAT_EQ(c[i], 0.5f * (a[i] + 2.f * b[i]));
  fill<float>(n, c.data(), 3.f);
  EXPECT_EQ(c, std::vector<float>(n, 3.f));
  zero<float>(n, c.data());
  EXPECT_EQ(c, std::vector<float>(n, 0.f));
}

TEST(Add, GradCheck) {
  Random rng(42);
  auto a = uniform(rng, 12), b = uniform(rng, 12), r = uniform(rng, 12);
  std::vector<double> y(12);
  auto loss = [&] {
    add<double>(12, a.data(), b.data(), y.data());
    return dot(r, y);
  };
  expectGradient("da", a, loss, r);
  expectGradient("db", b, loss, r);
}

TEST(Concat, ForwardBackwardAndGradCheck) {
  const int64_t n = 2, hw = 6;
  const std::vector<int64_t> channels = {2, 3, 1};
  const int64_t total = 6;
  Random rng(43);
  std::vector<std::vector<double>> xs;
  for (int64_t c : channels)
    xs.push_back(uniform(rng, n * c * hw));
  auto r = uniform(rng, n * total * hw);
  std::vector<double> y(n * total * hw);
  auto loss = [&] {
    const double *in[] = {xs[0].data(), xs[1].data(), xs[2].data()};
    concatChannelsForward<double>(n, hw, 3, in, channels.data(), y.data());
    return dot(r, y);
  };
  loss();
  // y[s, c] is input i's channel c - offset(i).
  for (int64_t s = 0; s < n; ++s) {
    int64_t off = 0;
    for (int i = 0; i < 3; ++i) {
      for (int64_t c = 0; c < channels[i]; ++c)
        for (int64_t k = 0; k < hw; ++k)
          EXPECT_EQ(y[(s * total + off + c) * hw + k],
                    xs[i][(s * channels[i] + c) * hw + k]);
      off += channels[i];
    }
  }
  std::vector<std::vector<double>> dxs;
  for (int64_t c : channels)
    dxs.push_back(std::vector<double>(n * c * hw, 9.0));
  double *out[] = {dxs[0].data(), dxs[1].data(), dxs[2].data()};
  concatChannelsBackward<double>(n, hw, 3, channels.data(), r.data(), out);
  for (int i = 0; i < 3; ++i)
    expectGradient("dx_i", xs[i], loss, dxs[i]);
  // accumulate
  auto before = dxs[1];
  concatChannelsBackward<double>(n, hw, 3, channels.data(), r.data(), out,
                                 true);
  for (size_t k = 0; k < before.size(); ++k)
    EXPECT_DOUBLE_EQ(dxs[1][k], 2 * before[k]);
}

TEST(Slice, ForwardBackwardAndGradCheck) {
  const int64_t n = 3, c = 5, hw = 4, begin = 1, len = 3;
  Random rng(44);
  auto x = uniform(rng, n * c * hw);
  auto r = uniform(rng, n * len * hw);
  std::vector<double> y(n * len * hw);
  auto loss = [&] {
    sliceChannelsForward<double>(n, c, hw, begin, len, x.data(), y.data());
    return dot(r, y);
  };
  loss();
  for (int64_t s = 0; s < n; ++s)
    for (int64_t k = 0; k < len * hw; ++k)
      EXPECT_EQ(y[s * len * hw + k], x[(s * c + begin) * hw + k]);
  std::vector<double> dx(n * c * hw, 9.0);
  sliceChannelsBackward<double>(n, c, hw, begin, len, r.data(), dx.data());
  expectGradient("dx", x, loss, dx);
  // accumulate adds into the range only.
  std::vector<double> acc(n * c * hw, 1.0);
  sliceChannelsBackward<double>(n, c, hw, begin, len, r.data(), acc.data(),
                                true);
  for (size_t k = 0; k < acc.size(); ++k)
    EXPECT_DOUBLE_EQ(acc[k], 1.0 + dx[k]);
}
