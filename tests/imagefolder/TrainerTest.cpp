//===- TrainerTest.cpp - `--data imagenet:DIR` through the trainer ---------===//
//
// The hand-written logistic model (tests/trainer) at 3x32x32 with 3 classes
// stands in for a generated trainer: the data path is the same runtime code.
//
//===----------------------------------------------------------------------===//

#include "FolderFixture.h"
#include "LogisticModel.h"
#include "TestUtil.h"

#include "runtime/trainer/DataSource.h"
#include "runtime/trainer/Flags.h"

#include <gtest/gtest.h>

namespace cardinal::rt {
namespace {

using trainertest::LogisticModel;
using trainertest::runCaptured;

bool contains(const std::string &s, const std::string &what) {
  return s.find(what) != std::string::npos;
}

TEST(TrainerTest, ParsesTheImageNetSpecAndDecodeThreads) {
  std::vector<std::string> args = {"trainer", "--data", "imagenet:/d/in",
                                   "--decode-threads", "3"};
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  TrainerOptions o;
  std::string error;
  ASSERT_TRUE(parseFlags(static_cast<int>(argv.size()), argv.data(), o, error))
      << error;
  EXPECT_EQ(o.data.kind, DataSpec::Kind::ImageNet);
  EXPECT_EQ(o.data.path, "/d/in");
  EXPECT_EQ(o.data.decodeThreads, 3);
  DataSpec spec;
  EXPECT_FALSE(parseDataSpec("imagenet:", spec, error));
  EXPECT_TRUE(contains(error, "--data imagenet:DIR")) << error;
}

TEST(TrainerTest, TrainsOneEpochOnTheFolderAndReportsTheLoader) {
  const imagetest::Folder &f = imagetest::sharedFolder();
  LogisticModel model(/*batch=*/4, 3, 32, 32, /*classes=*/3, "tiny");
  const std::string dir = imagetest::makeTempDir();
  std::string out, err;
  const int rc = runCaptured(
      model,
      {"train", "--data", "imagenet:" + f.root, "--decode-threads", "2",
       "--epochs", "1", "--threads", "1", "--lr", "0.01", "--checkpoint-dir",
       dir},
      out, err);
  ASSERT_EQ(rc, 0) << out << err;
  EXPECT_TRUE(contains(out, "data imagenet:" + f.root +
                                ": 24 train, 9 val images; 3 classes: "
                                "0=apple 1=banana 2=cherry"))
      << out;
  EXPECT_TRUE(contains(out, "epoch 1/1")) << out;
  EXPECT_TRUE(contains(out, "loader ")) << out;
  EXPECT_TRUE(contains(out, "img/s/core, 2 threads")) << out;
  EXPECT_TRUE(contains(out, "test accuracy: ")) << out;
  EXPECT_EQ(err, "");
  const std::string metrics = trainertest::readText(dir + "/metrics.csv");
  EXPECT_TRUE(contains(metrics, "\n1,")) << metrics;

  // The checkpoint evaluates on the folder's val split.
  LogisticModel fresh(4, 3, 32, 32, 3, "tiny");
  ASSERT_EQ(runCaptured(fresh,
                        {"eval", "--data", "imagenet:" + f.root,
                         "--checkpoint-dir", dir},
                        out, err),
            0)
      << err;
  EXPECT_TRUE(contains(out, "test samples: 9")) << out;
}

TEST(TrainerTest, ResultsDoNotDependOnDecodeThreads) {
  const imagetest::Folder &f = imagetest::sharedFolder();
  std::vector<float> weights[2];
  for (int t = 0; t < 2; ++t) {
    LogisticModel model(4, 3, 32, 32, 3, "tiny");
    const std::string dir = imagetest::makeTempDir();
    std::string out, err;
    ASSERT_EQ(runCaptured(model,
                          {"--data", "imagenet:" + f.root, "--decode-threads",
                           t == 0 ? "1" : "3", "--epochs", "2", "--threads",
                           "1", "--lr", "0.01", "--checkpoint-dir", dir,
                           "--quiet"},
                          out, err),
              0)
        << err;
    weights[t] = trainertest::snapshot(model);
  }
  EXPECT_TRUE(weights[0] == weights[1]);
}

TEST(TrainerTest, MismatchesAndMissingFoldersAreClearErrors) {
  const imagetest::Folder &f = imagetest::sharedFolder();
  std::string out, err;
  LogisticModel tenClasses(4, 3, 32, 32, 10, "tiny");
  EXPECT_EQ(runCaptured(tenClasses,
                        {"--data", "imagenet:" + f.root, "--checkpoint-dir",
                         imagetest::makeTempDir()},
                        out, err),
            1);
  EXPECT_TRUE(contains(err, "has 3 class folders in " + f.root +
                                "/train but model 'tiny' has 10 classes"))
      << err;

  LogisticModel gray(4, 1, 32, 32, 3, "tiny");
  EXPECT_EQ(runCaptured(gray, {"--data", "imagenet:" + f.root}, out, err), 1);
  EXPECT_TRUE(contains(err, "expects 1x32x32")) << err;

  LogisticModel model(4, 3, 32, 32, 3, "tiny");
  EXPECT_EQ(runCaptured(model, {"--data", "imagenet:/nonexistent/imagenet"},
                        out, err),
            1);
  EXPECT_TRUE(contains(err, "/nonexistent/imagenet: no such directory")) << err;
}

} // namespace
} // namespace cardinal::rt
