//===- DataSource.cpp - the --data flag ------------------------------------===//

#include "runtime/trainer/DataSource.h"

#include "runtime/data/Cifar.h"
#include "runtime/data/Digits.h"
#include "runtime/data/Synthetic.h"
#include "runtime/trainer/CompiledModel.h"

#include <cstdlib>
#include <stdexcept>

namespace cardinal::rt {
namespace {

std::string shapeText(int64_t c, int64_t h, int64_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

void checkFits(const DataSplit &split, const DataSpec &spec,
               const CompiledModel &model) {
  const Dataset &d = split.train;
  const std::string where = "data '" + spec.text + "'";
  if (d.channels != model.channels() || d.height != model.height() ||
      d.width != model.width())
    throw std::runtime_error(
        where + " has images of shape " +
        shapeText(d.channels, d.height, d.width) + " (CxHxW) but model '" +
        model.name() + "' expects " +
        shapeText(model.channels(), model.height(), model.width()));
  if (d.classes != model.classes())
    throw std::runtime_error(where + " has " + std::to_string(d.classes) +
                             " classes but model '" + model.name() +
                             "' has " + std::to_string(model.classes()));
  if (split.train.size() == 0 || split.test.size() == 0)
    throw std::runtime_error(where + " has an empty train or test split");
}

} // namespace

bool parseDataSpec(const std::string &text, DataSpec &out,
                   std::string &error) {
  DataSpec s;
  s.text = text;
  const size_t colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  const std::string arg =
      colon == std::string::npos ? std::string() : text.substr(colon + 1);
  const bool hasArg = colon != std::string::npos;
  if (kind == "digits") {
    s.kind = DataSpec::Kind::Digits;
    s.path = arg;
  } else if (kind == "synthetic") {
    s.kind = DataSpec::Kind::Synthetic;
    if (hasArg) {
      char *end = nullptr;
      const long long n = std::strtoll(arg.c_str(), &end, 10);
      if (arg.empty() || *end || n < 1) {
        error = "--data " + text + ": the sample count must be an integer >= 1";
        return false;
      }
      s.samples = n;
    }
  } else if (kind == "cifar") {
    s.kind = DataSpec::Kind::Cifar;
    if (arg.empty()) {
      error = "--data cifar needs a directory: --data cifar:DIR";
      return false;
    }
    s.path = arg;
  } else {
    error = "unknown --data '" + text +
            "' (expected digits, digits:FILE, synthetic, synthetic:N or "
            "cifar:DIR)";
    return false;
  }
  if (hasArg && s.kind == DataSpec::Kind::Digits && arg.empty()) {
    error = "--data digits: needs a file after the colon";
    return false;
  }
  out = s;
  return true;
}

DataSplit loadData(const DataSpec &spec, const CompiledModel &model) {
  DataSplit split;
  switch (spec.kind) {
  case DataSpec::Kind::Digits:
    split = loadDigits(spec.path.empty() ? defaultDigitsPath() : spec.path, 0);
    break;
  case DataSpec::Kind::Synthetic:
    split = makeSynthetic(spec.samples, model.channels(), model.height(),
                          model.width(), model.classes(), 0);
    break;
  case DataSpec::Kind::Cifar:
    split = loadCifar(spec.path);
    break;
  }
  checkFits(split, spec, model);
  return split;
}

Augment augmentationFor(const DataSpec &spec) {
  Augment a;
  if (spec.kind == DataSpec::Kind::Cifar) {
    a.pad = 4;
    a.flip = true;
  }
  return a;
}

} // namespace cardinal::rt
