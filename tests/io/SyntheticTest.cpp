//===- SyntheticTest.cpp - the synthetic benchmark dataset
//-----------------===//

#include "runtime/data/Synthetic.h"

#include <gtest/gtest.h>

#include <array>

using namespace cardinal;

TEST(SyntheticTest, ShapesLabelsAndDeterminism) {
  const rt::DataSplit a = rt::makeSynthetic(40, 3, 4, 5, 4, 9);
  EXPECT_EQ(a.train.size(), 40);
  EXPECT_EQ(a.test.size(), 8);
  EXPECT_EQ(a.train.imageSize(), 60);
  EXPECT_EQ(a.train.images.size(), 40u * 60);
  EXPECT_EQ(a.train.classes, 4);
  std::array<int, 4> hist{};
  for (int32_t l : a.train.labels)
    ++hist.at(l);
  EXPECT_EQ(hist, (std::array<int, 4>{10, 10, 10, 10}));
  const rt::DataSplit b = rt::makeSynthetic(40, 3, 4, 5, 4, 9);
  EXPECT_EQ(a.train.images, b.train.images);
  EXPECT_EQ(a.test.images, b.test.images);
  EXPECT_NE(a.train.images, rt::makeSynthetic(40, 3, 4, 5, 4, 10).train.images);
}

TEST(SyntheticTest, LearnableByNearestClassMean) {
  const rt::DataSplit s = rt::makeSynthetic(200, 1, 8, 8, 4, 3);
  const int64_t size = 64;
  std::vector<double> means(4 * size, 0.0);
  std::array<int, 4> count{};
  for (int64_t i = 0; i < s.train.size(); ++i) {
    ++count[s.train.labels[i]];
    for (int64_t k = 0; k < size; ++k)
      means[s.train.labels[i] * size + k] += s.train.images[i * size + k];
  }
  for (int c = 0; c < 4; ++c)
    for (int64_t k = 0; k < size; ++k)
      means[c * size + k] /= count[c];
  int correct = 0;
  for (int64_t i = 0; i < s.test.size(); ++i) {
    int best = 0;
    double bestDist = 1e300;
    for (int c = 0; c < 4; ++c) {
      double dist = 0;
      for (int64_t k = 0; k < size; ++k) {
        const double diff = s.test.images[i * size + k] - means[c * size + k];
        dist += diff * diff;
      }
      if (dist < bestDist) {
        bestDist = dist;
        best = c;
      }
    }
    correct += best == s.test.labels[i];
  }
  EXPECT_GE(correct, s.test.size() * 9 / 10);
}

TEST(SyntheticTest, RejectsBadSizes) {
  EXPECT_THROW(rt::makeSynthetic(0, 1, 1, 1, 1, 0), std::runtime_error);
  EXPECT_THROW(rt::makeSynthetic(10, 1, -1, 1, 1, 0), std::runtime_error);
  EXPECT_THROW(rt::makeSynthetic(1 << 20, 3, 1 << 10, 1 << 10, 10, 0),
               std::runtime_error);
}
