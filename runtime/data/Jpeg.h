//===- Jpeg.h - JPEG decoding and encoding with libjpeg-turbo ---------------===//
//
// Decoding never aborts the process: libjpeg's fatal errors longjmp back
// into the decoder, which reports them as a message. A premature end of
// data (a truncated file) is an error too; libjpeg's other warnings (e.g.
// extraneous bytes before a marker) are ignored, as PIL does.
//
// Decoding can use libjpeg's DCT scaling (1/2, 1/4, 1/8): far fewer pixels
// to produce when the image is much larger than the region a caller needs.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_JPEG_H
#define CARDINAL_RUNTIME_DATA_JPEG_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cardinal::rt {

/// 8-bit RGB, row-major HWC.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels; ///< width*height*3
};

/// One decoder, reused across images (each thread owns its own).
class JpegDecoder {
public:
  JpegDecoder();
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder &) = delete;
  JpegDecoder &operator=(const JpegDecoder &) = delete;

  /// Reads the header of the JPEG in data[0, size): its full-size width and
  /// height. The bytes must stay valid until decode() returns. False with
  /// `error` set on anything that is not a readable JPEG header.
  bool readHeader(const uint8_t *data, size_t size, int &width, int &height,
                  std::string &error);

  /// Decodes the image whose header was just read, as RGB (grayscale is
  /// expanded, Adobe CMYK/YCCK converted), at scale 1/`denom` (1, 2, 4 or
  /// 8): out is ceil(width/denom) x ceil(height/denom). False with `error`
  /// set on corrupt or truncated data.
  bool decode(int denom, RgbImage &out, std::string &error);

private:
  struct State;
  std::unique_ptr<State> s_;
};

/// Encodes RGB as a baseline JPEG (4:4:4 chroma at quality >= 90, else
/// 4:2:0). For tests and benchmarks. Throws std::runtime_error on failure.
std::vector<uint8_t> encodeJpeg(const RgbImage &image, int quality = 95);

/// The whole file; false with `error` (naming the file) if unreadable.
bool readFileBytes(const std::string &path, std::vector<uint8_t> &out,
                   std::string &error);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_JPEG_H
