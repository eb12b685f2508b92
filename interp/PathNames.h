//===- PathNames.h - parameter names of an aggregate's paths --------------===//
//
// An nn.aggregate's template names its parameters once
// ("stage2.block0.conv1.weight"); path i owns "stage2.block0.path<i>.conv1.weight"
// (the index goes before the layer, the last component but one). The
// interpreter, the form lowerings and checkpoints all use this one rule;
// nested aggregates apply it once per level, outermost first.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_INTERP_PATHNAMES_H
#define CARDINAL_INTERP_PATHNAMES_H

#include <string>

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

} // namespace cardinal

#endif // CARDINAL_INTERP_PATHNAMES_H
