//===- StreamTest.cpp - the prefetching decode pool as a BatchSource -------===//

#include "FolderFixture.h"

#include "runtime/data/ImageFolder.h"
#include "runtime/data/ImageStream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace cardinal::rt {
namespace {

constexpr int kSide = 32;
constexpr int64_t kSample = 3 * kSide * kSide;

struct Drained {
  std::vector<float> images;
  std::vector<int32_t> labels;
  std::vector<int64_t> counts; ///< per batch
};

Drained drain(BatchSource &s) {
  Drained d;
  std::vector<float> images(s.batchSize() * s.imageSize());
  std::vector<int32_t> labels(s.batchSize());
  for (;;) {
    const int64_t n = s.next(images.data(), labels.data());
    if (n == 0)
      break;
    d.counts.push_back(n);
    d.images.insert(d.images.end(), images.begin(), images.begin() + n * kSample);
    d.labels.insert(d.labels.end(), labels.begin(), labels.begin() + n);
  }
  return d;
}

ImageStreamOptions trainOptions(int threads, int64_t batch = 4) {
  ImageStreamOptions o;
  o.batchSize = batch;
  o.shuffle = true;
  o.dropLast = true;
  o.seed = 17;
  o.train = true;
  o.imageSize = kSide;
  o.threads = threads;
  return o;
}

ImageStreamOptions evalOptions(int threads, int64_t batch = 4) {
  ImageStreamOptions o = trainOptions(threads, batch);
  o.shuffle = false;
  o.dropLast = false;
  o.train = false;
  return o;
}

/// The channel with the highest mean level in sample k.
int dominantChannel(const std::vector<float> &images, int64_t k) {
  double best = -1;
  int arg = -1;
  for (int c = 0; c < 3; ++c) {
    double sum = 0;
    for (int i = 0; i < kSide * kSide; ++i)
      sum += images[k * kSample + c * kSide * kSide + i] * kImageNetStd[c] +
             kImageNetMean[c];
    if (sum > best) {
      best = sum;
      arg = c;
    }
  }
  return arg;
}

const ImageFolderIndex &sharedIndex() {
  static const ImageFolderIndex index =
      scanImageFolder(imagetest::sharedFolder().root);
  return index;
}

TEST(StreamTest, TrainBatchesHaveTheirShapesAndLabelsMatchPixels) {
  const ImageFolderIndex &index = sharedIndex();
  ImageFolderStream s(index.train, trainOptions(2));
  EXPECT_EQ(s.batchSize(), 4);
  EXPECT_EQ(s.imageSize(), kSample);
  EXPECT_EQ(s.batchesPerEpoch(), 6); // 24 images / 4
  EXPECT_EQ(s.samplesPerEpoch(), 24);
  const Drained d = drain(s);
  EXPECT_EQ(d.counts, std::vector<int64_t>(6, 4));
  for (float v : d.images)
    ASSERT_TRUE(std::isfinite(v));
  for (size_t k = 0; k < d.labels.size(); ++k)
    EXPECT_EQ(dominantChannel(d.images, k), d.labels[k]) << k;
  // Each image once, in the order order() says.
  const std::vector<int64_t> order = s.order();
  ASSERT_EQ(order.size(), 24u);
  EXPECT_EQ(std::set<int64_t>(order.begin(), order.end()).size(), 24u);
  for (size_t k = 0; k < order.size(); ++k)
    EXPECT_EQ(d.labels[k], index.train[order[k]].label);
}

TEST(StreamTest, EvalIsEveryValImageInOrderWithAShortLastBatch) {
  const ImageFolderIndex &index = sharedIndex();
  ImageFolderStream s(index.val, evalOptions(2));
  EXPECT_EQ(s.batchesPerEpoch(), 3);
  const Drained d = drain(s);
  EXPECT_EQ(d.counts, (std::vector<int64_t>{4, 4, 1}));
  EXPECT_EQ(d.labels, (std::vector<int32_t>{0, 0, 0, 1, 1, 1, 2, 2, 2}));
  for (size_t k = 0; k < d.labels.size(); ++k)
    EXPECT_EQ(dominantChannel(d.images, k), d.labels[k]) << k;
  // A second pass is the same (eval draws nothing random).
  s.startEpoch(0);
  const Drained again = drain(s);
  EXPECT_EQ(again.images, d.images);
}

TEST(StreamTest, BatchesAreIdenticalForAnyThreadCount) {
  const ImageFolderIndex &index = sharedIndex();
  ImageFolderStream one(index.train, trainOptions(1));
  ImageFolderStream three(index.train, trainOptions(3));
  std::vector<float> epoch0;
  for (int64_t epoch : {0, 1}) {
    one.startEpoch(epoch);
    three.startEpoch(epoch);
    const Drained a = drain(one), b = drain(three);
    EXPECT_EQ(a.labels, b.labels) << epoch;
    EXPECT_TRUE(a.images == b.images) << "epoch " << epoch;
    if (epoch == 0)
      epoch0 = a.images;
    else
      EXPECT_FALSE(a.images == epoch0); // new order and new crops
  }
  // Resuming at epoch 1 with a fresh stream reproduces it.
  ImageFolderStream resumed(index.train, trainOptions(2));
  resumed.startEpoch(1);
  one.startEpoch(1);
  EXPECT_TRUE(drain(resumed).images == drain(one).images);

  ImageFolderStream evalOne(index.val, evalOptions(1)),
      evalThree(index.val, evalOptions(3, 2));
  const Drained e1 = drain(evalOne), e3 = drain(evalThree);
  EXPECT_TRUE(e1.images == e3.images);
}

TEST(StreamTest, RestartingMidEpochDiscardsPrefetchedWork) {
  const ImageFolderIndex &index = sharedIndex();
  ImageFolderStream a(index.train, trainOptions(3)), b(index.train,
                                                         trainOptions(1));
  std::vector<float> images(4 * kSample);
  std::vector<int32_t> labels(4);
  a.startEpoch(2);
  ASSERT_EQ(a.next(images.data(), labels.data()), 4); // then abandon epoch 2
  a.startEpoch(0);
  EXPECT_TRUE(drain(a).images == drain(b).images);
}

TEST(StreamTest, ShardsAreDisjointAndRunEqualSteps) {
  const ImageFolderIndex &index = sharedIndex();
  std::set<int64_t> seen;
  for (int rank = 0; rank < 2; ++rank) {
    ImageStreamOptions o = trainOptions(2);
    o.rank = rank;
    o.worldSize = 2;
    ImageFolderStream s(index.train, o);
    EXPECT_EQ(s.batchesPerEpoch(), 3); // 12 per rank / 4
    const std::vector<int64_t> order = s.order();
    EXPECT_EQ(order.size(), 12u);
    for (int64_t i : order)
      EXPECT_TRUE(seen.insert(i).second) << "index " << i << " on two ranks";
    const Drained d = drain(s);
    EXPECT_EQ(d.counts, std::vector<int64_t>(3, 4));
    for (size_t k = 0; k < d.labels.size(); ++k)
      EXPECT_EQ(d.labels[k], index.train[order[k]].label);
  }
  EXPECT_EQ(seen.size(), 24u);
  // Without dropLast, 3 ranks cover everything.
  seen.clear();
  for (int rank = 0; rank < 3; ++rank) {
    ImageStreamOptions o = evalOptions(1, 3);
    o.rank = rank;
    o.worldSize = 3;
    ImageFolderStream s(index.train, o);
    for (int64_t i : s.order())
      EXPECT_TRUE(seen.insert(i).second);
  }
  EXPECT_EQ(seen.size(), 24u);
}

/// The shared folder's train images plus two unreadable files.
struct WithCorrupt {
  std::vector<ImageEntry> entries;
  std::string truncated, garbage;
};

WithCorrupt withCorrupt() {
  WithCorrupt w;
  const std::string dir = imagetest::makeTempDir();
  w.truncated = dir + "/truncated.jpg";
  w.garbage = dir + "/garbage.jpg";
  std::vector<uint8_t> bytes =
      encodeJpeg(imagetest::classImage(0, 0, 64, 48), 95);
  bytes.resize(bytes.size() / 2);
  imagetest::writeBytes(w.truncated, bytes);
  imagetest::writeBytes(w.garbage, {'<', 'h', 't', 'm', 'l', '>', 0, 7});
  w.entries = sharedIndex().train;
  w.entries.insert(w.entries.begin() + 5, {w.truncated, 0});
  w.entries.insert(w.entries.begin() + 13, {w.garbage, 1});
  return w;
}

size_t occurrences(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(StreamTest, CorruptFilesAreSkippedWithOneWarningEach) {
  const WithCorrupt w = withCorrupt();
  ImageFolderStream s(w.entries, evalOptions(3));
  testing::internal::CaptureStderr();
  const Drained d = drain(s);
  s.startEpoch(0); // a second pass warns no more
  const Drained again = drain(s);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(occurrences(err, "warning: skipping unreadable image " +
                                 w.truncated + ": Premature end of JPEG file"),
            1u)
      << err;
  EXPECT_EQ(occurrences(err, "warning: skipping unreadable image " + w.garbage +
                                 ": Not a JPEG file"),
            1u)
      << err;
  EXPECT_EQ(occurrences(err, "warning:"), 2u) << err;
  // 24 readable files: the batches close up over the gaps.
  EXPECT_EQ(d.counts, std::vector<int64_t>(6, 4));
  std::vector<int32_t> expected;
  for (const ImageEntry &e : sharedIndex().train)
    expected.push_back(e.label);
  EXPECT_EQ(d.labels, expected);
  EXPECT_TRUE(again.images == d.images);
  const LoaderStats st = s.stats();
  EXPECT_EQ(st.images, 24);
  EXPECT_EQ(st.failed, 2);
  EXPECT_NE(formatLoaderStats(st).find("2 unreadable skipped"),
            std::string::npos);
}

TEST(StreamTest, TrainingBatchesStayFullAndDeterministicDespiteCorruptFiles) {
  const WithCorrupt w = withCorrupt(); // 26 files: 6 batches of 4
  testing::internal::CaptureStderr();
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    ImageFolderStream one(w.entries, trainOptions(1)),
        three(w.entries, trainOptions(3));
    EXPECT_EQ(one.batchesPerEpoch(), 6);
    one.startEpoch(epoch);
    three.startEpoch(epoch);
    const Drained a = drain(one), b = drain(three);
    EXPECT_EQ(a.counts, std::vector<int64_t>(6, 4));
    EXPECT_TRUE(a.images == b.images) << epoch;
    EXPECT_EQ(a.labels, b.labels);
  }
  testing::internal::GetCapturedStderr();

  // 4 readable + 2 unreadable, batch 2: three full batches need 6 samples,
  // so the slice wraps around and repeats readable ones.
  std::vector<ImageEntry> few(sharedIndex().train.begin(),
                              sharedIndex().train.begin() + 4);
  few.push_back({w.truncated, 0});
  few.push_back({w.garbage, 0});
  ImageFolderStream s(few, trainOptions(2, 2));
  testing::internal::CaptureStderr();
  const Drained d = drain(s);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.counts, (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(occurrences(err, "warning:"), 2u) << err;
}

TEST(StreamTest, AllUnreadableIsAnError) {
  const WithCorrupt w = withCorrupt();
  std::vector<ImageEntry> bad = {{w.truncated, 0}, {w.garbage, 0},
                                 {"/nonexistent/x.jpg", 0}};
  ImageFolderStream s(bad, trainOptions(2, 1));
  std::vector<float> images(kSample);
  int32_t label;
  testing::internal::CaptureStderr();
  try {
    s.next(images.data(), &label);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("no readable image among the 3"),
              std::string::npos)
        << e.what();
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("/nonexistent/x.jpg: No such file"), std::string::npos)
      << err;
}

TEST(StreamTest, StatsCountDecodes) {
  ImageFolderStream s(sharedIndex().train, trainOptions(2));
  drain(s);
  const LoaderStats st = s.stats();
  EXPECT_EQ(st.images, 24);
  EXPECT_EQ(st.failed, 0);
  EXPECT_EQ(st.threads, 2);
  EXPECT_GT(st.cpuSeconds, 0);
  EXPECT_GT(st.busySeconds, 0);
  EXPECT_GT(st.imagesPerSecond(), 0);
  const std::string text = formatLoaderStats(st);
  EXPECT_EQ(text.rfind("loader ", 0), 0u) << text;
  EXPECT_NE(text.find(" img/s/core, 2 threads"), std::string::npos) << text;
  s.startEpoch(1);
  // A restart resets the counters (decoding may have begun again).
  EXPECT_LE(s.stats().images, 24);
}

TEST(StreamTest, RejectsBadOptions) {
  const auto &e = sharedIndex().train;
  ImageStreamOptions o = trainOptions(1);
  o.batchSize = 0;
  EXPECT_THROW(ImageFolderStream(e, o), std::runtime_error);
  o = trainOptions(1);
  o.rank = 2;
  o.worldSize = 2;
  EXPECT_THROW(ImageFolderStream(e, o), std::runtime_error);
  o = trainOptions(1);
  o.imageSize = 0;
  EXPECT_THROW(ImageFolderStream(e, o), std::runtime_error);
}

TEST(StreamTest, EmptySliceHasNoBatches) {
  ImageFolderStream s({}, trainOptions(2));
  EXPECT_EQ(s.batchesPerEpoch(), 0);
  EXPECT_TRUE(drain(s).counts.empty());
}

} // namespace
} // namespace cardinal::rt
