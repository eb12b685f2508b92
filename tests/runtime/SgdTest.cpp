//===- SgdTest.cpp - SGD update vs torch.optim.SGD written out by hand ----===//

#include "TestUtil.h"

#include "runtime/kernels/Sgd.h"

using namespace cardinal::rt;
using namespace cardinal::rt::test;

TEST(Sgd, MomentumAndWeightDecayOverSteps) {
  const double lr = 0.1, momentum = 0.9, wd = 1e-2;
  std::vector<double> w = {1.0, -2.0, 0.5}, v(3, 0.0);
  std::vector<double> wRef = w, vRef(3, 0.0);
  const std::vector<std::vector<double>> grads = {
      {0.3, -0.1, 0.0}, {0.2, 0.4, -1.0}, {-0.5, 0.0, 0.25}};
  for (const auto &g : grads) {
    sgdUpdate<double>(3, w.data(), g.data(), v.data(), lr, momentum, wd);
    for (int i = 0; i < 3; ++i) {
      const double d = g[i] + wd * wRef[i]; // g += wd * w
      vRef[i] = momentum * vRef[i] + d;     // v = momentum * v + g
      wRef[i] -= lr * vRef[i];              // w -= lr * v
    }
    for (int i = 0; i < 3; ++i) {
      EXPECT_NEAR(w[i], wRef[i], 1e-15);
      EXPECT_NEAR(v[i], vRef[i], 1e-15);
    }
  }
  // First step by hand: w0 = 1, g = 0.3: v = 0.3 + 0.01 = 0.31, w = 0.969.
  std::vector<float> w1 = {1.f}, v1 = {0.f}, g1 = {0.3f};
  sgdUpdate<float>(1, w1.data(), g1.data(), v1.data(), 0.1f, 0.9f, 0.01f);
  EXPECT_FLOAT_EQ(v1[0], 0.31f);
  EXPECT_FLOAT_EQ(w1[0], 0.969f);
}

TEST(Sgd, NoMomentumNeedsNoVelocity) {
  std::vector<float> w = {2.f, -1.f}, g = {0.5f, 0.25f};
  sgdUpdate<float>(2, w.data(), g.data(), nullptr, 0.5f, 0.f, 0.1f);
  EXPECT_FLOAT_EQ(w[0], 2.f - 0.5f * (0.5f + 0.2f));
  EXPECT_FLOAT_EQ(w[1], -1.f - 0.5f * (0.25f - 0.1f));
}

TEST(Sgd, Nesterov) {
  std::vector<double> w = {1.0}, v = {0.2}, g = {0.5};
  sgdUpdate<double>(1, w.data(), g.data(), v.data(), 0.1, 0.9, 0.0, true);
  const double vel = 0.9 * 0.2 + 0.5;
  EXPECT_DOUBLE_EQ(v[0], vel);
  EXPECT_DOUBLE_EQ(w[0], 1.0 - 0.1 * (0.5 + 0.9 * vel));
}

TEST(Sgd, LargeBufferMatchesScalarFormula) {
  const int64_t n = 100000; // parallel path
  Random rng(60);
  auto w = uniform<float>(rng, n), g = uniform<float>(rng, n);
  auto v = uniform<float>(rng, n);
  auto w0 = w, v0 = v;
  sgdUpdate<float>(n, w.data(), g.data(), v.data(), 0.05f, 0.9f, 5e-4f);
  for (int64_t i = 0; i < n; i += 101) {
    const float d = g[i] + 5e-4f * w0[i];
    const float vel = 0.9f * v0[i] + d;
    EXPECT_NEAR(v[i], vel, 1e-6);
    EXPECT_NEAR(w[i], w0[i] - 0.05f * vel, 1e-6);
  }
}
