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
/// gradients()) is final once call readyAfter[k] has run: the last call
/// before the updates that writes or reads it (a BN-parameter gradient may
/// be read after it is written: nn.bn_relu_apply_grad_input). The multimap
/// from a call's index to the gradients it leaves final, for data
/// parallelism that reduces a gradient, in place, while backward goes on.
inline std::multimap<int64_t, int64_t> gradientsReadyAfter(const KernelPlan &plan) {
  size_t firstUpdate = 0;
  while (firstUpdate < plan.calls.size() &&
         plan.calls[firstUpdate].kernel != "sgd_update")
    ++firstUpdate;
  // Gradients live in the arena from their producer to the updates, so a
  // call whose buffer overlaps one in that span accesses that gradient
  // (extents taken at 4 bytes an element: the plan's, or more).
  auto overlaps = [](const Buffer &a, const Buffer &b) {
    if (a.kind != b.kind)
      return false;
    if (a.kind != Buffer::Kind::Arena)
      return a.name == b.name;
    return a.offset < b.offset + 4 * b.elements() &&
           b.offset < a.offset + 4 * a.elements();
  };
  std::multimap<int64_t, int64_t> readyAfter;
  int64_t gradIndex = 0;
  for (const KernelCall &c : plan.calls) {
    if (c.kernel != "sgd_update")
      continue;
    int64_t ready = c.ints.at("grad_producer");
    const Buffer &grad = c.inputs[1];
    for (size_t i = ready < 0 ? firstUpdate : size_t(ready) + 1;
         i < firstUpdate; ++i)
      for (const auto *list : {&plan.calls[i].inputs, &plan.calls[i].outputs})
        for (const Buffer &b : *list)
          if (overlaps(b, grad))
            ready = static_cast<int64_t>(i);
    readyAfter.emplace(ready, gradIndex++);
  }
  return readyAfter;
}

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

/// What a profile calls a kernel call: the location name of the op it came
/// from (`loc("stage2.block0.conv1")`), for an update its parameter, else
/// the origin as it is.
inline std::string callLabel(const KernelCall &c) {
  if (c.kernel == "sgd_update" && !c.inputs.empty() && !c.inputs[0].name.empty())
    return c.inputs[0].name;
  const size_t at = c.origin.find("loc(\"");
  if (at != std::string::npos) {
    const size_t begin = at + 5, end = c.origin.find('"', begin);
    if (end != std::string::npos)
      return c.origin.substr(begin, end - begin);
  }
  return c.origin;
}

/// `text` as a C string literal's contents.
inline std::string escapeC(const std::string &text) {
  std::string out;
  for (char ch : text) {
    if (ch == '"' || ch == '\\')
      out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

/// `trainCalls()`, the step's (kernel, label) table `trainer bench
/// --profile` names the calls by (runtime/trainer/StepTimer.h), index i
/// being the `mark(i)` the step emits before call i.
inline std::string trainCallTable(const KernelPlan &plan) {
  std::string s = "// The training step's kernel calls, for `trainer bench "
                  "--profile`.\nconst std::vector<CallName> &trainCalls() {\n"
                  "  static const std::vector<CallName> calls = {\n";
  for (const KernelCall &c : plan.calls)
    s += fmt::format("      {{\"{}\", \"{}\"}},\n", escapeC(c.kernel),
                     escapeC(callLabel(c)));
  return s + "  };\n  return calls;\n}\n\n";
}

} // namespace cardinal::codegen

#endif // CARDINAL_CODEGEN_EMITTERUTIL_H
