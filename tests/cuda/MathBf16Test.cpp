//===- MathBf16Test.cpp - bitwise fp32 -> bf16 rounding --------------------===//
#include "runtime/cuda/math/Bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace cardinal::rt::cuda {
namespace {

uint16_t bf(uint32_t bits) { return floatToBf16Bits(bitsFloat(bits)); }

TEST(Bf16Test, ExactValuesAreUnchanged) {
  for (float f : {0.f, -0.f, 1.f, -2.f, 0.5f, 3.f, 1024.f, -0.09375f}) {
    EXPECT_EQ(bf16BitsToFloat(floatToBf16Bits(f)), f) << f;
    EXPECT_EQ(floatBits(roundToBf16(f)), floatBits(f)) << f; // signed zero
  }
}

TEST(Bf16Test, TiesRoundToEven) {
  EXPECT_EQ(bf(0x3f808000u), 0x3f80u); // 1 + 2^-8: tie, even stays down
  EXPECT_EQ(bf(0x3f818000u), 0x3f82u); // tie, odd rounds up to even
  EXPECT_EQ(bf(0x3f808001u), 0x3f81u); // just above the tie
  EXPECT_EQ(bf(0x3f807fffu), 0x3f80u); // just below the tie
  EXPECT_EQ(bf(0xbf818000u), 0xbf82u); // negative: by magnitude
}

TEST(Bf16Test, NanStaysNanInfStaysInf) {
  // A payload only in the low half would round into inf without the
  // special case.
  for (uint32_t nan : {0x7f800001u, 0x7fc00000u, 0xff800001u, 0x7fffffffu}) {
    const uint16_t b = bf(nan);
    EXPECT_TRUE(std::isnan(bf16BitsToFloat(b))) << std::hex << nan;
    EXPECT_EQ(b & 0x8000u, (nan >> 16) & 0x8000u) << "sign kept";
  }
  EXPECT_EQ(bf(0x7f800000u), 0x7f80u);
  EXPECT_EQ(bf(0xff800000u), 0xff80u);
  // Overflow: the largest float is above bf16's largest finite: inf.
  EXPECT_EQ(floatToBf16Bits(std::numeric_limits<float>::max()), 0x7f80u);
  EXPECT_EQ(bf(0x7f7f7fffu), 0x7f7fu); // still rounds down to max finite
}

TEST(Bf16Test, DenormalsRoundLikeNormals) {
  EXPECT_EQ(bf(0x00000001u), 0x0000u); // tiniest denormal -> +0
  EXPECT_EQ(bf(0x80000001u), 0x8000u); // -> -0
  EXPECT_EQ(bf(0x00008000u), 0x0000u); // tie to even (0)
  EXPECT_EQ(bf(0x00018000u), 0x0002u); // tie to even (2)
  EXPECT_EQ(bf(0x00010000u), 0x0001u); // smallest bf16 denormal, exact
  EXPECT_EQ(bf(0x007fffffu), 0x0080u); // largest denormal -> min normal
}

/// Nearest of the two bf16 neighbours by exact (double) distance, ties to
/// the even one: the definition, checked on random finite floats.
TEST(Bf16Test, MatchesNearestEvenOnRandomFloats) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint32_t> d;
  for (int i = 0; i < 200000; ++i) {
    const uint32_t u = d(rng);
    const float f = bitsFloat(u);
    if (!std::isfinite(f))
      continue;
    const uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u;
    const double dl = std::fabs(double(f) - double(bitsFloat(lo)));
    // Past the largest finite value the next step is 2^128 (then inf).
    const double fh = double(bitsFloat(hi));
    const double dh = std::isinf(fh) ? std::ldexp(1.0, 128) - std::fabs(double(f))
                                     : std::fabs(double(f) - fh);
    uint16_t want;
    if (dl < dh)
      want = uint16_t(lo >> 16);
    else if (dh < dl)
      want = uint16_t(hi >> 16);
    else
      want = uint16_t(((lo >> 16) & 1u) ? hi >> 16 : lo >> 16);
    ASSERT_EQ(floatToBf16Bits(f), want) << std::hex << u;
  }
}

} // namespace
} // namespace cardinal::rt::cuda
