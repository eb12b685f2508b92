//===- DataSource.cpp - the --data flag ------------------------------------===//

#include "runtime/trainer/DataSource.h"

#include "runtime/data/Cifar.h"
#include "runtime/data/Digits.h"
#include "runtime/data/ImageStream.h"
#include "runtime/data/Synthetic.h"
#include "runtime/trainer/CompiledModel.h"

#include <cstdio>
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

void requireJpegInput(const CompiledModel &model, const std::string &where) {
  if (model.channels() != 3 || model.height() != model.width())
    throw std::runtime_error(
        where + " yields RGB images of S x S pixels but model '" +
        model.name() + "' expects " +
        shapeText(model.channels(), model.height(), model.width()) +
        " (CxHxW); build it with 3 channels and a square --image size");
}

void requireFolderClasses(const DataSpec &spec, const CompiledModel &model,
                          int64_t classes) {
  if (classes != model.classes())
    throw std::runtime_error("data '" + spec.text + "' has " +
                             std::to_string(classes) + " class folders in " +
                             spec.path + "/train but model '" + model.name() +
                             "' has " + std::to_string(model.classes()) +
                             " classes");
}

namespace {

/// Scans DIR and checks the folder fits the model: 3 channels, square
/// input, one class per train class folder, non-empty splits.
std::shared_ptr<const ImageFolderIndex>
openImageFolder(const DataSpec &spec, const CompiledModel &model,
                bool announce) {
  const std::string where = "data '" + spec.text + "'";
  requireJpegInput(model, where);
  auto index = std::make_shared<ImageFolderIndex>(scanImageFolder(spec.path));
  requireFolderClasses(spec, model,
                       static_cast<int64_t>(index->classes.size()));
  if (index->val.empty())
    throw std::runtime_error(where + ": " + spec.path +
                             "/val has no .jpg/.jpeg files");
  if (announce) {
    std::printf("data %s: %zu train, %zu val images; %s\n",
                spec.text.c_str(), index->train.size(), index->val.size(),
                describeClasses(*index).c_str());
    std::fflush(stdout);
  }
  return index;
}

ImageStreamOptions streamOptions(const DataSpec &spec, int64_t side,
                                 int64_t batch) {
  ImageStreamOptions o;
  o.batchSize = batch;
  o.imageSize = static_cast<int>(side);
  o.threads = spec.decodeThreads;
  return o;
}

} // namespace

int64_t OpenedData::trainSize() const {
  return folder ? static_cast<int64_t>(folder->train.size())
                : memory->train.size();
}

int64_t OpenedData::testSize() const {
  return folder ? static_cast<int64_t>(folder->val.size())
                : memory->test.size();
}

std::unique_ptr<BatchSource>
OpenedData::trainSource(const BatcherOptions &options) const {
  if (!folder)
    return std::make_unique<DatasetBatchSource>(
        std::shared_ptr<const Dataset>(memory, &memory->train), options);
  ImageStreamOptions o = streamOptions(spec, imageSide, options.batchSize);
  o.shuffle = options.shuffle;
  o.dropLast = options.dropLast;
  o.seed = options.seed;
  o.rank = options.rank;
  o.worldSize = options.worldSize;
  o.train = true;
  return std::make_unique<ImageFolderStream>(folder->train, o);
}

std::unique_ptr<BatchSource>
OpenedData::testSource(int64_t batch, int rank, int worldSize) const {
  if (!folder) {
    BatcherOptions o;
    o.batchSize = batch;
    o.shuffle = false;
    o.rank = rank;
    o.worldSize = worldSize;
    return std::make_unique<DatasetBatchSource>(
        std::shared_ptr<const Dataset>(memory, &memory->test), o);
  }
  ImageStreamOptions o = streamOptions(spec, imageSide, batch);
  o.shuffle = false;
  o.train = false;
  o.rank = rank;
  o.worldSize = worldSize;
  return std::make_unique<ImageFolderStream>(folder->val, o);
}

OpenedData openData(const DataSpec &spec, const CompiledModel &model,
                    bool announce) {
  OpenedData d;
  d.spec = spec;
  if (spec.kind == DataSpec::Kind::ImageNet) {
    d.folder = openImageFolder(spec, model, announce);
    d.imageSide = model.height();
  } else {
    d.memory = std::make_shared<const DataSplit>(loadData(spec, model));
  }
  return d;
}

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
  } else if (kind == "imagenet") {
    s.kind = DataSpec::Kind::ImageNet;
    if (arg.empty()) {
      error = "--data imagenet needs a directory: --data imagenet:DIR "
              "(DIR/train/<class>/*.jpg, DIR/val/<class>/*.jpg)";
      return false;
    }
    s.path = arg;
  } else {
    error = "unknown --data '" + text +
            "' (expected digits, digits:FILE, synthetic, synthetic:N, "
            "cifar:DIR or imagenet:DIR)";
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
  case DataSpec::Kind::ImageNet:
    throw std::runtime_error("data '" + spec.text +
                             "' is decoded while training, not loaded: "
                             "use openData");
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
