//===- JpegTest.cpp - decoding, scaled decoding, corrupt data --------------===//

#include "FolderFixture.h"

#include "runtime/data/Jpeg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>

#include <jpeglib.h>

namespace cardinal::rt {
namespace {

using imagetest::classImage;

double meanAbsDiff(const RgbImage &a, const RgbImage &b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i)
    sum += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return sum / static_cast<double>(a.pixels.size());
}

TEST(JpegTest, RoundTripsRgb) {
  const RgbImage img = classImage(1, 0, 61, 37);
  const std::vector<uint8_t> bytes = encodeJpeg(img, 95);
  JpegDecoder dec;
  int w = 0, h = 0;
  std::string error;
  ASSERT_TRUE(dec.readHeader(bytes.data(), bytes.size(), w, h, error)) << error;
  EXPECT_EQ(w, 61);
  EXPECT_EQ(h, 37);
  RgbImage out;
  ASSERT_TRUE(dec.decode(1, out, error)) << error;
  ASSERT_EQ(out.width, 61);
  ASSERT_EQ(out.height, 37);
  EXPECT_LT(meanAbsDiff(img, out), 4.0);
}

TEST(JpegTest, ScaledDecodingRoundsSizesUpAndKeepsColours) {
  RgbImage img;
  img.width = 203;
  img.height = 101;
  img.pixels.assign(203 * 101 * 3, 0);
  for (size_t i = 0; i < img.pixels.size(); i += 3) {
    img.pixels[i] = 200;
    img.pixels[i + 1] = 100;
    img.pixels[i + 2] = 50;
  }
  const std::vector<uint8_t> bytes = encodeJpeg(img, 95);
  JpegDecoder dec; // reused across decodes
  for (int denom : {1, 2, 4, 8}) {
    int w, h;
    std::string error;
    ASSERT_TRUE(dec.readHeader(bytes.data(), bytes.size(), w, h, error));
    RgbImage out;
    ASSERT_TRUE(dec.decode(denom, out, error)) << error;
    EXPECT_EQ(out.width, (203 + denom - 1) / denom) << denom;
    EXPECT_EQ(out.height, (101 + denom - 1) / denom) << denom;
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(out.pixels[(out.width * (out.height / 2) + 3) * 3 + c],
                  img.pixels[c], 3)
          << denom;
  }
}

TEST(JpegTest, GarbageTruncatedAndEmptyDataAreErrorsNotAborts) {
  const std::vector<uint8_t> good = encodeJpeg(classImage(0, 1, 64, 64), 90);
  JpegDecoder dec;
  int w, h;
  std::string error;
  // Not a JPEG at all.
  const std::vector<uint8_t> garbage = {'h', 'e', 'l', 'l', 'o', 0, 1, 2};
  EXPECT_FALSE(dec.readHeader(garbage.data(), garbage.size(), w, h, error));
  EXPECT_NE(error.find("Not a JPEG file"), std::string::npos) << error;
  // Empty.
  error.clear();
  EXPECT_FALSE(dec.readHeader(good.data(), 0, w, h, error));
  EXPECT_FALSE(error.empty());
  // Truncated in the entropy-coded data: the header reads, decode fails.
  error.clear();
  const size_t cut = good.size() / 2;
  ASSERT_TRUE(dec.readHeader(good.data(), cut, w, h, error)) << error;
  RgbImage out;
  EXPECT_FALSE(dec.decode(1, out, error));
  EXPECT_NE(error.find("Premature end"), std::string::npos) << error;
  // Truncated in the header.
  error.clear();
  EXPECT_FALSE(dec.readHeader(good.data(), 40, w, h, error));
  EXPECT_FALSE(error.empty());
  // Corrupted scan data (bytes overwritten mid-stream): an error or a
  // decode, never a crash; the decoder stays usable afterwards.
  std::vector<uint8_t> scrambled = good;
  for (size_t i = scrambled.size() / 3; i < scrambled.size() / 3 + 64; ++i)
    scrambled[i] = static_cast<uint8_t>(i * 37);
  if (dec.readHeader(scrambled.data(), scrambled.size(), w, h, error))
    (void)dec.decode(1, out, error);
  ASSERT_TRUE(dec.readHeader(good.data(), good.size(), w, h, error)) << error;
  ASSERT_TRUE(dec.decode(2, out, error)) << error;
  EXPECT_EQ(out.width, 32);
}

/// A JPEG of 8x8 pixels, all `pixel` (components values), in `space`.
std::vector<uint8_t> encodeSolid(J_COLOR_SPACE space, int components,
                                 const std::vector<uint8_t> &pixel) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err); // errors exit: fine in a test
  jpeg_create_compress(&c);
  unsigned char *buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buffer, &size);
  c.image_width = c.image_height = 8;
  c.input_components = components;
  c.in_color_space = space;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 100, TRUE);
  jpeg_start_compress(&c, TRUE);
  std::vector<uint8_t> row;
  for (int x = 0; x < 8; ++x)
    row.insert(row.end(), pixel.begin(), pixel.end());
  while (c.next_scanline < 8) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&c, &r, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  std::vector<uint8_t> bytes(buffer, buffer + size);
  std::free(buffer);
  return bytes;
}

std::vector<int> decodedPixel(const std::vector<uint8_t> &bytes) {
  JpegDecoder dec;
  int w, h;
  std::string error;
  RgbImage out;
  EXPECT_TRUE(dec.readHeader(bytes.data(), bytes.size(), w, h, error));
  EXPECT_TRUE(dec.decode(1, out, error)) << error;
  if (out.pixels.size() < 3)
    return {};
  return {out.pixels[0], out.pixels[1], out.pixels[2]};
}

TEST(JpegTest, GrayscaleAndAdobeCmykDecodeToRgb) {
  const std::vector<int> gray =
      decodedPixel(encodeSolid(JCS_GRAYSCALE, 1, {90}));
  ASSERT_EQ(gray.size(), 3u);
  for (int v : gray)
    EXPECT_NEAR(v, 90, 1);
  // Adobe (inverted) CMYK as stored: C' = 255 (no cyan), M' = 0, Y' = 100,
  // K' = 200: R = C'K'/255 = 200, G = 0, B = 100·200/255 = 78 (PIL's).
  const std::vector<int> cmyk =
      decodedPixel(encodeSolid(JCS_CMYK, 4, {255, 0, 100, 200}));
  ASSERT_EQ(cmyk.size(), 3u);
  EXPECT_NEAR(cmyk[0], 200, 2);
  EXPECT_NEAR(cmyk[1], 0, 2);
  EXPECT_NEAR(cmyk[2], 78, 2);
}

TEST(JpegTest, ReadFileBytesNamesTheProblem) {
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_FALSE(readFileBytes("/nonexistent/x.jpg", bytes, error));
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

} // namespace
} // namespace cardinal::rt
