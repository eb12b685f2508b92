//===- Zoo.h - built-in models, selectable by name ------------------------===//
#ifndef CARDINAL_MODELS_ZOO_H
#define CARDINAL_MODELS_ZOO_H

#include "frontend/DSL.h"

#include <functional>
#include <string>
#include <vector>

namespace cardinal::models {

struct ZooEntry {
  std::string name;
  std::string description;
  std::function<void(dsl::Graph &, const dsl::ModelOptions &)> build;
};

/// Every built-in model, in a stable order.
const std::vector<ZooEntry> &zoo();

/// The entry called `name`, or nullptr.
const ZooEntry *findModel(const std::string &name);

} // namespace cardinal::models

#endif // CARDINAL_MODELS_ZOO_H
