//===- TransformTest.cpp - crops, resampling, flip, eval exactness ---------===//
//
// References are written independently of the runtime: torchvision's
// Resize/CenterCrop and crop-then-resize, with torch's bilinear
// interpolation (align_corners=False), on floats.
//
//===----------------------------------------------------------------------===//

#include "FolderFixture.h"

#include "runtime/data/ImageStream.h"
#include "runtime/data/ImageTransform.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace cardinal::rt {
namespace {

RgbImage randomImage(int width, int height, uint64_t seed) {
  Random rng(seed);
  RgbImage img;
  img.width = width;
  img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  for (uint8_t &p : img.pixels)
    p = static_cast<uint8_t>(rng.below(256));
  return img;
}

/// torch interpolate(bilinear, align_corners=False) of the (top, left,
/// h, w) crop of `img` to out×out, then normalized, as 3×out×out.
std::vector<float> cropResizeRef(const RgbImage &img, int top, int left, int h,
                                 int w, int out) {
  std::vector<float> result(3 * out * out);
  auto source = [](int o, int in, int outSize, int &i0, int &i1, double &t) {
    double s = (o + 0.5) * static_cast<double>(in) / outSize - 0.5;
    s = std::max(s, 0.0);
    i0 = std::min(static_cast<int>(std::floor(s)), in - 1);
    i1 = std::min(i0 + 1, in - 1);
    t = s - i0;
  };
  for (int y = 0; y < out; ++y)
    for (int x = 0; x < out; ++x) {
      int y0, y1, x0, x1;
      double ty, tx;
      source(y, h, out, y0, y1, ty);
      source(x, w, out, x0, x1, tx);
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) {
          return static_cast<double>(
              img.pixels[((top + yy) * img.width + left + xx) * 3 + c]);
        };
        const double v = (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) +
                         ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
        result[(c * out + y) * out + x] = static_cast<float>(
            (v / 255.0 - kImageNetMean[c]) / kImageNetStd[c]);
      }
    }
  return result;
}

/// torchvision Resize(resizeTo) of the whole image, then CenterCrop(size).
std::vector<float> resizeCenterCropRef(const RgbImage &img, int resizeTo,
                                       int size) {
  int newW, newH;
  if (img.width <= img.height) {
    newW = resizeTo;
    newH = static_cast<int>(resizeTo * static_cast<double>(img.height) /
                            img.width);
  } else {
    newH = resizeTo;
    newW = static_cast<int>(resizeTo * static_cast<double>(img.width) /
                            img.height);
  }
  // The resized image as an RgbImage of floats would lose precision: resize
  // into doubles, then crop.
  std::vector<double> resized(static_cast<size_t>(newW) * newH * 3);
  for (int y = 0; y < newH; ++y)
    for (int x = 0; x < newW; ++x) {
      double sy = std::max((y + 0.5) * img.height / newH - 0.5, 0.0);
      double sx = std::max((x + 0.5) * img.width / newW - 0.5, 0.0);
      const int y0 = std::min(static_cast<int>(sy), img.height - 1);
      const int x0 = std::min(static_cast<int>(sx), img.width - 1);
      const int y1 = std::min(y0 + 1, img.height - 1);
      const int x1 = std::min(x0 + 1, img.width - 1);
      const double ty = sy - y0, tx = sx - x0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) {
          return static_cast<double>(img.pixels[(yy * img.width + xx) * 3 + c]);
        };
        resized[(y * newW + x) * 3 + c] =
            (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) +
            ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
      }
    }
  const int top = static_cast<int>(std::nearbyint((newH - size) / 2.0));
  const int left = static_cast<int>(std::nearbyint((newW - size) / 2.0));
  std::vector<float> result(3 * size * size);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        result[(c * size + y) * size + x] = static_cast<float>(
            (resized[((top + y) * newW + left + x) * 3 + c] / 255.0 -
             kImageNetMean[c]) /
            kImageNetStd[c]);
  return result;
}

