//===- Cifar.cpp - CIFAR-10 / CIFAR-100 binary-format reader
//---------------===//

#include "runtime/data/Cifar.h"

#include "runtime/data/Normalize.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>
#include <vector>

namespace cardinal::rt {
namespace {

constexpr int64_t kSide = 32, kChannels = 3,
                  kPixels = kChannels * kSide * kSide;

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw std::runtime_error(path + ": " + what);
}

bool isFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// The format of one dataset: its files and record layout.
struct Layout {
  std::string dir;
  std::vector<std::string> trainFiles, testFiles;
  int64_t labelBytes, labelIndex, classes;
  /// Only CIFAR-100 has a second label to range-check (coarse, 20 classes).
  int64_t coarseClasses;
};

Layout detect(const std::string &dir) {
  for (const char *sub : {"", "/cifar-10-batches-bin", "/cifar-100-binary"}) {
    const std::string d = dir + sub;
    if (isFile(d + "/data_batch_1.bin") || isFile(d + "/test_batch.bin")) {
      Layout l{d, {}, {d + "/test_batch.bin"}, 1, 0, 10, 0};
      for (int i = 1; i <= 5; ++i)
        l.trainFiles.push_back(d + "/data_batch_" + std::to_string(i) + ".bin");
      return l;
    }
    if (isFile(d + "/train.bin") || isFile(d + "/test.bin"))
      return Layout{d, {d + "/train.bin"}, {d + "/test.bin"}, 2, 1, 100, 20};
  }
  fail(dir, "no CIFAR-10 (data_batch_1.bin, test_batch.bin) or CIFAR-100 "
            "(train.bin, test.bin) files found");
}

std::vector<unsigned char> readFile(const std::string &path) {
  if (!isFile(path))
    fail(path, "missing (or not a regular file)");
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    fail(path, std::strerror(errno));
  std::vector<unsigned char> bytes;
  unsigned char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0)
    bytes.insert(bytes.end(), buf, buf + got);
  const bool bad = std::ferror(f);
  std::fclose(f);
  if (bad)
    fail(path, "read error");
  return bytes;
}

void appendFile(const Layout &l, const std::string &path, Dataset &d) {
  const std::vector<unsigned char> bytes = readFile(path);
  const int64_t record = l.labelBytes + kPixels,
                size = static_cast<int64_t>(bytes.size());
  if (size == 0 || size % record != 0)
    fail(path, "size " + std::to_string(size) +
                   " is not a non-zero multiple "
                   "of the " +
                   std::to_string(record) + "-byte record (truncated?)");
  const int64_t n = size / record, base = d.size();
  d.images.resize((base + n) * kPixels);
  d.labels.resize(base + n);
  for (int64_t i = 0; i < n; ++i) {
    const unsigned char *r = bytes.data() + i * record;
    if (l.coarseClasses && r[0] >= l.coarseClasses)
      fail(path, "record " + std::to_string(i) + " has coarse label " +
                     std::to_string(r[0]) + ", expected 0.." +
                     std::to_string(l.coarseClasses - 1));
    const int label = r[l.labelIndex];
    if (label >= l.classes)
      fail(path, "record " + std::to_string(i) + " has label " +
                     std::to_string(label) + ", expected 0.." +
                     std::to_string(l.classes - 1));
    d.labels[base + i] = label;
    float *img = d.images.data() + (base + i) * kPixels;
    for (int64_t k = 0; k < kPixels; ++k)
      img[k] = r[l.labelBytes + k] * (1.0f / 255.0f);
  }
}

} // namespace

DataSplit loadCifar(const std::string &dir) {
  const Layout l = detect(dir);
  DataSplit split;
  for (Dataset *d : {&split.train, &split.test}) {
    d->channels = kChannels;
    d->height = d->width = kSide;
    d->classes = l.classes;
  }
  for (const std::string &f : l.trainFiles)
    appendFile(l, f, split.train);
  for (const std::string &f : l.testFiles)
    appendFile(l, f, split.test);
  normalizeByTrain(split);
  return split;
}

} // namespace cardinal::rt
