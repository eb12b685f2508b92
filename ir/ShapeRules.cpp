//===- ShapeRules.cpp - result shapes of nn ops ---------------------------===//
#include "ir/ShapeRules.h"

#include <sstream>

namespace cardinal::nn {

std::string formatShape(const Shape &shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

namespace {

// Builds an error message from streamable pieces and returns nullopt.
template <typename... Ts>
std::optional<Shape> fail(std::string &error, const Ts &...parts) {
  std::ostringstream os;
  (os << ... << parts);
  error = os.str();
  return std::nullopt;
}

bool checkRank(const Shape &s, size_t rank, const char *operand,
               const char *layout, std::string &error) {
  if (s.size() == rank)
    return true;
  fail(error, "operand '", operand, "' must be ", rank, "-D ", layout,
       ", got shape ", formatShape(s));
  return false;
}

bool checkPair(const std::vector<int64_t> &v, const char *attr, int64_t min,
               std::string &error) {
  if (v.size() != 2) {
    fail(error, "attribute '", attr, "' must have 2 entries (H, W), got ",
         v.size());
    return false;
  }
  for (size_t i = 0; i < 2; ++i)
    if (v[i] < min) {
      fail(error, "attribute '", attr, "' entry ", i, " (", i ? "W" : "H",
           ") must be >= ", min, ", got ", v[i]);
      return false;
    }
  return true;
}

// Output extent of a sliding window; <= 0 means the window does not fit.
int64_t windowExtent(int64_t in, int64_t k, int64_t pad, int64_t stride,
                     int64_t dilation) {
  int64_t span = dilation * (k - 1) + 1;
  int64_t padded = in + 2 * pad - span;
  if (padded < 0)
    return 0;
  return padded / stride + 1;
}

} // namespace

std::optional<Shape> conv2dShape(const Shape &input, const Shape &weight,
                                 const Shape *bias, const Conv2dAttrs &a,
                                 std::string &error) {
  if (!checkRank(input, 4, "input", "NCHW", error) ||
      !checkRank(weight, 4, "weight", "OIHW", error) ||
      !checkPair(a.strides, "strides", 1, error) ||
      !checkPair(a.padding, "padding", 0, error) ||
      !checkPair(a.dilation, "dilation", 1, error))
    return std::nullopt;
  if (a.groups < 1)
    return fail(error, "attribute 'groups' must be >= 1, got ", a.groups);
  if (input[1] != weight[1] * a.groups)
    return fail(error, "input channels (dim 1 of 'input' = ", input[1],
                ") must equal dim 1 of 'weight' (", weight[1],
                ") x groups (", a.groups, ") = ", weight[1] * a.groups);
  if (weight[0] % a.groups != 0)
    return fail(error, "output channels (dim 0 of 'weight' = ", weight[0],
                ") must be divisible by groups (", a.groups, ")");
  if (bias && *bias != Shape{weight[0]})
    return fail(error, "operand 'bias' must have shape [", weight[0],
                "] (dim 0 of 'weight'), got ", formatShape(*bias));
  Shape out{input[0], weight[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    out[2 + i] = windowExtent(input[2 + i], weight[2 + i], a.padding[i],
                              a.strides[i], a.dilation[i]);
    if (out[2 + i] <= 0)
      return fail(error, "output ", i ? "width" : "height",
                  " would be empty: input ", input[2 + i], ", kernel ",
                  weight[2 + i], ", pad ", a.padding[i], ", dilation ",
                  a.dilation[i]);
  }
  return out;
}

std::optional<Shape> batchNormShape(const Shape &input, const Shape &scale,
                                    std::string &error) {
  if (input.size() != 2 && input.size() != 4)
    return fail(error, "operand 'input' must be NxC or NxCxHxW, got shape ",
                formatShape(input));
  if (scale.size() != 1)
    return fail(error, "operand 'scale' must be 1-D [C], got shape ",
                formatShape(scale));
  if (scale[0] != input[1])
    return fail(error, "operand 'scale' has ", scale[0],
                " channels but dim 1 of 'input' has ", input[1]);
  return input;
}

std::optional<Shape> concatShape(const std::vector<Shape> &inputs,
                                 int64_t axis, std::string &error) {
  if (inputs.empty())
    return fail(error, "needs at least one operand");
  const Shape &first = inputs[0];
  if (axis < 0 || axis >= (int64_t)first.size())
    return fail(error, "attribute 'axis' (", axis, ") is out of range for rank ",
                first.size());
  Shape out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape &s = inputs[i];
    if (s.size() != first.size())
      return fail(error, "operand #", i, " has rank ", s.size(),
                  " but operand #0 has rank ", first.size());
    for (size_t d = 0; d < s.size(); ++d)
      if ((int64_t)d != axis && s[d] != first[d])
        return fail(error, "operand #", i, " dim ", d, " is ", s[d],
                    " but operand #0 dim ", d, " is ", first[d],
                    " (only the concatenation axis ", axis, " may differ)");
    out[axis] += s[axis];
  }
  return out;
}

std::optional<Shape> sliceShape(const Shape &input, int64_t axis,
                                int64_t start, int64_t size,
                                std::string &error) {
  if (axis < 0 || axis >= (int64_t)input.size())
    return fail(error, "attribute 'axis' (", axis, ") is out of range for rank ",
                input.size());
  // `size > extent - start`, not `start + size > extent`: the sum can
  // overflow for huge attributes and would then wrap to an accepted range.
  if (start < 0 || size < 1 || start > input[axis] ||
      size > input[axis] - start) {
    int64_t end;
    if (__builtin_add_overflow(start, size, &end))
      return fail(error, "range [", start, ", ", start, " + ", size,
                  ") is outside dim ", axis, " of 'input' (size ", input[axis],
                  ")");
    return fail(error, "range [", start, ", ", end, ") is outside dim ", axis,
                " of 'input' (size ", input[axis], ")");
  }
  Shape out = input;
  out[axis] = size;
  return out;
}

std::optional<Shape> maxPool2dShape(const Shape &input,
                                    const std::vector<int64_t> &kernel,
                                    const std::vector<int64_t> &strides,
                                    const std::vector<int64_t> &padding,
                                    std::string &error) {
  if (!checkRank(input, 4, "input", "NCHW", error) ||
      !checkPair(kernel, "kernel", 1, error) ||
      !checkPair(strides, "strides", 1, error) ||
      !checkPair(padding, "padding", 0, error))
    return std::nullopt;
  Shape out{input[0], input[1], 0, 0};
  for (int i = 0; i < 2; ++i) {
    if (padding[i] * 2 > kernel[i])
      return fail(error, "padding (", padding[i],
                  ") must be at most half the kernel (", kernel[i], ")");
    out[2 + i] = windowExtent(input[2 + i], kernel[i], padding[i], strides[i], 1);
    if (out[2 + i] <= 0)
      return fail(error, "output ", i ? "width" : "height",
                  " would be empty: input ", input[2 + i], ", kernel ",
                  kernel[i], ", pad ", padding[i]);
  }
  return out;
}

std::optional<Shape> globalAvgPoolShape(const Shape &input,
                                        std::string &error) {
  if (!checkRank(input, 4, "input", "NCHW", error))
    return std::nullopt;
  return Shape{input[0], input[1]};
}

std::optional<Shape> linearShape(const Shape &input, const Shape &weight,
                                 const Shape *bias, std::string &error) {
  if (!checkRank(input, 2, "input", "NxI", error) ||
      !checkRank(weight, 2, "weight", "OxI", error))
    return std::nullopt;
  if (input[1] != weight[1])
    return fail(error, "input features (dim 1 of 'input' = ", input[1],
                ") must equal dim 1 of 'weight' (", weight[1], ")");
  if (bias && *bias != Shape{weight[0]})
    return fail(error, "operand 'bias' must have shape [", weight[0],
                "] (dim 0 of 'weight'), got ", formatShape(*bias));
  return Shape{input[0], weight[0]};
}

std::optional<Shape> softmaxCrossEntropyShape(const Shape &logits,
                                              const Shape &labels,
                                              std::string &error) {
  if (!checkRank(logits, 2, "logits", "NxK", error) ||
      !checkRank(labels, 1, "labels", "[N]", error))
    return std::nullopt;
  if (labels[0] != logits[0])
    return fail(error, "operand 'labels' has ", labels[0],
                " entries but dim 0 of 'logits' (the batch) is ", logits[0]);
  return Shape{};
}

std::optional<Shape> sameShape(const Shape &lhs, const Shape &rhs,
                               const char *lhsName, const char *rhsName,
                               std::string &error) {
  if (lhs != rhs)
    return fail(error, "operand '", lhsName, "' has shape ", formatShape(lhs),
                " but '", rhsName, "' has shape ", formatShape(rhs));
  return lhs;
}

bool isParamInit(const std::string &init) {
  return init == "he_normal" || init == "linear_uniform" || init == "ones" ||
         init == "zeros";
}

bool isStateInit(const std::string &init) {
  return init == "ones" || init == "zeros";
}

} // namespace cardinal::nn
