//===- GpuHarness.h - device buffers and checks for cuda-kernels-gpu-test -===//
//
// Host data is always float; a T = bf16 upload rounds it (math/Bf16.h) and
// the CPU reference then runs on those rounded values, so both sides see
// the same inputs and the tolerance covers only the kernel's own rounding.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_TESTS_CUDA_GPUHARNESS_H
#define CARDINAL_TESTS_CUDA_GPUHARNESS_H

#include "CudaTestUtil.h"

#include "runtime/cuda/CudaKernels.h"
#include "runtime/cuda/math/Bf16.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace cardinal::rt::cuda::test {

/// An owning device array of E.
template <typename E> class Dev {
public:
  explicit Dev(size_t n) : n_(n) {
    checkCuda(cudaMalloc(&p_, sizeof(E) * (n ? n : 1)), "cudaMalloc");
  }
  ~Dev() { cudaFree(p_); }
  Dev(const Dev &) = delete;
  Dev &operator=(const Dev &) = delete;
  E *get() const { return p_; }
  size_t size() const { return n_; }

private:
  E *p_ = nullptr;
  size_t n_;
};

template <typename T> constexpr bool isBf16 = std::is_same_v<T, bf16>;

/// v as T's values would hold it (identity for float).
template <typename T> std::vector<float> rounded(std::vector<float> v) {
  if constexpr (isBf16<T>)
    for (auto &e : v)
      e = roundToBf16(e);
  return v;
}

template <typename T> std::vector<T> toStorage(const std::vector<float> &v) {
  std::vector<T> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if constexpr (isBf16<T>) {
      const uint16_t b = floatToBf16Bits(v[i]);
      std::memcpy(&out[i], &b, sizeof b);
    } else {
      out[i] = v[i];
    }
  }
  return out;
}

template <typename T> float fromStorage(const T &v) {
  if constexpr (isBf16<T>) {
    uint16_t b;
    std::memcpy(&b, &v, sizeof b);
    return bf16BitsToFloat(b);
  } else {
    return v;
  }
}

template <typename T>
std::unique_ptr<Dev<T>> upload(const std::vector<float> &v) {
  auto d = std::make_unique<Dev<T>>(v.size());
  const auto s = toStorage<T>(v);
  checkCuda(cudaMemcpy(d->get(), s.data(), sizeof(T) * s.size(),
                       cudaMemcpyHostToDevice),
            "upload");
  return d;
}

template <typename E>
std::unique_ptr<Dev<E>> uploadRaw(const std::vector<E> &v) {
  auto d = std::make_unique<Dev<E>>(v.size());
  checkCuda(cudaMemcpy(d->get(), v.data(), sizeof(E) * v.size(),
                       cudaMemcpyHostToDevice),
            "upload");
  return d;
}

template <typename E> std::unique_ptr<Dev<E>> alloc(size_t n) {
  return std::make_unique<Dev<E>>(n);
}

/// Waits for ctx's stream, then copies back as float.
template <typename T>
std::vector<float> download(Context &ctx, const Dev<T> &d) {
  synchronize(ctx);
  std::vector<T> s(d.size());
  checkCuda(cudaMemcpy(s.data(), d.get(), sizeof(T) * s.size(),
                       cudaMemcpyDeviceToHost),
            "download");
  std::vector<float> out(s.size());
  for (size_t i = 0; i < s.size(); ++i)
    out[i] = fromStorage(s[i]);
  return out;
}

template <typename E>
std::vector<E> downloadRaw(Context &ctx, const Dev<E> &d) {
  synchronize(ctx);
  std::vector<E> s(d.size());
  checkCuda(cudaMemcpy(s.data(), d.get(), sizeof(E) * s.size(),
                       cudaMemcpyDeviceToHost),
            "download");
  return s;
}

template <typename T> const char *typeName() {
  return isBf16<T> ? "bf16" : "fp32";
}
/// Norm-wise relative tolerance: fp32 accumulation-order noise, or bf16's
/// 8-bit mantissa on stored results.
template <typename T> double tolerance() { return isBf16<T> ? 2e-2 : 1e-4; }

/// Prints one line per check and counts failures.
class Checks {
public:
  void expect(const std::string &name, double err, double tol) {
    const bool ok = err <= tol; // NaN fails
    std::printf("%-4s %-58s err %.2e (tol %.0e)\n", ok ? "ok" : "FAIL",
                name.c_str(), err, tol);
    failures_ += !ok;
  }
  template <typename T>
  void close(const std::string &name, const std::vector<float> &got,
             const std::vector<float> &ref, double scale = 1.0) {
    expect(name + " [" + typeName<T>() + "]", relError(got, ref),
           tolerance<T>() * scale);
  }
  void equal(const std::string &name, bool same) {
    expect(name, same ? 0.0 : 1.0, 0.0);
  }
  int failures() const { return failures_; }

private:
  int failures_ = 0;
};

} // namespace cardinal::rt::cuda::test

#endif // CARDINAL_TESTS_CUDA_GPUHARNESS_H
