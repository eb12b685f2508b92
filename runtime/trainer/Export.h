//===- Export.h - a checkpoint's weights in another form of the model ------===//
#ifndef CARDINAL_RUNTIME_TRAINER_EXPORT_H
#define CARDINAL_RUNTIME_TRAINER_EXPORT_H

#include "runtime/trainer/CompiledModel.h"

#include <map>
#include <string>
#include <vector>

namespace cardinal::rt {

/// Parses the compact text form the C++ emitter writes: one line per
/// target, "target\tdim,dim,...\taxis\tsource:axis:start:size;...".
std::vector<FormEntry> parseFormMap(const char *text);

/// Writes the model's current parameters and BN statistics as the tensors
/// of form `form` ('a', 'b', 'c') to `path` (safetensors, atomically), using
/// the compiled-in parameter map. Pure copies: exact in both directions.
/// Throws std::runtime_error naming the problem.
void exportForm(CompiledModel &model, char form, const std::string &path,
                const std::map<std::string, std::string> &metadata);

} // namespace cardinal::rt

#endif
