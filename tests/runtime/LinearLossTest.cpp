//===- LinearLossTest.cpp - linear layer, softmax cross-entropy, top-k ----===//

#include "TestUtil.h"

#include "runtime/kernels/Linear.h"
#include "runtime/kernels/Loss.h"

using namespace cardinal::rt;
using namespace cardinal::rt::test;

namespace {

template <typename T>
std::vector<T> naiveLinear(const LinearShape &s, const std::vector<T> &x,
                           const std::vector<T> &w, const std::vector<T> &b) {
  std::vector<T> y(s.n * s.out);
  for (int64_t r = 0; r < s.n; ++r)
    for (int64_t c = 0; c < s.out; ++c) {
      double acc = b[c];
      for (int64_t k = 0; k < s.in; ++k)
        acc += double(x[r * s.in + k]) * double(w[c * s.in + k]);
      y[r * s.out + c] = T(acc);
    }
  return y;
}

template <typename T> void linearMatchesNaive(double tol) {
  Random rng(50);
  for (const LinearShape s :
       {LinearShape{4, 7, 5}, LinearShape{1, 64, 10}, LinearShape{9, 3, 33}}) {
    auto x = uniform<T>(rng, s.n * s.in), w = uniform<T>(rng, s.out * s.in);
    auto b = uniform<T>(rng, s.out);
    std::vector<T> y(s.n * s.out);
    linearForward<T>(s, x.data(), w.data(), b.data(), y.data());
    EXPECT_TRUE(allClose(y, naiveLinear(s, x, w, b), tol));
    std::vector<T> zeros(s.out, T(0)), y0(s.n * s.out);
    linearForward<T>(s, x.data(), w.data(), nullptr, y0.data());
    EXPECT_TRUE(allClose(y0, naiveLinear(s, x, w, zeros), tol));
  }
}

} // namespace

TEST(Linear, ForwardMatchesNaiveFloat) { linearMatchesNaive<float>(1e-5); }
TEST(Linear, ForwardMatchesNaiveDouble) { linearMatchesNaive<double>(1e-13); }

TEST(Linear, GradCheck) {
  const LinearShape s{3, 5, 4};
  Random rng(51);
  auto x = uniform(rng, s.n * s.in), w = uniform(rng, s.out * s.in);
  auto b = uniform(rng, s.out), r = uniform(rng, s.n * s.out);
  std::vector<double> y(s.n * s.out);
  auto loss = [&] {
    linearForward<double>(s, x.data(), w.data(), b.data(), y.data());
    return dot(r, y);
  };
  std::vector<double> dx(s.n * s.in), dw(s.out * s.in), db(s.out);
  linearBackward<double>(s, x.data(), w.data(), r.data(), dx.data(), dw.data(),
                         db.data());
  expectGradient("dx", x, loss, dx);
  expectGradient("dw", w, loss, dw);
  expectGradient("db", b, loss, db);
  // Null outputs are skipped.
  std::vector<double> dw2(s.out * s.in);
  linearBackward<double>(s, x.data(), w.data(), r.data(), nullptr, dw2.data(),
                         nullptr);
  EXPECT_EQ(dw2, dw);
}

namespace {

template <typename T> void crossEntropyMatchesNaive(double tol) {
  const int64_t n = 6, k = 7;
  Random rng(52);
  auto logits = uniform<T>(rng, n * k, -3, 3);
  std::vector<int32_t> labels = {0, 6, 3, 3, 1, 5};
  std::vector<T> probs(n * k);
  const T loss = softmaxCrossEntropyForward<T>(n, k, logits.data(),
                                               labels.data(), probs.data());
  double ref = 0;
  for (int64_t i = 0; i < n; ++i) {
    double z = 0;
    for (int64_t j = 0; j < k; ++j)
      z += std::exp(double(logits[i * k + j]));
    ref += std::log(z) - logits[i * k + labels[i]];
    double rowSum = 0;
    for (int64_t j = 0; j < k; ++j) {
      EXPECT_NEAR(probs[i * k + j], std::exp(double(logits[i * k + j])) / z,
                  tol);
      rowSum += probs[i * k + j];
    }
    EXPECT_NEAR(rowSum, 1.0, tol * k);
  }
  EXPECT_NEAR(loss, ref / n, tol);
}

} // namespace

TEST(SoftmaxCrossEntropy, ForwardMatchesNaiveFloat) {
  crossEntropyMatchesNaive<float>(1e-6);
}
TEST(SoftmaxCrossEntropy, ForwardMatchesNaiveDouble) {
  crossEntropyMatchesNaive<double>(1e-14);
}

TEST(SoftmaxCrossEntropy, StableForLargeLogits) {
  std::vector<float> logits = {1000.f, 0.f, -1000.f, 50.f, 50.f, 50.f};
  std::vector<int32_t> labels = {1, 2};
  const float loss =
      softmaxCrossEntropyForward<float>(2, 3, logits.data(), labels.data(),
                                        nullptr);
  EXPECT_NEAR(loss, (1000.0 + std::log(3.0)) / 2, 1e-3);
  std::vector<float> d(6);
  softmaxCrossEntropyBackward<float>(2, 3, logits.data(), labels.data(), 1.f,
                                     d.data());
  for (float v : d)
    EXPECT_TRUE(std::isfinite(v));
}

TEST(SoftmaxCrossEntropy, GradCheck) {
  const int64_t n = 4, k = 5;
  Random rng(53);
  auto logits = uniform(rng, n * k, -2, 2);
  std::vector<int32_t> labels = {4, 0, 2, 2};
  const double dloss = 0.7;
  auto loss = [&] {
    return dloss * softmaxCrossEntropyForward<double>(n, k, logits.data(),
                                                      labels.data(), nullptr);
  };
  std::vector<double> d(n * k);
  softmaxCrossEntropyBackward<double>(n, k, logits.data(), labels.data(),
                                      dloss, d.data());
  expectGradient("dlogits", logits, loss, d);
}

TEST(TopK, CountsRanksWithStableTies) {
  // 3 rows of 6 classes.
  std::vector<float> logits = {
      0, 5, 1, 2, 3, 4, // label 1: rank 0
      6, 5, 4, 3, 2, 1, // label 5: rank 5 -> neither
      1, 1, 1, 1, 1, 1, // label 4: ties with smaller indices: rank 4 -> top5
  };
  std::vector<int32_t> labels = {1, 5, 4};
  TopKCorrect c = countTopKCorrect<float>(3, 6, logits.data(), labels.data());
  EXPECT_EQ(c.top1, 1);
  EXPECT_EQ(c.top5, 2);
  std::vector<int32_t> labels2 = {0, 0, 0};
  c = countTopKCorrect<float>(3, 6, logits.data(), labels2.data());
  EXPECT_EQ(c.top1, 2); // rows 2 and 3
  EXPECT_EQ(c.top5, 2); // row 1: label 0 has the smallest logit (rank 5)
}
