//===- CifarTest.cpp - the CIFAR-10/100 binary reader
//----------------------===//

#include "runtime/data/Cifar.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace cardinal;
using cardinal::test::contains;
using cardinal::test::errorOf;

namespace {

constexpr int kPixels = 3072;

/// Byte k of image `id`: recognizable and covering 0..255.
unsigned char pixel(int id, int k) { return (k * 7 + id * 31) % 256; }

/// Records (labels..., 3072 pixels of image `id`) for ids [first, first+n).
std::string records(int first, int n, bool cifar100) {
  std::string s;
  for (int id = first; id < first + n; ++id) {
    if (cifar100)
      s += static_cast<char>(id % 20); // coarse label
    s += static_cast<char>(cifar100 ? (id * 3) % 100 : id % 10);
    for (int k = 0; k < kPixels; ++k)
      s += static_cast<char>(pixel(id, k));
  }
  return s;
}

/// CIFAR-10: data_batch_b holds ids 2(b-1), 2(b-1)+1; test_batch ids 100..102.
void makeCifar10(const std::string &dir) {
  std::filesystem::create_directories(dir);
  for (int b = 1; b <= 5; ++b)
    test::writeFile(dir + "/data_batch_" + std::to_string(b) + ".bin",
                    records(2 * (b - 1), 2, false));
  test::writeFile(dir + "/test_batch.bin", records(100, 3, false));
}

/// Checks sample i of `d` decodes to image `id` with its label.
void expectImage(const rt::Dataset &d, int64_t i, int id, int label) {
  EXPECT_EQ(d.labels[i], label) << "sample " << i;
  for (int k = 0; k < kPixels; k += 97) { // a spread of positions, all planes
    const int c = k / 1024;
    const float raw = d.images[i * kPixels + k] * d.stddev[c] + d.mean[c];
    EXPECT_NEAR(raw, pixel(id, k) / 255.0f, 1e-5)
        << "sample " << i << " k " << k;
  }
}

} // namespace

TEST(CifarTest, Cifar10DecodesInFileOrder) {
  test::TempDir dir;
  makeCifar10(dir.path());
  const rt::DataSplit s = rt::loadCifar(dir.path());
  EXPECT_EQ(s.train.size(), 10);
  EXPECT_EQ(s.test.size(), 3);
  for (const rt::Dataset *d : {&s.train, &s.test}) {
    EXPECT_EQ(d->channels, 3);
    EXPECT_EQ(d->height, 32);
    EXPECT_EQ(d->width, 32);
    EXPECT_EQ(d->classes, 10);
    ASSERT_EQ(d->mean.size(), 3u);
  }
  for (int i = 0; i < 10; ++i)
    expectImage(s.train, i, i, i % 10);
  for (int i = 0; i < 3; ++i)
    expectImage(s.test, i, 100 + i, (100 + i) % 10);
}

TEST(CifarTest, LayoutIsChannelPlanar) {
  test::TempDir dir;
  makeCifar10(dir.path());
  const rt::DataSplit s = rt::loadCifar(dir.path());
  // Record byte 1 + c*1024 + y*32 + x is pixel (c, y, x): CHW as-is.
  const int c = 2, y = 5, x = 7, k = c * 1024 + y * 32 + x, i = 3;
  const float raw =
      s.train.images[i * kPixels + k] * s.train.stddev[c] + s.train.mean[c];
  EXPECT_NEAR(raw, pixel(i, k) / 255.0f, 1e-5);
}

TEST(CifarTest, NormalizedByTrainStatistics) {
  test::TempDir dir;
  makeCifar10(dir.path());
  const rt::DataSplit s = rt::loadCifar(dir.path());
  for (int c = 0; c < 3; ++c) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < s.train.size(); ++i)
      for (int k = 0; k < 1024; ++k) {
        const double v = s.train.images[i * kPixels + c * 1024 + k];
        sum += v;
        sq += v * v;
      }
    const double n = 1024.0 * s.train.size();
    EXPECT_NEAR(sum / n, 0.0, 1e-4);
    EXPECT_NEAR(sq / n, 1.0, 1e-3);
  }
  EXPECT_EQ(s.test.mean, s.train.mean);
}

TEST(CifarTest, Cifar100UsesFineLabels) {
  test::TempDir dir;
  const std::string sub =
      dir.file("cifar-100-binary"); // as the tarball extracts
  std::filesystem::create_directories(sub);
  test::writeFile(sub + "/train.bin", records(0, 4, true));
  test::writeFile(sub + "/test.bin", records(50, 2, true));
  const rt::DataSplit s = rt::loadCifar(dir.path());
  EXPECT_EQ(s.train.size(), 4);
  EXPECT_EQ(s.test.size(), 2);
  EXPECT_EQ(s.train.classes, 100);
  for (int i = 0; i < 4; ++i)
    expectImage(s.train, i, i, (i * 3) % 100);
  for (int i = 0; i < 2; ++i)
    expectImage(s.test, i, 50 + i, ((50 + i) * 3) % 100);
}

TEST(CifarTest, TruncatedFileNamesFileAndRecordSize) {
  test::TempDir dir;
  makeCifar10(dir.path());
  const std::string bad = dir.file("data_batch_3.bin");
  const std::string whole = test::readFile(bad);
  test::writeFile(bad, whole.substr(0, whole.size() - 5));
  const std::string msg = errorOf([&] { rt::loadCifar(dir.path()); });
  EXPECT_TRUE(contains(msg, bad + ": size 6141 is not a non-zero multiple of "
                                  "the 3073-byte record"))
      << msg;
}

TEST(CifarTest, MissingBatchNamesFile) {
  test::TempDir dir;
  makeCifar10(dir.path());
  std::filesystem::remove(dir.file("data_batch_4.bin"));
  const std::string msg = errorOf([&] { rt::loadCifar(dir.path()); });
  EXPECT_TRUE(contains(msg, dir.file("data_batch_4.bin") + ": missing")) << msg;
}

TEST(CifarTest, BadLabelNamesFileAndRecord) {
  test::TempDir dir;
  makeCifar10(dir.path());
  std::string bytes = test::readFile(dir.file("test_batch.bin"));
  bytes[3073] = 10; // record 1's label
  test::writeFile(dir.file("test_batch.bin"), bytes);
  const std::string msg = errorOf([&] { rt::loadCifar(dir.path()); });
  EXPECT_TRUE(contains(msg, dir.file("test_batch.bin") +
                                ": record 1 has label 10, expected 0..9"))
      << msg;
}

TEST(CifarTest, EmptyDirectoryNamesIt) {
  test::TempDir dir;
  const std::string msg = errorOf([&] { rt::loadCifar(dir.path()); });
  EXPECT_TRUE(contains(msg, dir.path() + ": no CIFAR-10")) << msg;
}
