//===- Degree.h - saturating total-degree bounds --------------------------===//
//
// Over GF61 every value is a polynomial in the inputs, parameters and state
// (each element a variable of degree 1). Its total degree d bounds the
// Schwartz–Zippel miss probability d/p. Deep networks compose cubics, so the
// bound saturates at kInfiniteDegree instead of wrapping around.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_DEGREE_H
#define CARDINAL_INTERP_DEGREE_H

#include <algorithm>
#include <cstdint>

namespace cardinal::degree {

constexpr uint64_t kInfiniteDegree = UINT64_MAX;

inline uint64_t add(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_add_overflow(a, b, &r) ? kInfiniteDegree : r;
}
inline uint64_t mul(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kInfiniteDegree : r;
}

/// Degree of φ(t) for a keyed cubic φ.
inline uint64_t cubic(uint64_t t) { return mul(3, t); }

/// conv / linear: x ⋆ w (+ b).
inline uint64_t product(uint64_t x, uint64_t w, uint64_t bias = 0) {
  return std::max(add(x, w), bias);
}

/// BN eval: (x - mean)·scale·φ(var) + shift.
inline uint64_t batchNormEval(uint64_t x, uint64_t scale, uint64_t shift,
                              uint64_t mean, uint64_t var) {
  return std::max(add(add(std::max(x, mean), scale), cubic(var)), shift);
}

/// BN train: μ = Σx·n⁻¹ (deg x), v = Σ(x - μ)²·n⁻¹ (deg 2x),
/// y = (x - μ)·scale·φ(v) + shift.
inline uint64_t batchNormTrain(uint64_t x, uint64_t scale, uint64_t shift) {
  uint64_t v = mul(2, x);
  return std::max(add(add(x, scale), cubic(v)), shift);
}

} // namespace cardinal::degree

#endif // CARDINAL_INTERP_DEGREE_H
