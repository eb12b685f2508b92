//===- EnvSwitch.h - on/off switches read from the environment -------------===//
//
// CUDA trainers have a few run-time switches that are not trainer flags
// because they select an implementation, not a result (CARDINAL_NCCL,
// CARDINAL_CUDA_GRAPHS). One parser, so they all read and fail alike.
// Plain C++ (tested without CUDA).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_ENVSWITCH_H
#define CARDINAL_RUNTIME_CUDA_ENVSWITCH_H

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {

/// Unset or empty: `byDefault`; "1": true; "0": false; anything else throws
/// std::runtime_error naming the variable, its value and `meaning` (what
/// "1" does).
inline bool envSwitch(const char *name, bool byDefault, const char *meaning) {
  const char *v = std::getenv(name);
  if (!v || !*v)
    return byDefault;
  if (std::strcmp(v, "1") == 0)
    return true;
  if (std::strcmp(v, "0") == 0)
    return false;
  throw std::runtime_error(std::string(name) + "='" + v + "': expected 1 (" +
                           meaning + ") or 0");
}

} // namespace cardinal::rt::cuda

#endif // CARDINAL_RUNTIME_CUDA_ENVSWITCH_H
