//===- PathNames.h - parameter names of an aggregate's paths --------------===//
//
// An nn.aggregate's template names its parameters once
// ("stage2.block0.conv1.weight"); path i owns "stage2.block0.path<i>.conv1.weight"
// (the index goes before the layer, the last component but one). The
// interpreter, the form lowerings and checkpoints all use this one rule;
// nested aggregates apply it once per level, outermost first.
// splitPathParamName inverts it.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_PATHNAMES_H
#define CARDINAL_INTERP_PATHNAMES_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cardinal {

inline std::string pathParamName(const std::string &name, int64_t path) {
  std::string tag = "path" + std::to_string(path);
  size_t leaf = name.rfind('.');
  if (leaf == std::string::npos)
    return tag + "." + name;
  size_t layer = name.rfind('.', leaf - 1);
  if (layer == std::string::npos || leaf == 0)
    return tag + "." + name;
  return name.substr(0, layer + 1) + tag + "." + name.substr(layer + 1);
}

/// The inverse: (N, k) with pathParamName(N, k) == name, taking the
/// innermost tag when there are several; nullopt for an untagged name.
inline std::optional<std::pair<std::string, int64_t>>
splitPathParamName(const std::string &name) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t dot = name.find('.', start);
    parts.push_back(name.substr(start, dot - start));
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  for (int j = static_cast<int>(parts.size()) - 1; j >= 0; --j) {
    const std::string &c = parts[j];
    if (c.size() <= 4 || c.compare(0, 4, "path") != 0)
      continue;
    std::string digits = c.substr(4);
    if (digits.find_first_not_of("0123456789") != std::string::npos ||
        (digits.size() > 1 && digits[0] == '0') || digits.size() > 18)
      continue;
    int64_t k = std::stoll(digits);
    std::string n;
    for (int i = 0; i < static_cast<int>(parts.size()); ++i)
      if (i != j)
        n += (n.empty() ? "" : ".") + parts[i];
    if (pathParamName(n, k) == name)
      return std::make_pair(n, k);
  }
  return std::nullopt;
}

} // namespace cardinal

#endif // CARDINAL_INTERP_PATHNAMES_H
