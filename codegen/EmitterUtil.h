//===- EmitterUtil.h - small printing helpers the C++ and CUDA emitters share //
//
// Names and literals as both generated trainers spell them, so a tensor is
// `t_<name>` and a float is `0.1f` in either file.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_CODEGEN_EMITTERUTIL_H
#define CARDINAL_CODEGEN_EMITTERUTIL_H

#include "codegen/KernelPlan.h"
#include "passes/ParamMap.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cardinal::codegen {

/// Gradient k (the order of the plan's sgd_update calls, i.e. of
/// gradients()) is final once call readyAfter[k] has run: the multimap from
/// a call's index to the gradients it finishes, for data parallelism that
/// starts reducing a gradient while backward goes on.
inline std::multimap<int64_t, int64_t> gradientsReadyAfter(const KernelPlan &plan) {
  std::multimap<int64_t, int64_t> readyAfter;
  int64_t gradIndex = 0;
  for (const KernelCall &c : plan.calls)
    if (c.kernel == "sgd_update")
      readyAfter.emplace(c.ints.at("grad_producer"), gradIndex++);
  return readyAfter;
}

/// C++ identifier for a persistent tensor: t_<sanitized name>.
inline std::string member(const std::string &name) {
  std::string id = "t_";
  for (char c : name)
    id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return id;
}

/// A float literal that round-trips (9 significant digits).
inline std::string floatLit(double v) { return fmt::format("{:.9g}f", v); }

/// `{2, 3}`: a shape as a brace initializer.
inline std::string shapeList(const std::vector<int64_t> &s) {
  std::string out = "{";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "}";
}

/// An ActShape literal (runtime/kernels/Shapes.h); rank-2 [N, C] gets h = w = 1.
inline std::string actShape(const std::vector<int64_t> &s) {
  int64_t h = s.size() > 2 ? s[2] : 1, w = s.size() > 3 ? s[3] : 1;
  return fmt::format("ActShape{{{}, {}, {}, {}}}", s[0], s[1], h, w);
}

/// A ConvShape literal, fields in declaration order (runtime/kernels/Shapes.h),
/// from the input, weight and output shapes and the call's conv attributes.
inline std::string convShape(const std::vector<int64_t> &in,
                             const std::vector<int64_t> &weight,
                             const std::vector<int64_t> &out,
                             const KernelCall &c) {
  return fmt::format(
      "ConvShape{{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
      "{}}}",
      in[0], in[1], in[2], in[3], weight[0], weight[2], weight[3],
      c.ints.at("stride_h"), c.ints.at("stride_w"), c.ints.at("pad_h"),
      c.ints.at("pad_w"), c.ints.at("dilation_h"), c.ints.at("dilation_w"),
      c.ints.at("groups"), out[2], out[3]);
}

/// The model's accessors both emitters print: name, batch, one sample's
/// C/H/W, classes and the step's arena bytes.
inline std::string shapeAccessors(const std::string &model,
                                  const std::vector<int64_t> &image,
                                  int64_t classes, int64_t arenaBytes) {
  return fmt::format(
      "  std::string name() const override {{ return \"{}\"; }}\n"
      "  int64_t batch() const override {{ return {}; }}\n"
      "  int64_t channels() const override {{ return {}; }}\n"
      "  int64_t height() const override {{ return {}; }}\n"
      "  int64_t width() const override {{ return {}; }}\n"
      "  int64_t classes() const override {{ return {}; }}\n"
      "  int64_t arenaBytes() const override {{ return {}; }}\n",
      model, image[0], image[1], image[2], image[3], classes, arenaBytes);
}

/// The map as one C string literal, a line per target (see
/// runtime/trainer/Export.h): compiles fast even with thousands of entries.
inline std::string formMapLiteral(const ParamMap &m) {
  std::string text;
  for (const ParamMapEntry &e : m.entries) {
    std::string line = e.target + "\\t";
    for (size_t i = 0; i < e.shape.size(); ++i)
      line += (i ? "," : "") + std::to_string(e.shape[i]);
    line += "\\t" + std::to_string(e.axis) + "\\t";
    for (size_t i = 0; i < e.pieces.size(); ++i) {
      const Piece &p = e.pieces[i];
      line += fmt::format("{}{}:{}:{}:{}", i ? ";" : "", p.source, p.axis,
                          p.start, p.size);
    }
    text += "    \"" + line + "\\n\"\n";
  }
  return text.empty() ? "    \"\"\n" : text;
}

} // namespace cardinal::codegen

#endif // CARDINAL_CODEGEN_EMITTERUTIL_H
