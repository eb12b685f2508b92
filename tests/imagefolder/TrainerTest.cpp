//===- TrainerTest.cpp - `--data imagenet:DIR` through the trainer ---------===//
//
// The hand-written logistic model (tests/trainer) at 3x32x32 with 3 classes
// stands in for a generated trainer: the data path is the same runtime code.
//
//===----------------------------------------------------------------------===//

#include "FolderFixture.h"
#include "LogisticModel.h"
#include "TestUtil.h"

#include "runtime/data/ImageFolder.h"
#include "runtime/trainer/DataSource.h"
#include "runtime/trainer/Flags.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace cardinal::rt {
namespace {

using trainertest::LogisticModel;
using trainertest::runCaptured;

bool contains(const std::string &s, const std::string &what) {
  return s.find(what) != std::string::npos;
}

/// `eval` of DIR's checkpoint on the folder ROOT's val split, by a fresh
/// 3x32x32, 3-class model.
int evalCheckpoint(const std::string &root, const std::string &dir,
                   std::string &out, std::string &err) {
  LogisticModel model(4, 3, 32, 32, 3, "tiny");
  return runCaptured(model,
                     {"eval", "--data", "imagenet:" + root, "--checkpoint-dir",
                      dir},
                     out, err);
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
  ASSERT_EQ(evalCheckpoint(f.root, dir, out, err), 0) << err;
  EXPECT_TRUE(contains(out, "test samples: 9")) << out;
}

TEST(TrainerTest, PredictClassifiesFilesAsEvalScoresThem) {
  // `predict` on every val image, named by the folder's classes: its top-1
  // hits are eval's (the same decode, crop and normalization), and a
  // corrupt file is reported without stopping the others.
  const imagetest::Folder &f = imagetest::sharedFolder();
  const std::string dir = imagetest::makeTempDir();
  std::string out, err;
  LogisticModel model(/*batch=*/4, 3, 32, 32, /*classes=*/3, "tiny");
  ASSERT_EQ(runCaptured(model,
                        {"train", "--data", "imagenet:" + f.root, "--epochs",
                         "1", "--threads", "1", "--lr", "0",
                         "--checkpoint-dir", dir, "--quiet"},
                        out, err),
            0)
      << err;
  ASSERT_EQ(evalCheckpoint(f.root, dir, out, err), 0) << err;
  double evalErr = -1;
  ASSERT_EQ(std::sscanf(out.substr(out.find("test top-1 error: ")).c_str(),
                        "test top-1 error: %lf%%", &evalErr),
            1)
      << out;

  const ImageFolderIndex index = scanImageFolder(f.root);
  std::vector<std::string> args = {"predict", "--data", "imagenet:" + f.root,
                                   "--checkpoint-dir", dir, "--top", "2"};
  for (const ImageEntry &e : index.val)
    args.push_back(e.path);
  const std::string broken = imagetest::makeTempDir() + "/broken.jpg";
  imagetest::writeBytes(broken, {0xFF, 0xD8, 0xFF});
  args.push_back(broken);
  LogisticModel predictor(4, 3, 32, 32, 3, "tiny");
  EXPECT_EQ(runCaptured(predictor, args, out, err), 1); // the broken file
  EXPECT_TRUE(contains(err, broken + ": error:")) << err;
  int hits = 0, lines = 0;
  for (const ImageEntry &e : index.val) {
    const size_t at = out.find(e.path + ": ");
    ASSERT_NE(at, std::string::npos) << e.path << "\n" << out;
    ++lines;
    const std::string rest = out.substr(at + e.path.size() + 2);
    const std::string first = rest.substr(0, rest.find(' '));
    hits += first == index.classes[e.label];
    EXPECT_NE(rest.substr(0, rest.find('\n')).find(", "), std::string::npos)
        << "two classes per line: " << rest;
  }
  EXPECT_EQ(lines, 9);
  EXPECT_NEAR(100.0 * (9 - hits) / 9, evalErr, 0.006) << out;
  // Untrained (lr 0: the initial weights), so right and wrong answers both
  // occur and the counts agreeing is not a count at either end.
  EXPECT_GT(hits, 0) << out;
  EXPECT_LT(hits, 9) << out;
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
