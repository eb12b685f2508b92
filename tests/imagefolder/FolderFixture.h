//===- FolderFixture.h - a small generated ImageNet-style JPEG folder ------===//
//
// ROOT/{train,val}/{apple,banana,cherry}/NN.jpg: class k's images are
// dominated by channel k (apple red, banana green, cherry blue) with a
// stripe pattern, in sizes and aspect ratios that vary per file.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_IMAGEFOLDER_FOLDERFIXTURE_H
#define CARDINAL_TESTS_IMAGEFOLDER_FOLDERFIXTURE_H

#include "runtime/data/Jpeg.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace cardinal::rt::imagetest {

inline const std::vector<std::string> &classNames() {
  static const std::vector<std::string> names = {"apple", "banana", "cherry"};
  return names;
}

/// A fresh directory under /tmp, removed with its contents at exit.
inline std::string makeTempDir() {
  static struct Cleanup {
    std::vector<std::string> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const std::string &d : dirs)
        std::filesystem::remove_all(d, ec);
    }
  } cleanup;
  char tmpl[] = "/tmp/cardinal-imagefolder-test-XXXXXX";
  const char *dir = ::mkdtemp(tmpl);
  EXPECT_NE(dir, nullptr);
  if (!dir)
    return "/tmp";
  cleanup.dirs.push_back(dir);
  return dir;
}

inline void writeBytes(const std::string &path,
                       const std::vector<uint8_t> &bytes) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline void writeJpeg(const std::string &path, const RgbImage &image,
                      int quality = 95) {
  writeBytes(path, encodeJpeg(image, quality));
}

/// Class `label`'s image number `i`: channel `label` high (150..250 in
/// vertical stripes whose width depends on i), the others low.
inline RgbImage classImage(int label, int i, int width, int height) {
  RgbImage img;
  img.width = width;
  img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  const int stripe = 3 + i % 5;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t *p = &img.pixels[(static_cast<size_t>(y) * width + x) * 3];
      for (int c = 0; c < 3; ++c)
        p[c] = static_cast<uint8_t>(20 + (x * 7 + y * 3 + c * 11) % 30);
      p[label] = static_cast<uint8_t>((x / stripe) % 2 ? 250 : 150);
    }
  return img;
}

/// Sizes cycling through landscape, portrait, square and extreme shapes.
inline void sizeFor(int i, int &width, int &height) {
  static const int sizes[][2] = {{64, 48}, {48, 64}, {100, 30}, {40, 40},
                                 {80, 60}, {37, 53}, {33, 90}, {120, 96}};
  width = sizes[i % 8][0];
  height = sizes[i % 8][1];
}

struct Folder {
  std::string root;
  int trainPerClass = 0, valPerClass = 0;
};

/// Writes the folder: trainPerClass + valPerClass images per class, plus
/// files the scan must ignore (a .txt, a hidden .jpg, a .png).
inline Folder makeFolder(int trainPerClass = 8, int valPerClass = 3) {
  Folder f;
  f.root = makeTempDir() + "/imagenet";
  f.trainPerClass = trainPerClass;
  f.valPerClass = valPerClass;
  for (int label = 0; label < 3; ++label) {
    const std::string cls = classNames()[label];
    for (int i = 0; i < trainPerClass + valPerClass; ++i) {
      const bool train = i < trainPerClass;
      const int k = train ? i : i - trainPerClass;
      int w, h;
      sizeFor(i + label, w, h);
      char name[32];
      std::snprintf(name, sizeof name, "%02d.%s", k,
                    i % 3 == 0 ? "JPEG" : "jpg");
      writeJpeg(f.root + (train ? "/train/" : "/val/") + cls + "/" + name,
                classImage(label, i, w, h));
    }
  }
  writeBytes(f.root + "/train/apple/notes.txt", {'h', 'i'});
  writeBytes(f.root + "/train/banana/.hidden.jpg", {0, 1, 2});
  writeBytes(f.root + "/val/cherry/image.png", {0x89, 'P', 'N', 'G'});
  return f;
}

/// One folder per test process (gtest_discover_tests runs each test alone).
inline const Folder &sharedFolder() {
  static const Folder f = makeFolder();
  return f;
}

} // namespace cardinal::rt::imagetest

#endif // CARDINAL_TESTS_IMAGEFOLDER_FOLDERFIXTURE_H
