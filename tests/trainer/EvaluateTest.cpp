//===- EvaluateTest.cpp - test-set scoring, padding, sharding over ranks ---===//

#include "LogisticModel.h"

#include "runtime/trainer/Evaluate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>

using namespace cardinal::rt;

TEST(EvaluateTest, ScoreLogits) {
  const float z[6] = {0.f, 3.f, 1.f, 2.f, 5.f, 4.f};
  SampleScore s = scoreLogits(z, 6, 4);
  EXPECT_TRUE(s.top1);
  EXPECT_TRUE(s.top5);
  double sum = 0;
  for (float v : z)
    sum += std::exp(static_cast<double>(v));
  EXPECT_NEAR(s.loss, std::log(sum) - 5.0, 1e-12);
  s = scoreLogits(z, 6, 2); // rank 4 (5, 4, 3, 2 beat it): top-5 only
  EXPECT_FALSE(s.top1);
  EXPECT_TRUE(s.top5);
  s = scoreLogits(z, 6, 0); // last
  EXPECT_FALSE(s.top5);
}

TEST(EvaluateTest, TiesGoToTheLowerIndexAndNaNNeverScores) {
  const float tie[3] = {1.f, 1.f, 0.f};
  EXPECT_TRUE(scoreLogits(tie, 3, 0).top1);
  EXPECT_FALSE(scoreLogits(tie, 3, 1).top1);
  EXPECT_TRUE(scoreLogits(tie, 3, 1).top5); // top-5 of 3 classes: all
  const float nan[3] = {std::numeric_limits<float>::quiet_NaN(), 0.f, 0.f};
  const SampleScore s = scoreLogits(nan, 3, 1);
  EXPECT_FALSE(s.top1);
  EXPECT_FALSE(s.top5);
  EXPECT_TRUE(std::isnan(s.loss));
}

TEST(EvaluateTest, PadsThePartialBatchAndIgnoresThePadding) {
  trainertest::LogisticModel model(/*batch=*/4, 1, 2, 2, /*classes=*/3);
  // Class k's logit is pixel k (weights: identity on the first 3 pixels).
  NamedTensor &weight = model.tensors()[0];
  std::fill(weight.data, weight.data + weight.size(), 0.0f);
  for (int k = 0; k < 3; ++k)
    weight.data[k * 4 + k] = 1.0f;
  Dataset d;
  d.channels = 1;
  d.height = d.width = 2;
  d.classes = 3;
  // 6 samples: batches of 4 + 2 (2 padding rows, which would score class 0).
  const int32_t labels[6] = {0, 1, 2, 1, 2, 2};
  const int32_t predicted[6] = {0, 1, 2, 0, 2, 1};
  for (int n = 0; n < 6; ++n) {
    float img[4] = {0, 0, 0, 0};
    img[predicted[n]] = 2.0f;
    d.images.insert(d.images.end(), img, img + 4);
    d.labels.push_back(labels[n]);
  }
  const EvalResult r = evaluate(model, d);
  EXPECT_EQ(r.samples, 6);
  EXPECT_EQ(model.predictCalls, 2);
  EXPECT_NEAR(r.top1Err, 100.0 * 2 / 6, 1e-12);
  EXPECT_NEAR(r.top5Err, 0.0, 1e-12);
  double loss = 0;
  for (int n = 0; n < 6; ++n)
    loss += std::log(std::exp(2.0) + 2.0) - (predicted[n] == labels[n] ? 2 : 0);
  EXPECT_NEAR(r.loss, loss / 6, 1e-6);
}

// Data-parallel evaluation: every rank scores its slice of the test set
// and the ranks' sums are added up; the result must be the whole set's.
TEST(EvaluateTest, ShardSumsAddUpToTheWholeTestSet) {
  const int64_t classes = 3, samples = 11, batch = 4;
  trainertest::LogisticModel model(batch, 1, 2, 2, classes);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (NamedTensor &t : model.tensors())
    if (t.kind == NamedTensor::Kind::Param)
      for (int64_t i = 0; i < t.size(); ++i)
        t.data[i] = u(rng);
  auto d = std::make_shared<Dataset>();
  d->channels = 1;
  d->height = d->width = 2;
  d->classes = classes;
  for (int64_t n = 0; n < samples; ++n) {
    for (int k = 0; k < 4; ++k)
      d->images.push_back(u(rng));
    d->labels.push_back(static_cast<int32_t>(n % classes));
  }
  const EvalSums whole = [&] {
    BatcherOptions o;
    o.batchSize = batch;
    o.shuffle = false;
    DatasetBatchSource source(d, o);
    return evaluateSums(model, source);
  }();
  ASSERT_EQ(whole.samples, samples);
  ASSERT_GT(whole.top1, 0);
  ASSERT_LT(whole.top1, samples); // neither all right nor all wrong
  for (int world : {2, 3, 4}) {
    EvalSums added;
    for (int rank = 0; rank < world; ++rank) {
      BatcherOptions o;
      o.batchSize = batch;
      o.shuffle = false;
      o.rank = rank;
      o.worldSize = world;
      DatasetBatchSource source(d, o);
      const EvalSums part = evaluateSums(model, source);
      EXPECT_GE(part.samples, samples / world) << world << " ranks";
      added.loss += part.loss;
      added.top1 += part.top1;
      added.top5 += part.top5;
      added.samples += part.samples;
    }
    EXPECT_EQ(added.samples, whole.samples) << world << " ranks";
    EXPECT_EQ(added.top1, whole.top1) << world << " ranks";
    EXPECT_EQ(added.top5, whole.top5) << world << " ranks";
    EXPECT_NEAR(added.loss, whole.loss, 1e-9 * whole.loss) << world;
  }
}
