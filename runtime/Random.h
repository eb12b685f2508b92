//===- Random.h - the runtime's deterministic random numbers --------------===//
//
// One generator for everything a trainer draws (initialization, shuffling,
// augmentation), so a seed reproduces a run bit-for-bit and its state can be
// checkpointed as four words. xoshiro256** seeded through SplitMix64.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_RANDOM_H
#define CARDINAL_RUNTIME_RANDOM_H

#include <array>
#include <cmath>
#include <cstdint>

namespace cardinal::rt {

inline uint64_t splitmix64(uint64_t &x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Random {
public:
  explicit Random(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed) {
    for (auto &w : s_)
      w = splitmix64(seed);
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return (next() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  /// Standard normal (Box-Muller; one draw per call keeps the state simple).
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300)
      u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  std::array<uint64_t, 4> state() const { return s_; }
  void setState(const std::array<uint64_t, 4> &s) { s_ = s; }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_RANDOM_H
