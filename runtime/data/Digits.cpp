//===- Digits.cpp - scikit-learn's bundled 8x8 digits dataset
//--------------===//

#include "runtime/data/Digits.h"

#include "runtime/Random.h"
#include "runtime/data/Normalize.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>
#include <utility>
#include <zlib.h>

namespace cardinal::rt {
namespace {

constexpr int kPixels = 64, kFields = kPixels + 1, kMaxPixel = 16,
              kClasses = 10;
// A digits row is < 200 bytes; this only stops a binary file eating memory.
constexpr size_t kMaxLine = 1 << 16;

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw std::runtime_error(path + ": " + what);
}

struct GzCloser {
  void operator()(gzFile_s *f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<gzFile_s, GzCloser>;

GzPtr openGzip(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    fail(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail(path, "not a regular file");
  errno = 0;
  GzPtr f(gzopen(path.c_str(), "rb"));
  if (!f)
    fail(path, errno ? std::strerror(errno) : "cannot open");
  // zlib silently passes non-gzip input through; a digits file must be gzip.
  if (gzdirect(f.get()))
    fail(path, "not a gzip file");
  return f;
}

/// Reads one line without its terminator; false at end of input.
bool readLine(gzFile f, const std::string &path, int64_t lineNo,
              std::string &line) {
  line.clear();
  char buf[4096];
  while (gzgets(f, buf, sizeof buf)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      return true;
    }
    if (line.size() > kMaxLine)
      fail(path, "line " + std::to_string(lineNo) + " is too long");
  }
  int err = Z_OK;
  const char *msg = gzerror(f, &err);
  if (err != Z_OK && err != Z_STREAM_END)
    fail(path, std::string("decompression failed: ") + msg);
  return !line.empty(); // a last line without '\n'
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Strict non-negative decimal integer (at most 9 digits, so no overflow).
bool parseSmallInt(std::string_view s, int &out) {
  s = trim(s);
  if (s.empty() || s.size() > 9)
    return false;
  int v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9')
      return false;
    v = v * 10 + (ch - '0');
  }
  out = v;
  return true;
}

/// Parses and validates one row into 64 pixels and a label.
void parseRow(const std::string &path, int64_t lineNo, std::string_view line,
              float *pixels, int32_t &label) {
  const std::string where = "line " + std::to_string(lineNo);
  std::string_view fields[kFields];
  int count = 0;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    std::string_view field = line.substr(start, comma == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : comma - start);
    if (count < kFields)
      fields[count] = field;
    ++count;
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  if (count != kFields)
    fail(path, where + " has " + std::to_string(count) + " values, expected " +
                   std::to_string(kFields));
  for (int i = 0; i < kFields; ++i) {
    int v = 0;
    const bool isLabel = i == kPixels;
    const int hi = isLabel ? kClasses - 1 : kMaxPixel;
    if (!parseSmallInt(fields[i], v) || v > hi)
      fail(path, where +
                     (isLabel ? " label '"
                              : " value " + std::to_string(i + 1) + " '") +
                     std::string(trim(fields[i])) + "' is not an integer 0.." +
                     std::to_string(hi));
    if (isLabel)
      label = v;
    else
      pixels[i] = static_cast<float>(v) / kMaxPixel;
  }
}

Dataset emptyDigits() {
  Dataset d;
  d.channels = 1;
  d.height = d.width = 8;
  d.classes = kClasses;
  return d;
}

} // namespace

std::string defaultDigitsPath() {
  if (const char *env = std::getenv("CARDINAL_DIGITS"); env && *env)
    return env;
  return "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
}

DataSplit loadDigits(const std::string &csvGzPath, uint64_t seed) {
  GzPtr f = openGzip(csvGzPath);
  Dataset all = emptyDigits();
  std::string line;
  int64_t lineNo = 0, blankLine = 0;
  while (readLine(f.get(), csvGzPath, lineNo + 1, line)) {
    ++lineNo;
    if (trim(line).empty()) {
      blankLine = blankLine ? blankLine : lineNo; // tolerated only at the end
      continue;
    }
    if (blankLine)
      fail(csvGzPath, "line " + std::to_string(blankLine) + " is empty");
    all.images.resize(all.images.size() + kPixels);
    all.labels.push_back(0);
    parseRow(csvGzPath, lineNo, line,
             all.images.data() + all.images.size() - kPixels,
             all.labels.back());
  }
  const int64_t n = all.size();
  if (n < 2)
    fail(csvGzPath, "has " + std::to_string(n) +
                        " rows, need at least 2 to split train/test");

  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  Random rng(seed);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);

  const int64_t testCount = (n + 4) / 5; // ceil(N/5), as sklearn rounds
  DataSplit split{emptyDigits(), emptyDigits()};
  for (int64_t k = 0; k < n; ++k) {
    Dataset &dst = k < n - testCount ? split.train : split.test;
    const float *src = all.images.data() + order[k] * kPixels;
    dst.images.insert(dst.images.end(), src, src + kPixels);
    dst.labels.push_back(all.labels[order[k]]);
  }
  normalizeByTrain(split);
  return split;
}

} // namespace cardinal::rt
