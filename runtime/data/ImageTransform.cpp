//===- ImageTransform.cpp - ImageNet crops, resampling and normalization ---===//

#include "runtime/data/ImageTransform.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cardinal::rt {
namespace {

/// Python's round(): half to even (the default FP rounding mode).
int roundHalfEven(double v) { return static_cast<int>(std::nearbyint(v)); }

CropRegion cropOf(int top, int left, int h, int w) {
  CropRegion r;
  r.y0 = top;
  r.x0 = left;
  r.h = h;
  r.w = w;
  r.clampY0 = top;
  r.clampY1 = top + h - 1;
  r.clampX0 = left;
  r.clampX1 = left + w - 1;
  return r;
}

/// Per output column (or row): the two source indices and the weight of
/// the second, in the decoded image.
struct Tap {
  int i0, i1;
  float t;
};

std::vector<Tap> taps(double origin, double extent, double lo, double hi,
                      int size, int denom, int decodedExtent) {
  // Full-size coordinate s maps to (s + 0.5)/denom − 0.5 in the decoded
  // image: decoded pixel k covers full-size pixels [k·denom, (k+1)·denom).
  const double inv = 1.0 / denom;
  const double cLo = std::max(0.0, (lo + 0.5) * inv - 0.5);
  const double cHi =
      std::max(cLo, std::min<double>(decodedExtent - 1, (hi + 0.5) * inv - 0.5));
  std::vector<Tap> out(size);
  for (int i = 0; i < size; ++i) {
    const double s = origin + (i + 0.5) * extent / size - 0.5;
    const double d = std::clamp((s + 0.5) * inv - 0.5, cLo, cHi);
    const int i0 = static_cast<int>(std::floor(d));
    out[i].i0 = i0;
    out[i].i1 = std::min(i0 + 1, decodedExtent - 1);
    out[i].t = static_cast<float>(d - i0);
  }
  return out;
}

} // namespace

CropRegion randomResizedCrop(int width, int height, Random &rng,
                             const RandomResizedCropParams &p, bool flip) {
  const double area = static_cast<double>(width) * height;
  const double logLo = std::log(p.minRatio), logHi = std::log(p.maxRatio);
  CropRegion region;
  bool found = false;
  for (int attempt = 0; attempt < p.tries && !found; ++attempt) {
    const double target =
        area * (p.minScale + (p.maxScale - p.minScale) * rng.uniform());
    const double ratio = std::exp(logLo + (logHi - logLo) * rng.uniform());
    const int w = roundHalfEven(std::sqrt(target * ratio));
    const int h = roundHalfEven(std::sqrt(target / ratio));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const int top = static_cast<int>(rng.below(height - h + 1));
      const int left = static_cast<int>(rng.below(width - w + 1));
      region = cropOf(top, left, h, w);
      found = true;
    }
  }
  if (!found) { // the largest centred crop within the ratio bounds
    const double inRatio = static_cast<double>(width) / height;
    int w = width, h = height;
    if (inRatio < p.minRatio)
      h = std::max(1, roundHalfEven(w / p.minRatio));
    else if (inRatio > p.maxRatio)
      w = std::max(1, roundHalfEven(h * p.maxRatio));
    region = cropOf((height - h) / 2, (width - w) / 2, h, w);
  }
  region.flip = flip && rng.below(2) == 1;
  return region;
}

CropRegion centerCrop(int width, int height, int size, int resizeTo) {
  int newW, newH; // torchvision: the long side truncated
  if (width <= height) {
    newW = resizeTo;
    newH = static_cast<int>(static_cast<double>(resizeTo) * height / width);
  } else {
    newH = resizeTo;
    newW = static_cast<int>(static_cast<double>(resizeTo) * width / height);
  }
  const int top = roundHalfEven((newH - size) / 2.0);
  const int left = roundHalfEven((newW - size) / 2.0);
  const double sy = static_cast<double>(height) / newH;
  const double sx = static_cast<double>(width) / newW;
  CropRegion r;
  r.y0 = top * sy;
  r.x0 = left * sx;
  r.h = size * sy;
  r.w = size * sx;
  r.clampY0 = 0;
  r.clampY1 = height - 1;
  r.clampX0 = 0;
  r.clampX1 = width - 1;
  return r;
}

int evalResizeFor(int size) {
  return static_cast<int>(std::lround(size * 256.0 / 224.0));
}

int decodeScaleFor(const CropRegion &region, int size) {
  for (int d : {8, 4, 2})
    if (region.w / d >= size && region.h / d >= size)
      return d;
  return 1;
}

void resampleNormalize(const RgbImage &image, int denom,
                       const CropRegion &region, int size, float *out,
                       const std::array<float, 3> &mean,
                       const std::array<float, 3> &stddev) {
  const std::vector<Tap> ys = taps(region.y0, region.h, region.clampY0,
                                   region.clampY1, size, denom, image.height);
  std::vector<Tap> xs = taps(region.x0, region.w, region.clampX0,
                             region.clampX1, size, denom, image.width);
  if (region.flip)
    std::reverse(xs.begin(), xs.end());
  float a[3], b[3]; // v·a + b = (v/255 − mean)/std
  for (int c = 0; c < 3; ++c) {
    a[c] = 1.0f / (255.0f * stddev[c]);
    b[c] = -mean[c] / stddev[c];
  }
  // Separable: source rows interpolated horizontally (RGB interleaved,
  // cached by row: neighbouring output rows often share one), then blended
  // vertically into the three planes.
  const size_t plane = static_cast<size_t>(size) * size;
  const size_t stride = static_cast<size_t>(image.width) * 3;
  std::vector<float> rows[2] = {std::vector<float>(size * 3),
                                std::vector<float>(size * 3)};
  int rowOf[2] = {-1, -1};
  auto horizontal = [&](int srcRow) -> const float * {
    for (int k = 0; k < 2; ++k)
      if (rowOf[k] == srcRow)
        return rows[k].data();
    // Replace the buffer whose row is not the other one needed now.
    const int k = rowOf[0] < rowOf[1] ? 0 : 1;
    rowOf[k] = srcRow;
    const uint8_t *src = image.pixels.data() + srcRow * stride;
    float *dst = rows[k].data();
    for (int x = 0; x < size; ++x) {
      const uint8_t *p0 = src + xs[x].i0 * 3, *p1 = src + xs[x].i1 * 3;
      const float t = xs[x].t;
      for (int c = 0; c < 3; ++c)
        dst[3 * x + c] = p0[c] + t * (p1[c] - p0[c]);
    }
    return dst;
  };
  for (int y = 0; y < size; ++y) {
    // Rows only grow with y, so evicting the smaller cached row is safe.
    const float *top = horizontal(ys[y].i0);
    const float *bottom = horizontal(ys[y].i1);
    const float ty = ys[y].t;
    for (int c = 0; c < 3; ++c) {
      float *o = out + c * plane + static_cast<size_t>(y) * size;
      for (int x = 0; x < size; ++x) {
        const float t = top[3 * x + c];
        o[x] = (t + ty * (bottom[3 * x + c] - t)) * a[c] + b[c];
      }
    }
  }
}

} // namespace cardinal::rt
