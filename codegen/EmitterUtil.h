//===- EmitterUtil.h - small printing helpers the C++ and CUDA emitters share //
//
// Names and literals as both generated trainers spell them, so a tensor is
// `t_<name>` and a float is `0.1f` in either file.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_CODEGEN_EMITTERUTIL_H
#define CARDINAL_CODEGEN_EMITTERUTIL_H

#include "passes/ParamMap.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace cardinal::codegen {

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
