//===- Jpeg.cpp - JPEG decoding and encoding with libjpeg-turbo -------------===//
//
// libjpeg reports fatal errors through error_exit, which must not return:
// ours longjmps back to the setjmp in the calling method. Only libjpeg's C
// frames lie between the two, and no C++ object is created in a method
// between its setjmp and its last libjpeg call, so the jump skips no
// destructor.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/Jpeg.h"

#include <algorithm>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <jerror.h>
#include <jpeglib.h>

namespace cardinal::rt {
namespace {

/// Output pixels one decode may produce (3 bytes each): a corrupt header
/// claiming 65535x65535 must not allocate 12 GiB.
constexpr uint64_t kMaxPixels = uint64_t(1) << 28;

struct ErrorManager {
  jpeg_error_mgr pub; // first: libjpeg sees a jpeg_error_mgr*
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jumpWithMessage(j_common_ptr cinfo) {
  auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void onErrorExit(j_common_ptr cinfo) { jumpWithMessage(cinfo); }

/// Warnings (level < 0) are counted and ignored, except a premature end of
/// data: a truncated file is an error (the rest would be filled with grey).
void onMessage(j_common_ptr cinfo, int level) {
  if (level >= 0)
    return; // trace output
  if (cinfo->err->msg_code == JWRN_JPEG_EOF)
    jumpWithMessage(cinfo);
  ++cinfo->err->num_warnings;
}

void installErrorManager(ErrorManager &err) {
  jpeg_std_error(&err.pub);
  err.pub.error_exit = onErrorExit;
  err.pub.emit_message = onMessage;
  err.message[0] = '\0';
}

} // namespace

struct JpegDecoder::State {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  bool haveHeader = false;
  std::vector<uint8_t> cmyk; ///< rows of 4-channel output, converted to RGB
};

JpegDecoder::JpegDecoder() : s_(std::make_unique<State>()) {
  std::memset(&s_->cinfo, 0, sizeof s_->cinfo);
  installErrorManager(s_->err);
  s_->cinfo.err = &s_->err.pub;
  if (setjmp(s_->err.jump))
    throw std::runtime_error(std::string("libjpeg: ") + s_->err.message);
  jpeg_create_decompress(&s_->cinfo);
}

JpegDecoder::~JpegDecoder() { jpeg_destroy_decompress(&s_->cinfo); }

bool JpegDecoder::readHeader(const uint8_t *data, size_t size, int &width,
                             int &height, std::string &error) {
  jpeg_decompress_struct *c = &s_->cinfo;
  s_->haveHeader = false;
  jpeg_abort_decompress(c); // back to idle whatever the last call left
  if (setjmp(s_->err.jump)) {
    jpeg_abort_decompress(c);
    error = s_->err.message;
    return false;
  }
  jpeg_mem_src(c, data, static_cast<unsigned long>(size));
  if (jpeg_read_header(c, TRUE) != JPEG_HEADER_OK) {
    jpeg_abort_decompress(c);
    error = "no image in the JPEG stream";
    return false;
  }
  width = static_cast<int>(c->image_width);
  height = static_cast<int>(c->image_height);
  s_->haveHeader = true;
  return true;
}

bool JpegDecoder::decode(int denom, RgbImage &out, std::string &error) {
  jpeg_decompress_struct *c = &s_->cinfo;
  if (!s_->haveHeader) {
    error = "JpegDecoder::decode without a header";
    return false;
  }
  s_->haveHeader = false;
  if (denom != 1 && denom != 2 && denom != 4 && denom != 8)
    denom = 1;
  c->scale_num = 1;
  c->scale_denom = static_cast<unsigned>(denom);
  c->dct_method = JDCT_ISLOW;
  const bool cmyk =
      c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK;
  c->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  if (setjmp(s_->err.jump)) {
    jpeg_abort_decompress(c);
    error = s_->err.message;
    return false;
  }
  jpeg_calc_output_dimensions(c);
  const uint64_t w = c->output_width, h = c->output_height;
  if (w == 0 || h == 0 || w * h > kMaxPixels) {
    jpeg_abort_decompress(c);
    error = "image too large to decode (" + std::to_string(w) + "x" +
            std::to_string(h) + ")";
    return false;
  }
  // Allocations before the decode proper: a bad_alloc here propagates
  // normally and readHeader() resets the decoder next time.
  out.width = static_cast<int>(w);
  out.height = static_cast<int>(h);
  out.pixels.resize(w * h * 3);
  if (cmyk)
    s_->cmyk.resize(w * 4);
  if (setjmp(s_->err.jump)) {
    jpeg_abort_decompress(c);
    error = s_->err.message;
    return false;
  }
  jpeg_start_decompress(c);
  uint8_t *base = out.pixels.data();
  while (c->output_scanline < c->output_height) {
    if (!cmyk) {
      JSAMPROW rows[16];
      const unsigned n = std::min<unsigned>(16, c->output_height -
                                                    c->output_scanline);
      for (unsigned i = 0; i < n; ++i)
        rows[i] = base + (c->output_scanline + i) * w * 3;
      jpeg_read_scanlines(c, rows, n);
      continue;
    }
    // Adobe CMYK JPEGs store inverted values: R = C'K'/255 with C' = 255-C
    // as stored (PIL's conversion of its "CMYK;I" mode).
    JSAMPROW row = s_->cmyk.data();
    uint8_t *dst = base + c->output_scanline * w * 3;
    if (jpeg_read_scanlines(c, &row, 1) != 1)
      continue;
    for (uint64_t x = 0; x < w; ++x) {
      const unsigned k = row[4 * x + 3];
      for (int ch = 0; ch < 3; ++ch)
        dst[3 * x + ch] =
            static_cast<uint8_t>((row[4 * x + ch] * k + 127) / 255);
    }
  }
  // Not jpeg_finish_decompress: nothing after the last scanline matters.
  jpeg_abort_decompress(c);
  return true;
}

std::vector<uint8_t> encodeJpeg(const RgbImage &image, int quality) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
    throw std::runtime_error("encodeJpeg: bad image");
  jpeg_compress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  ErrorManager err;
  installErrorManager(err);
  cinfo.err = &err.pub;
  unsigned char *buffer = nullptr;
  unsigned long size = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    throw std::runtime_error(std::string("encodeJpeg: ") + err.message);
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (quality >= 90)
    for (int i = 0; i < 3; ++i)
      cinfo.comp_info[i].h_samp_factor = cinfo.comp_info[i].v_samp_factor = 1;
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(image.pixels.data() +
                                        cinfo.next_scanline * image.width * 3);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> bytes(buffer, buffer + size);
  std::free(buffer);
  return bytes;
}

bool readFileBytes(const std::string &path, std::vector<uint8_t> &out,
                   std::string &error) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = std::strerror(errno);
    return false;
  }
  out.clear();
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
    out.insert(out.end(), chunk, chunk + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) {
    error = "read error";
    return false;
  }
  return true;
}

} // namespace cardinal::rt
