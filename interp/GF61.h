//===- GF61.h - the prime field GF(2^61 - 1) ------------------------------===//
//
// The number type of the exact equivalence check (DESIGN §4): linear ops are
// exact here, so two forms that agree as polynomials agree bit for bit.
// p = 2^61 - 1 is a Mersenne prime, so reduction is a shift and an add.
// Elements are kept canonical (v < p), which makes == plain comparison.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_GF61_H
#define CARDINAL_INTERP_GF61_H

#include "interp/Hash.h"

#include <cstdint>
#include <ostream>

namespace cardinal {

struct GF61 {
  static constexpr uint64_t kP = (uint64_t(1) << 61) - 1;

  uint64_t v = 0;

  constexpr GF61() = default;
  /// `x` must already be canonical (< p); use fromInt/fromU64 otherwise.
  constexpr explicit GF61(uint64_t x) : v(x) {}

  /// Any uint64 reduced mod p.
  static constexpr GF61 fromU64(uint64_t x) {
    uint64_t r = (x & kP) + (x >> 61); // 2^61 = 1 (mod p)
    return GF61(r >= kP ? r - kP : r);
  }
  /// Any int64, negatives included (-1 maps to p - 1).
  static constexpr GF61 fromInt(int64_t x) {
    uint64_t mag = x < 0 ? uint64_t(0) - uint64_t(x) : uint64_t(x);
    GF61 r = fromU64(mag);
    return x < 0 ? -r : r;
  }
  /// A uniform element drawn from the splitmix64 stream `state` (advanced).
  static GF61 random(uint64_t &state) {
    // Rejection keeps it exactly uniform: 61-bit draws equal to p retry.
    for (;;) {
      uint64_t x = splitmix64Next(state) >> 3;
      if (x < kP)
        return GF61(x);
    }
  }
  /// A uniform element determined by `seed` alone.
  static GF61 fromSeed(uint64_t seed) { return random(seed); }

  friend constexpr GF61 operator+(GF61 a, GF61 b) {
    uint64_t r = a.v + b.v; // < 2p < 2^62: no overflow
    return GF61(r >= kP ? r - kP : r);
  }
  friend constexpr GF61 operator-(GF61 a, GF61 b) {
    return GF61(a.v >= b.v ? a.v - b.v : a.v + kP - b.v);
  }
  constexpr GF61 operator-() const { return GF61(v ? kP - v : 0); }
  friend constexpr GF61 operator*(GF61 a, GF61 b) {
    unsigned __int128 prod = (unsigned __int128)a.v * b.v; // < 2^122
    uint64_t lo = uint64_t(prod) & kP;
    uint64_t hi = uint64_t(prod >> 61); // < 2^61
    return fromU64(lo + hi);            // lo + hi < 2^62
  }
  GF61 &operator+=(GF61 o) { return *this = *this + o; }
  GF61 &operator-=(GF61 o) { return *this = *this - o; }
  GF61 &operator*=(GF61 o) { return *this = *this * o; }
  friend constexpr bool operator==(GF61 a, GF61 b) { return a.v == b.v; }
  friend constexpr bool operator!=(GF61 a, GF61 b) { return a.v != b.v; }

  /// a^e by square-and-multiply.
  constexpr GF61 pow(uint64_t e) const {
    GF61 base = *this, r(1);
    for (; e; e >>= 1, base = base * base)
      if (e & 1)
        r = r * base;
    return r;
  }
  /// a^(p-2) = a^-1 for a != 0 (Fermat); inverse of 0 is 0 by convention.
  constexpr GF61 inverse() const { return pow(kP - 2); }

  friend std::ostream &operator<<(std::ostream &os, GF61 a) {
    return os << a.v;
  }
};

} // namespace cardinal

#endif // CARDINAL_INTERP_GF61_H
