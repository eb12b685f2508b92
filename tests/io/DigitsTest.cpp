//===- DigitsTest.cpp - the digits.csv.gz reader
//---------------------------===//

#include "runtime/data/Digits.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <zlib.h>

using namespace cardinal;
using cardinal::test::contains;
using cardinal::test::errorOf;

namespace {

void writeGz(const std::string &path, const std::string &text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

/// A valid row: pixel k = (k + label) % 17, so rows are recognizable.
std::string row(int label, int count = 64) {
  std::string s;
  for (int k = 0; k < count; ++k)
    s += std::to_string((k + label) % 17) + ",";
  return s + std::to_string(label) + "\n";
}

std::string validRows(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += row(i % 10);
  return s;
}

void expectStandardized(const rt::Dataset &d) {
  double sum = 0, sq = 0;
  for (float v : d.images) {
    sum += v;
    sq += double(v) * v;
  }
  const double n = static_cast<double>(d.images.size()), mean = sum / n;
  EXPECT_NEAR(mean, 0.0, 1e-4);
  EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 1.0, 1e-3);
}

} // namespace

TEST(DigitsTest, RealFileSplitAndStatistics) {
  const std::string path = rt::defaultDigitsPath();
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " not installed (python3-sklearn)";
  const rt::DataSplit s = rt::loadDigits(path);
  EXPECT_EQ(s.train.size() + s.test.size(), 1797);
  EXPECT_EQ(s.train.size(), 1437);
  EXPECT_EQ(s.test.size(), 360);
  for (const rt::Dataset *d : {&s.train, &s.test}) {
    EXPECT_EQ(d->channels, 1);
    EXPECT_EQ(d->height, 8);
    EXPECT_EQ(d->width, 8);
    EXPECT_EQ(d->classes, 10);
    EXPECT_EQ(d->images.size(), size_t(d->size()) * 64);
  }
  // The file's class counts, split between train and test; each class is
  // well represented in both (a simple split, so not exactly 80/20).
  const std::array<int, 10> expected = {178, 182, 177, 183, 181,
                                        182, 181, 179, 174, 180};
  std::array<int, 10> train{}, test{};
  for (int32_t l : s.train.labels)
    ++train.at(l);
  for (int32_t l : s.test.labels)
    ++test.at(l);
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(train[c] + test[c], expected[c]) << "class " << c;
    EXPECT_GT(test[c], 20) << "class " << c;
    EXPECT_LT(test[c], 55) << "class " << c;
  }
  expectStandardized(s.train);
  ASSERT_EQ(s.train.mean.size(), 1u);
  EXPECT_GT(s.train.mean[0], 0.2f); // digits are mostly background
  EXPECT_LT(s.train.mean[0], 0.4f);
  EXPECT_EQ(s.test.mean, s.train.mean); // test normalized with train stats
  EXPECT_EQ(s.test.stddev, s.train.stddev);
}

TEST(DigitsTest, DeterministicPerSeed) {
  const std::string path = rt::defaultDigitsPath();
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " not installed (python3-sklearn)";
  const rt::DataSplit a = rt::loadDigits(path, 7), b = rt::loadDigits(path, 7);
  EXPECT_EQ(a.train.images, b.train.images);
  EXPECT_EQ(a.train.labels, b.train.labels);
  EXPECT_EQ(a.test.images, b.test.images);
  EXPECT_EQ(a.test.labels, b.test.labels);
  const rt::DataSplit c = rt::loadDigits(path, 8);
  EXPECT_NE(a.test.labels, c.test.labels);
}

TEST(DigitsTest, DefaultPathHonoursEnvironment) {
  ::unsetenv("CARDINAL_DIGITS");
  EXPECT_EQ(rt::defaultDigitsPath(),
            "/usr/lib/python3/dist-packages/sklearn/datasets/data/"
            "digits.csv.gz");
  ::setenv("CARDINAL_DIGITS", "/data/my.csv.gz", 1);
  EXPECT_EQ(rt::defaultDigitsPath(), "/data/my.csv.gz");
  ::unsetenv("CARDINAL_DIGITS");
}

