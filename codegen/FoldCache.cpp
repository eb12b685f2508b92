//===- FoldCache.cpp - predict()'s BN-folded weights, folded once ----------===//
#include "codegen/FoldCache.h"

#include <fmt/format.h>

namespace cardinal::codegen {

namespace {
/// A float literal that round-trips (as the emitter spells eps).
std::string floatLiteral(double v) { return fmt::format("{:.9g}f", v); }
} // namespace

std::string FoldCache::call(const KernelCall &c, const std::string &shape,
                            const std::vector<std::string> &p) {
  // Inputs: x, w, scale, shift, running mean, running var[, residual];
  // then the output.
  const int64_t weights = c.inputs[1].elements(), channels = c.inputs[2].elements();
  const std::string w = fmt::format("folded_.data() + {}", floats_);
  const std::string b = fmt::format("folded_.data() + {}", floats_ + weights);
  folds_.push_back(fmt::format(
      "    foldBatchNorm<float>({}, {}, {}, {}, {}, {}, {}, {}, {});\n", shape,
      p[1], p[2], p[3], p[4], p[5], floatLiteral(c.reals.at("eps")), w, b));
  // Each block starts on a 64-byte line.
  floats_ += (weights + channels + 15) / 16 * 16;
  const bool residual = c.ints.at("residual") != 0;
  return fmt::format(
      "    conv2dBiasActForward<float>({}, {}, {}, {}, {}, {}, {});\n", shape,
      p[0], w, b, residual ? p[6] : "nullptr",
      c.ints.at("relu") ? "true" : "false", p.back());
}

std::string FoldCache::members() const {
  std::string s = fmt::format(
      "  // BN folded into predict()'s convs, once per weight version.\n"
      "  std::vector<float> folded_ = std::vector<float>({});\n"
      "  bool foldedValid_ = false;\n"
      "  void foldWeights_() {{\n",
      floats_);
  for (const std::string &f : folds_)
    s += f;
  return s + "    foldedValid_ = true;\n  }\n";
}

} // namespace cardinal::codegen
