//===- Hash.h - splitmix64 and the small hashes the GF check keys on ------===//
//
// Channel labels and keyed-function keys must be the same in every form and
// every run, so they are plain deterministic 64-bit hashes (no std::hash,
// whose values are implementation-defined).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_HASH_H
#define CARDINAL_INTERP_HASH_H

#include <cstdint>
#include <string_view>

namespace cardinal {

/// Advances `state` and returns the next splitmix64 output.
inline uint64_t splitmix64Next(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// splitmix64's finalizer as a pure function of one word.
inline uint64_t splitmix64(uint64_t x) { return splitmix64Next(x); }

/// An order-sensitive hash of two words.
inline uint64_t hashCombine(uint64_t a, uint64_t b) {
  return splitmix64(splitmix64(a) ^ (b + 0x632be59bd9b4e019ULL));
}

/// FNV-1a of the bytes, finalized with splitmix64.
inline uint64_t hashString(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ULL;
  return splitmix64(h);
}

} // namespace cardinal

#endif // CARDINAL_INTERP_HASH_H
