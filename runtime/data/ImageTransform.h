//===- ImageTransform.h - ImageNet crops, resampling and normalization -----===//
//
// The paper's (and torchvision's) ImageNet preprocessing, to an S×S output
// (S = 224 for ImageNet):
//  - train: RandomResizedCrop(S, scale [0.08, 1], ratio [3/4, 4/3]) then a
//    horizontal flip with probability 1/2;
//  - eval: Resize(round(S·256/224)) of the short side, then CenterCrop(S).
// Both are a CropRegion in source pixels, resampled bilinearly (half-pixel
// centres, as torch's interpolate with align_corners=False; no antialias
// filter: decoding at a DCT scale keeps the downsampling factor below 2)
// and normalized per channel into CHW floats.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_IMAGETRANSFORM_H
#define CARDINAL_RUNTIME_DATA_IMAGETRANSFORM_H

#include "runtime/Random.h"
#include "runtime/data/Jpeg.h"

#include <array>
#include <cstdint>

namespace cardinal::rt {

/// ImageNet's per-channel statistics, in [0, 1] pixel units (RGB).
constexpr std::array<float, 3> kImageNetMean = {0.485f, 0.456f, 0.406f};
constexpr std::array<float, 3> kImageNetStd = {0.229f, 0.224f, 0.225f};

/// The source rectangle an S×S output covers, in pixels of the full-size
/// image: output pixel (y, x) samples source coordinate
///   sy = y0 + (y + 0.5)·h/S − 0.5,   sx = x0 + (x + 0.5)·w/S − 0.5,
/// clamped to [clampY0, clampY1] × [clampX0, clampX1] (pixel centres).
struct CropRegion {
  double y0 = 0, x0 = 0, h = 0, w = 0;
  double clampY0 = 0, clampY1 = 0, clampX0 = 0, clampX1 = 0;
  bool flip = false; ///< mirror the output horizontally
};

struct RandomResizedCropParams {
  double minScale = 0.08, maxScale = 1.0;
  double minRatio = 3.0 / 4.0, maxRatio = 4.0 / 3.0;
  int tries = 10;
};

/// torchvision's RandomResizedCrop.get_params: an integer crop (top, left,
/// h, w) of a width×height image whose area is a uniform fraction of the
/// image's and whose log aspect ratio (w/h) is uniform; after `tries`
/// misses, the largest centred crop within the ratio bounds. Then a flip
/// with probability 1/2 when `flip`. Clamped to the crop (crop, then
/// resize).
CropRegion randomResizedCrop(int width, int height, Random &rng,
                             const RandomResizedCropParams &p = {},
                             bool flip = true);

/// torchvision's Resize(resizeTo) (short side to resizeTo, the long side
/// truncated) then CenterCrop(size) (offsets rounded half to even), as a
/// region of the full-size image. Clamped to the image (resize, then crop).
CropRegion centerCrop(int width, int height, int size, int resizeTo);

/// round(size·256/224): the short side eval resizes to (256 for 224).
int evalResizeFor(int size);

/// The largest DCT scale denominator in {1, 2, 4, 8} at which `region`
/// still spans at least `size` decoded pixels each way (so resampling
/// never upsamples what full-size decoding would not).
int decodeScaleFor(const CropRegion &region, int size);

/// Samples `region` (full-size coordinates) of `image`, which was decoded
/// at scale 1/denom, bilinearly into size×size, mirrored if region.flip,
/// and writes ((v/255) − mean[c]) / std[c] as 3×size×size floats.
void resampleNormalize(const RgbImage &image, int denom,
                       const CropRegion &region, int size, float *out,
                       const std::array<float, 3> &mean = kImageNetMean,
                       const std::array<float, 3> &stddev = kImageNetStd);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_IMAGETRANSFORM_H
