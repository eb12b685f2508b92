//===- Bf16.h - fp32 <-> bf16 conversion done on the bits ------------------===//
//
// bf16 is the top half of an fp32. Narrowing rounds to nearest, ties to
// even, by adding 0x7fff plus the lowest kept bit before truncating; the
// carry then rounds up into the exponent, so large finite values correctly
// become inf. NaN is special-cased so a payload in the low half cannot round
// into inf: it stays NaN (quieted, sign kept). Denormals need nothing
// special (the same rule applies to their bits). This is what
// __float2bfloat16_rn and PyTorch's c10::BFloat16 do.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_MATH_BF16_H
#define CARDINAL_RUNTIME_CUDA_MATH_BF16_H

#include "runtime/cuda/HostDevice.h"

#include <cstdint>
#include <cstring>

namespace cardinal::rt::cuda {

CARDINAL_HD inline uint32_t floatBits(float f) {
#ifdef __CUDA_ARCH__
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

CARDINAL_HD inline float bitsFloat(uint32_t u) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

/// fp32 -> bf16 bits, round to nearest even; NaN stays (quiet) NaN.
CARDINAL_HD inline uint16_t floatToBf16Bits(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((u >> 16) | 0x0040u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

/// bf16 bits -> fp32, exact.
CARDINAL_HD inline float bf16BitsToFloat(uint16_t b) {
  return bitsFloat(static_cast<uint32_t>(b) << 16);
}

/// fp32 rounded through bf16 and back (what storing in bf16 does).
CARDINAL_HD inline float roundToBf16(float f) {
  return bf16BitsToFloat(floatToBf16Bits(f));
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_MATH_BF16_H
