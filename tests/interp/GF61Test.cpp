//===- GF61Test.cpp - arithmetic of GF(2^61 - 1) --------------------------===//
#include "interp/GF61.h"

#include <gtest/gtest.h>

using cardinal::GF61;

namespace {

constexpr uint64_t P = GF61::kP;

// Reference: reduce the exact 128-bit product.
uint64_t mulRef(uint64_t a, uint64_t b) {
  return uint64_t(((unsigned __int128)a * b) % P);
}

TEST(GF61Test, ModulusIsMersenne61) { EXPECT_EQ(P, (uint64_t(1) << 61) - 1); }

TEST(GF61Test, PMinusOnePlusOneIsZero) {
  EXPECT_EQ(GF61(P - 1) + GF61(1), GF61(0));
  EXPECT_EQ(GF61(0) - GF61(1), GF61(P - 1));
  EXPECT_EQ(-GF61(1), GF61(P - 1));
  EXPECT_EQ(-GF61(0), GF61(0));
  EXPECT_EQ(GF61(P - 1) * GF61(P - 1), GF61(1)); // (-1)(-1) = 1
}

TEST(GF61Test, FromIntReducesNegativesAndLargeValues) {
  EXPECT_EQ(GF61::fromInt(-1), GF61(P - 1));
  EXPECT_EQ(GF61::fromInt(int64_t(P)), GF61(0));
  EXPECT_EQ(GF61::fromInt(-int64_t(P)), GF61(0));
  EXPECT_EQ(GF61::fromInt(int64_t(P) + 5), GF61(5));
  EXPECT_EQ(GF61::fromInt(INT64_MIN) + GF61::fromInt(INT64_MAX), -GF61(1));
  EXPECT_EQ(GF61::fromU64(UINT64_MAX).v, UINT64_MAX % P);
}

TEST(GF61Test, RandomProductsMatchInt128Reference) {
  uint64_t s = 1;
  for (int i = 0; i < 100000; ++i) {
    GF61 a = GF61::random(s), b = GF61::random(s);
    ASSERT_LT(a.v, P);
    ASSERT_EQ((a * b).v, mulRef(a.v, b.v)) << a << " * " << b;
    ASSERT_EQ((a + b).v, (a.v + b.v) % P);
    ASSERT_EQ((a - b).v, (a.v + P - b.v) % P);
  }
  // Extremes of the canonical range.
  for (uint64_t a : {uint64_t(0), uint64_t(1), P - 2, P - 1, uint64_t(1) << 60})
    for (uint64_t b : {uint64_t(0), uint64_t(1), P - 2, P - 1, P / 2})
      EXPECT_EQ((GF61(a) * GF61(b)).v, mulRef(a, b));
}

TEST(GF61Test, InverseByFermat) {
  uint64_t s = 7;
  for (int i = 0; i < 1000; ++i) {
    GF61 a = GF61::random(s);
    if (a == GF61(0))
      continue;
    ASSERT_EQ(a * a.inverse(), GF61(1)) << a;
  }
  EXPECT_EQ(GF61(1).inverse(), GF61(1));
  EXPECT_EQ(GF61(P - 1).inverse(), GF61(P - 1));
  EXPECT_EQ(GF61::fromInt(2).inverse() * GF61::fromInt(6), GF61::fromInt(3));
}

TEST(GF61Test, FieldLaws) {
  uint64_t s = 42;
  for (int i = 0; i < 10000; ++i) {
    GF61 a = GF61::random(s), b = GF61::random(s), c = GF61::random(s);
    ASSERT_EQ(a * (b + c), a * b + a * c);
    ASSERT_EQ((a + b) + c, a + (b + c));
    ASSERT_EQ((a * b) * c, a * (b * c));
    ASSERT_EQ(a - b, a + (-b));
  }
}

TEST(GF61Test, RandomIsDeterministicAndSpread) {
  EXPECT_EQ(GF61::fromSeed(123), GF61::fromSeed(123));
  EXPECT_NE(GF61::fromSeed(123), GF61::fromSeed(124));
  uint64_t s = 9;
  int high = 0; // the top bit of 61 should be set about half the time
  for (int i = 0; i < 4000; ++i)
    high += (GF61::random(s).v >> 60) & 1;
  EXPECT_GT(high, 1700);
  EXPECT_LT(high, 2300);
}

} // namespace
