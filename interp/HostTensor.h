//===- HostTensor.h - a dense host tensor of any number type --------------===//
//
// The value type of the reference interpreter and of weight stores: float,
// double or the prime field GF(2^61-1). Row-major over `shape` (NCHW, OIHW).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_HOSTTENSOR_H
#define CARDINAL_INTERP_HOSTTENSOR_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cardinal {

template <typename T>
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<T> data;

  HostTensor() = default;
  explicit HostTensor(std::vector<int64_t> s, T fill = T())
      : shape(std::move(s)), data(numelOf(shape), fill) {}

  static int64_t numelOf(const std::vector<int64_t> &s) {
    int64_t n = 1;
    for (int64_t d : s)
      n *= d;
    return n;
  }
  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  bool operator==(const HostTensor &o) const {
    return shape == o.shape && data == o.data;
  }
  bool operator!=(const HostTensor &o) const { return !(*this == o); }
};

/// Named parameters and state (nn.param / nn.state names) or inputs.
template <typename T>
using TensorMap = std::map<std::string, HostTensor<T>>;

} // namespace cardinal

#endif // CARDINAL_INTERP_HOSTTENSOR_H