float maxAbsDiff(const std::vector<float> &a, const std::vector<float> &b) {
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

TEST(TransformTest, CenterCropGeometryIsTorchvisions) {
  EXPECT_EQ(evalResizeFor(224), 256);
  EXPECT_EQ(evalResizeFor(32), 37);
  // 500x375 -> Resize(256) = 341x256 -> CenterCrop(224): top 16, left
  // round(58.5) = 58 (half to even, as Python).
  const CropRegion r = centerCrop(500, 375, 224, 256);
  EXPECT_DOUBLE_EQ(r.y0, 16 * 375.0 / 256);
  EXPECT_DOUBLE_EQ(r.x0, 58 * 500.0 / 341);
  EXPECT_DOUBLE_EQ(r.h, 224 * 375.0 / 256);
  EXPECT_DOUBLE_EQ(r.w, 224 * 500.0 / 341);
  EXPECT_FALSE(r.flip);
  const CropRegion p = centerCrop(375, 500, 224, 256); // portrait
  EXPECT_DOUBLE_EQ(p.x0, 16 * 375.0 / 256);
  EXPECT_DOUBLE_EQ(p.y0, 58 * 500.0 / 341);
}

TEST(TransformTest, EvalResampleEqualsResizeThenCentreCrop) {
  for (auto [w, h, size] : {std::array<int, 3>{97, 71, 32},
                            {71, 97, 32},
                            {50, 50, 20},
                            {300, 40, 24},
                            {20, 15, 32}}) { // the last one upsamples
    const RgbImage img = randomImage(w, h, w * 1000 + h);
    std::vector<float> out(3 * size * size);
    resampleNormalize(img, 1, centerCrop(w, h, size, evalResizeFor(size)),
                      size, out.data());
    EXPECT_LT(maxAbsDiff(out, resizeCenterCropRef(img, evalResizeFor(size),
                                                  size)),
              1e-4)
        << w << "x" << h << " -> " << size;
  }
}

TEST(TransformTest, TrainResampleEqualsCropThenResize) {
  const RgbImage img = randomImage(120, 90, 7);
  Random rng(3);
  for (int i = 0; i < 40; ++i) { // crops under ~9% of the area upsample
    CropRegion r = randomResizedCrop(120, 90, rng, {}, false);
    std::vector<float> out(3 * 32 * 32);
    resampleNormalize(img, 1, r, 32, out.data());
    const auto ref =
        cropResizeRef(img, static_cast<int>(r.y0), static_cast<int>(r.x0),
                      static_cast<int>(r.h), static_cast<int>(r.w), 32);
    EXPECT_LT(maxAbsDiff(out, ref), 1e-4) << i;
  }
}

TEST(TransformTest, FlipMirrorsTheOutput) {
  const RgbImage img = randomImage(64, 48, 11);
  Random rng(5);
  CropRegion r = randomResizedCrop(64, 48, rng, {}, false);
  const int s = 24;
  std::vector<float> plain(3 * s * s), flipped(3 * s * s);
  resampleNormalize(img, 1, r, s, plain.data());
  r.flip = true;
  resampleNormalize(img, 1, r, s, flipped.data());
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x)
        ASSERT_EQ(flipped[(c * s + y) * s + x],
                  plain[(c * s + y) * s + (s - 1 - x)]);
}

TEST(TransformTest, RandomResizedCropStatistics) {
  const int W = 500, H = 375;
  Random rng(42);
  int flips = 0, fallbacks = 0;
  double minArea = 1, maxArea = 0, minRatio = 10, maxRatio = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    const CropRegion r = randomResizedCrop(W, H, rng);
    ASSERT_EQ(r.y0, std::floor(r.y0));
    ASSERT_EQ(r.h, std::floor(r.h));
    ASSERT_GE(r.y0, 0);
    ASSERT_GE(r.x0, 0);
    ASSERT_GE(r.h, 1);
    ASSERT_GE(r.w, 1);
    ASSERT_LE(r.y0 + r.h, H);
    ASSERT_LE(r.x0 + r.w, W);
    ASSERT_EQ(r.clampY0, r.y0);
    ASSERT_EQ(r.clampX1, r.x0 + r.w - 1);
    const double area = r.h * r.w / (double(W) * H), ratio = r.w / r.h;
    if (r.h == H && r.w == W)
      ++fallbacks; // (4/3 image: the fallback is the whole image)
    // Integer rounding of w and h moves area and ratio slightly.
    EXPECT_GE(area, 0.08 * 0.98);
    EXPECT_LE(area, 1.0);
    EXPECT_GE(ratio, 0.75 * 0.985);
    EXPECT_LE(ratio, 4.0 / 3.0 * 1.015);
    minArea = std::min(minArea, area);
    maxArea = std::max(maxArea, area);
    minRatio = std::min(minRatio, ratio);
    maxRatio = std::max(maxRatio, ratio);
    flips += r.flip;
  }
  EXPECT_LT(minArea, 0.09);
  EXPECT_GT(maxArea, 0.9);
  EXPECT_LT(minRatio, 0.77);
  EXPECT_GT(maxRatio, 1.3);
  EXPECT_NEAR(flips / double(draws), 0.5, 0.04);
  EXPECT_LT(fallbacks, draws / 50);

  // 1000x10: no try fits the ratio bounds; the fallback is the widest
  // centred crop of ratio 4/3: h 10, w round(13.33) = 13.
  Random rng2(1);
  const CropRegion f = randomResizedCrop(1000, 10, rng2, {}, false);
  EXPECT_EQ(f.h, 10);
  EXPECT_EQ(f.w, 13);
  EXPECT_EQ(f.y0, 0);
  EXPECT_EQ(f.x0, (1000 - 13) / 2);
}

