//===- PredictTest.cpp - `trainer predict`'s ranking and output ----------===//

#include "runtime/trainer/Predict.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace cardinal::rt;

TEST(PredictTest, TopClassesAreSoftmaxRankedWithTiesToTheLowerIndex) {
  const float z[5] = {1.f, 3.f, 2.f, 3.f, 0.f};
  const std::vector<ClassScore> top = topClasses(z, 5, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].index, 1); // tie with 3: the lower index first
  EXPECT_EQ(top[1].index, 3);
  EXPECT_EQ(top[2].index, 2);
  double sum = 0;
  for (float v : z)
    sum += std::exp(v - 3.0);
  EXPECT_NEAR(top[0].probability, 1.0 / sum, 1e-12);
  EXPECT_NEAR(top[2].probability, std::exp(-1.0) / sum, 1e-12);
  EXPECT_EQ(topClasses(z, 5, 9).size(), 5u); // capped at the classes
  // Large logits do not overflow.
  const float big[2] = {1000.f, 999.f};
  EXPECT_NEAR(topClasses(big, 2, 1)[0].probability, 1 / (1 + std::exp(-1.0)),
              1e-12);
}

TEST(PredictTest, OneLinePerImageWithNamesOrIndices) {
  const std::vector<ClassScore> top = {{2, 0.873}, {0, 0.1}};
  EXPECT_EQ(formatPrediction("a/b.jpg", top, {"apple", "banana", "cherry"}),
            "a/b.jpg: cherry 87.3%, apple 10.0%");
  EXPECT_EQ(formatPrediction("x.jpg", top, {}),
            "x.jpg: class 2 87.3%, class 0 10.0%");
}
