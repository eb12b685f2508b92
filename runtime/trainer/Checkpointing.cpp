//===- Checkpointing.cpp - last.safetensors: model tensors + run state -----===//

#include "runtime/trainer/Checkpointing.h"

#include "runtime/checkpoint/SafeTensors.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace cardinal::rt {
namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string realText(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v); // round-trips a double
  return buf;
}

std::string rngText(const std::array<uint64_t, 4> &s) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 ",%016" PRIx64 ",%016" PRIx64
                                 ",%016" PRIx64,
                s[0], s[1], s[2], s[3]);
  return buf;
}

/// Reads metadata values, naming the file and key in errors.
class MetaReader {
public:
  MetaReader(const SafeTensorsFile &f) : f_(f) {}

  const std::string &text(const char *key) const {
    auto it = f_.metadata.find(key);
    if (it == f_.metadata.end())
      fail(key, "is missing");
    return it->second;
  }
  int64_t integer(const char *key) const {
    const std::string &v = text(key);
    errno = 0;
    char *end = nullptr;
    const long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno)
      fail(key, "'" + v + "' is not an integer");
    return x;
  }
  uint64_t unsignedInt(const char *key) const {
    const std::string &v = text(key);
    errno = 0;
    char *end = nullptr;
    const unsigned long long x = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || v[0] == '-' || *end || errno)
      fail(key, "'" + v + "' is not an unsigned integer");
    return x;
  }
  double real(const char *key) const {
    const std::string &v = text(key);
    char *end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end)
      fail(key, "'" + v + "' is not a number");
    return x;
  }
  std::array<uint64_t, 4> rng(const char *key) const {
    const std::string &v = text(key);
    std::array<uint64_t, 4> s{};
    const char *p = v.c_str();
    for (int i = 0; i < 4; ++i) {
      char *end = nullptr;
      errno = 0;
      s[i] = std::strtoull(p, &end, 16);
      if (end == p || errno || *end != (i < 3 ? ',' : '\0'))
        fail(key, "'" + v + "' is not four hex words");
      p = end + 1;
    }
    return s;
  }
  [[noreturn]] void fail(const char *key, const std::string &problem) const {
    throw std::runtime_error(f_.path + ": metadata \"" + key + "\" " +
                             problem);
  }

private:
  const SafeTensorsFile &f_;
};

} // namespace

void saveCheckpoint(const std::string &path, CompiledModel &model,
                    const CheckpointInfo &info) {
  model.syncTensorsToHost();
  std::vector<TensorRecord> records;
  for (const NamedTensor &t : model.tensors()) {
    TensorRecord r;
    r.name = t.name;
    r.dtype = "F32";
    r.shape = t.shape;
    r.bytes.resize(static_cast<size_t>(t.size()) * sizeof(float));
    if (!r.bytes.empty())
      std::memcpy(r.bytes.data(), t.data, r.bytes.size());
    records.push_back(std::move(r));
  }
  const std::map<std::string, std::string> meta = {
      {"format", kCheckpointFormat},
      {"format_version", std::to_string(kCheckpointFormatVersion)},
      {"model", info.model},
      {"epoch", std::to_string(info.epoch)},
      {"epochs", std::to_string(info.epochs)},
      {"seed", std::to_string(info.seed)},
      {"rng_state", rngText(info.rng)},
      {"schedule", info.schedule},
      {"warmup", std::to_string(info.warmup)},
      {"lr", realText(info.lr)},
      {"momentum", realText(info.momentum)},
      {"weight_decay", realText(info.weightDecay)},
      {"batch", std::to_string(info.batch)},
      {"data", info.data},
  };
  writeSafeTensors(path, records, meta);
}

CheckpointInfo loadCheckpoint(const std::string &path, CompiledModel &model) {
  const SafeTensorsFile file = readSafeTensors(path);
  auto fail = [&](const std::string &problem) {
    throw std::runtime_error(path + ": " + problem);
  };

  const MetaReader meta(file);
  if (meta.text("format") != kCheckpointFormat)
    meta.fail("format", "is '" + meta.text("format") + "', expected '" +
                            kCheckpointFormat + "'");
  if (meta.integer("format_version") != kCheckpointFormatVersion)
    meta.fail("format_version",
              "is " + meta.text("format_version") + ", this trainer reads " +
                  std::to_string(kCheckpointFormatVersion));
  CheckpointInfo info;
  info.model = meta.text("model");
  info.epoch = meta.integer("epoch");
  info.epochs = meta.integer("epochs");
  info.seed = meta.unsignedInt("seed");
  info.rng = meta.rng("rng_state");
  info.schedule = meta.text("schedule");
  info.warmup = meta.integer("warmup");
  info.lr = meta.real("lr");
  info.momentum = meta.real("momentum");
  info.weightDecay = meta.real("weight_decay");
  info.batch = meta.integer("batch");
  info.data = meta.text("data");
  if (info.epoch < 0)
    meta.fail("epoch", "is negative");

  // Validate everything before touching the model.
  std::vector<NamedTensor> &tensors = model.tensors();
  std::vector<const TensorRecord *> sources;
  for (const NamedTensor &t : tensors) {
    const TensorRecord *r = file.find(t.name);
    if (!r)
      fail("missing tensor '" + t.name + "' (model '" + model.name() + "')");
    if (r->dtype != "F32")
      fail("tensor '" + t.name + "' has dtype " + r->dtype + ", expected F32");
    if (r->shape != t.shape)
      fail("tensor '" + t.name + "' has shape " + shapeText(r->shape) +
           ", model '" + model.name() + "' expects " + shapeText(t.shape));
    sources.push_back(r);
  }
  std::set<std::string> names;
  for (const NamedTensor &t : tensors)
    names.insert(t.name);
  for (const TensorRecord &r : file.tensors)
    if (!names.count(r.name))
      fail("unexpected tensor '" + r.name + "' (not in model '" +
           model.name() + "')");
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!sources[i]->bytes.empty())
      std::memcpy(tensors[i].data, sources[i]->bytes.data(),
                  sources[i]->bytes.size());
  model.tensorsWritten();
  return info;
}

} // namespace cardinal::rt