TEST(DigitsTest, SmallFileDecodesPixels) {
  test::TempDir dir;
  const std::string path = dir.file("small.csv.gz");
  writeGz(path, validRows(10)); // one row per label
  const rt::DataSplit s = rt::loadDigits(path);
  EXPECT_EQ(s.train.size(), 8);
  EXPECT_EQ(s.test.size(), 2);
  expectStandardized(s.train);
  for (const rt::Dataset *d : {&s.train, &s.test})
    for (int64_t i = 0; i < d->size(); ++i) {
      const int label = d->labels[i];
      for (int k = 0; k < 64; ++k) {
        const float raw = d->images[i * 64 + k] * d->stddev[0] + d->mean[0];
        EXPECT_NEAR(raw, ((k + label) % 17) / 16.0f, 1e-5);
      }
    }
}

TEST(DigitsTest, AcceptsCrlfAndMissingFinalNewline) {
  test::TempDir dir;
  const std::string path = dir.file("crlf.csv.gz");
  std::string text;
  for (int i = 0; i < 5; ++i) {
    std::string r = row(i);
    r.pop_back();
    text += r + (i < 4 ? "\r\n" : "");
  }
  writeGz(path, text);
  EXPECT_EQ(rt::loadDigits(path).train.size(), 4);
}

TEST(DigitsTest, ShortRowNamesFileAndLine) {
  test::TempDir dir;
  const std::string path = dir.file("short.csv.gz");
  writeGz(path, row(1) + row(2, 62) + row(3));
  const std::string msg = errorOf([&] { rt::loadDigits(path); });
  EXPECT_TRUE(contains(msg, path + ": line 2 has 63 values, expected 65"))
      << msg;
}

TEST(DigitsTest, BadLabelNamesFileAndLine) {
  test::TempDir dir;
  const std::string path = dir.file("label.csv.gz");
  std::string bad = row(1);
  bad.replace(bad.rfind(',') + 1, std::string::npos, "10\n");
  writeGz(path, row(0) + row(1) + bad);
  const std::string msg = errorOf([&] { rt::loadDigits(path); });
  EXPECT_TRUE(contains(msg, path + ": line 3 label '10'")) << msg;
}

TEST(DigitsTest, BadPixelNamesFileLineAndValue) {
  test::TempDir dir;
  const std::string big = dir.file("big.csv.gz"),
                    text = dir.file("text.csv.gz");
  writeGz(big, row(0) + "17" + row(1).substr(1));
  std::string msg = errorOf([&] { rt::loadDigits(big); });
  EXPECT_TRUE(contains(msg, big + ": line 2 value 1 '17'")) << msg;
  writeGz(text, row(0) + row(1).replace(0, 1, "x") + row(2));
  msg = errorOf([&] { rt::loadDigits(text); });
  EXPECT_TRUE(contains(msg, text + ": line 2 value 1 'x'")) << msg;
}

TEST(DigitsTest, NotGzipNamesFile) {
  test::TempDir dir;
  const std::string path = dir.file("plain.csv.gz");
  test::writeFile(path, validRows(5)); // valid CSV, but not compressed
  const std::string msg = errorOf([&] { rt::loadDigits(path); });
  EXPECT_TRUE(contains(msg, path + ": not a gzip file")) << msg;
}

TEST(DigitsTest, MissingFileNamesFile) {
  test::TempDir dir;
  const std::string path = dir.file("absent.csv.gz");
  const std::string msg = errorOf([&] { rt::loadDigits(path); });
  EXPECT_TRUE(contains(msg, path + ": No such file or directory")) << msg;
}

TEST(DigitsTest, TruncatedGzipNamesFile) {
  test::TempDir dir;
  const std::string path = dir.file("cut.csv.gz");
  writeGz(path, validRows(200));
  const std::string whole = test::readFile(path);
  test::writeFile(path, whole.substr(0, whole.size() / 2));
  const std::string msg = errorOf([&] { rt::loadDigits(path); });
  EXPECT_TRUE(contains(msg, path + ": decompression failed")) << msg;
}

TEST(DigitsTest, EmptyLinesAndTooFewRows) {
  test::TempDir dir;
  const std::string gap = dir.file("gap.csv.gz"), one = dir.file("one.csv.gz"),
                    tail = dir.file("tail.csv.gz");
  writeGz(gap, row(0) + "\n" + row(1));
  std::string msg = errorOf([&] { rt::loadDigits(gap); });
  EXPECT_TRUE(contains(msg, gap + ": line 2 is empty")) << msg;
  writeGz(one, row(0));
  msg = errorOf([&] { rt::loadDigits(one); });
  EXPECT_TRUE(contains(msg, one + ": has 1 rows")) << msg;
  writeGz(tail, validRows(5) + "\n\n"); // trailing blank lines are fine
  EXPECT_EQ(rt::loadDigits(tail).test.size(), 1);
}
