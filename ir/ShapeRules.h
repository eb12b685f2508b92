//===- ShapeRules.h - result shapes of nn ops, in plain C++ --------------===//
//
// One function per op computes the result shape from operand shapes and
// attributes, or explains in `error` why the operands are invalid. The op
// verifiers, the ODS builders and the C++ DSL all use these, so a model gets
// the same diagnostic whether it is written in the DSL or in a .mlir file.
// No MLIR types here: the DSL's headers stay MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_IR_SHAPERULES_H
#define CARDINAL_IR_SHAPERULES_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cardinal::nn {

using Shape = std::vector<int64_t>;

std::string formatShape(const Shape &shape);

struct Conv2dAttrs {
  std::vector<int64_t> strides{1, 1}, padding{0, 0}, dilation{1, 1};
  int64_t groups = 1;
};

std::optional<Shape> conv2dShape(const Shape &input, const Shape &weight,
                                 const Shape *bias, const Conv2dAttrs &attrs,
                                 std::string &error);
std::optional<Shape> batchNormShape(const Shape &input, const Shape &scale,
                                    std::string &error);
std::optional<Shape> concatShape(const std::vector<Shape> &inputs, int64_t axis,
                                 std::string &error);
std::optional<Shape> sliceShape(const Shape &input, int64_t axis,
                                int64_t start, int64_t size,
                                std::string &error);
std::optional<Shape> maxPool2dShape(const Shape &input,
                                    const std::vector<int64_t> &kernel,
                                    const std::vector<int64_t> &strides,
                                    const std::vector<int64_t> &padding,
                                    std::string &error);
std::optional<Shape> globalAvgPoolShape(const Shape &input, std::string &error);
std::optional<Shape> linearShape(const Shape &input, const Shape &weight,
                                 const Shape *bias, std::string &error);
std::optional<Shape> softmaxCrossEntropyShape(const Shape &logits,
                                              const Shape &labels,
                                              std::string &error);
std::optional<Shape> sameShape(const Shape &lhs, const Shape &rhs,
                               const char *lhsName, const char *rhsName,
                               std::string &error);

/// Known initializers of nn.param / nn.state.
bool isParamInit(const std::string &init);
bool isStateInit(const std::string &init);

} // namespace cardinal::nn

#endif // CARDINAL_IR_SHAPERULES_H
