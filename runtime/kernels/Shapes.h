//===- Shapes.h - shape structs the generated code passes to kernels -------===//
//
// Kernels take raw pointers plus one of these plain aggregates, so generated
// trainers can spell a shape as a brace initializer (shape-specialized code)
// or build it with make(), which fills in the derived output extents.
// Layouts are logical NCHW for activations and OIHW for conv weights.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_SHAPES_H
#define CARDINAL_RUNTIME_KERNELS_SHAPES_H

#include <cstdint>

namespace cardinal::rt {

/// Output extent of a sliding window along one axis (floor mode).
inline int64_t windowOut(int64_t in, int64_t k, int64_t stride, int64_t pad,
                         int64_t dilation = 1) {
  return (in + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
}

/// An NCHW activation. Also used for rank-2 [N, C] tensors with h = w = 1.
struct ActShape {
  int64_t n = 0, c = 0, h = 1, w = 1;

  int64_t hw() const { return h * w; }
  int64_t size() const { return n * c * h * w; }
};

/// 2-D convolution: x [n, c, h, w], weight [o, c/groups, kh, kw], optional
/// bias [o], y [n, o, oh, ow]. Strides, padding and dilation per axis (the
/// `nn` dialect allows them to differ); make() takes the square case.
struct ConvShape {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t o = 0, kh = 1, kw = 1;
  int64_t strideH = 1, strideW = 1, padH = 0, padW = 0;
  int64_t dilationH = 1, dilationW = 1, groups = 1;
  int64_t oh = 0, ow = 0;

  /// Fills oh/ow from the other fields.
  ConvShape &computeOutput() {
    oh = windowOut(h, kh, strideH, padH, dilationH);
    ow = windowOut(w, kw, strideW, padW, dilationW);
    return *this;
  }
  static ConvShape make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t o,
                        int64_t kh, int64_t kw, int64_t stride = 1,
                        int64_t pad = 0, int64_t dilation = 1,
                        int64_t groups = 1) {
    ConvShape s;
    s.n = n, s.c = c, s.h = h, s.w = w, s.o = o, s.kh = kh, s.kw = kw;
    s.strideH = s.strideW = stride;
    s.padH = s.padW = pad;
    s.dilationH = s.dilationW = dilation;
    s.groups = groups;
    return s.computeOutput();
  }

  int64_t cPerGroup() const { return c / groups; }
  int64_t oPerGroup() const { return o / groups; }
  int64_t inputSize() const { return n * c * h * w; }
  int64_t weightSize() const { return o * cPerGroup() * kh * kw; }
  int64_t outputSize() const { return n * o * oh * ow; }
  ActShape input() const { return {n, c, h, w}; }
  ActShape output() const { return {n, o, oh, ow}; }
  bool valid() const {
    return n > 0 && c > 0 && h > 0 && w > 0 && o > 0 && kh > 0 && kw > 0 &&
           strideH > 0 && strideW > 0 && padH >= 0 && padW >= 0 &&
           dilationH > 0 && dilationW > 0 && groups > 0 && c % groups == 0 &&
           o % groups == 0 && oh > 0 && ow > 0 &&
           oh == windowOut(h, kh, strideH, padH, dilationH) &&
           ow == windowOut(w, kw, strideW, padW, dilationW);
  }
};

/// 2-D max pooling: x [n, c, h, w] -> y [n, c, oh, ow]. Padding never wins.
struct PoolShape {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t kh = 1, kw = 1, strideH = 1, strideW = 1, padH = 0, padW = 0;
  int64_t oh = 0, ow = 0;

  PoolShape &computeOutput() {
    oh = windowOut(h, kh, strideH, padH);
    ow = windowOut(w, kw, strideW, padW);
    return *this;
  }
  static PoolShape make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k,
                        int64_t stride, int64_t pad = 0) {
    PoolShape s;
    s.n = n, s.c = c, s.h = h, s.w = w, s.kh = s.kw = k;
    s.strideH = s.strideW = stride;
    s.padH = s.padW = pad;
    return s.computeOutput();
  }

  int64_t inputSize() const { return n * c * h * w; }
  int64_t outputSize() const { return n * c * oh * ow; }
};

/// Fully connected: x [n, in], weight [out, in], bias [out], y [n, out].
struct LinearShape {
  int64_t n = 0, in = 0, out = 0;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_KERNELS_SHAPES_H