TEST(TransformTest, DecodeScaleKeepsAtLeastTheOutputSize) {
  CropRegion r;
  r.w = 500;
  r.h = 300;
  EXPECT_EQ(decodeScaleFor(r, 224), 1);
  EXPECT_EQ(decodeScaleFor(r, 150), 2);
  EXPECT_EQ(decodeScaleFor(r, 32), 8);
  EXPECT_EQ(decodeScaleFor(r, 70), 4);
}

/// The crafted image: R rises 0.7 per pixel rightwards, G 0.85 per pixel
/// downwards, B constant. Bilinear resampling of a linear ramp is exact, so
/// eval's output is known in closed form up to JPEG error; one resized
/// pixel of misplacement would be ~5 levels off.
TEST(TransformTest, EvalCentreCropOfACraftedJpegIsExact) {
  const int W = 320, H = 256, S = 32;
  RgbImage img;
  img.width = W;
  img.height = H;
  img.pixels.resize(W * H * 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      uint8_t *p = &img.pixels[(y * W + x) * 3];
      p[0] = static_cast<uint8_t>(std::lround(20 + 0.7 * x));
      p[1] = static_cast<uint8_t>(std::lround(20 + 0.85 * y));
      p[2] = 128;
    }
  const std::string path = imagetest::makeTempDir() + "/ramp.jpg";
  imagetest::writeJpeg(path, img, 100);
  // Resize(37): 46x37; CenterCrop(32): top round(2.5) = 2, left 7.
  const int newW = 46, newH = 37, top = 2, left = 7;
  for (bool scaled : {false, true}) {
    ImageStreamOptions o;
    o.train = false;
    o.imageSize = S;
    o.scaledDecode = scaled;
    SampleLoader loader(o);
    std::vector<float> out(3 * S * S);
    std::string error;
    ASSERT_TRUE(loader.load(path, 0, out.data(), error)) << error;
    EXPECT_EQ(loader.lastDenom(), scaled ? 4 : 1); // 221 px span / 4 >= 32
    double worst = 0, bias[3] = {0, 0, 0};
    for (int y = 0; y < S; ++y)
      for (int x = 0; x < S; ++x) {
        const double sx = (x + left + 0.5) * W / newW - 0.5;
        const double sy = (y + top + 0.5) * H / newH - 0.5;
        const double expect[3] = {20 + 0.7 * sx, 20 + 0.85 * sy, 128};
        for (int c = 0; c < 3; ++c) {
          const double level =
              (out[(c * S + y) * S + x] * kImageNetStd[c] + kImageNetMean[c]) *
              255.0;
          worst = std::max(worst, std::abs(level - expect[c]));
          bias[c] += (level - expect[c]) / (S * S);
        }
      }
    // JPEG's colour conversion and quantization leave a few levels of
    // noise; a half-pixel misplacement would bias R or G by ~2.5 levels.
    const char *what = scaled ? "scaled decode" : "full-size decode";
    EXPECT_LT(worst, 3.0) << what;
    for (int c = 0; c < 3; ++c)
      EXPECT_LT(std::abs(bias[c]), 0.5) << what << ", channel " << c;
  }
}

} // namespace
} // namespace cardinal::rt
