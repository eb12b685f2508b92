//===- oracle_main.cpp - harness for the PyTorch end-to-end oracle ---------===//
//
// Linked with a `cardinal build --emit=cpp` file (which defines
// createCompiledModel()), without libCardinalTrainerMain.a:
//
//   cardinal-e2e-oracle IN.safetensors OUT.safetensors
//
// IN holds every tensor of tensors() by its name (parameters, BN running
// statistics, momentum buffers), the batch as "input.images" (F32, NCHW) and
// "input.labels" (I32), and metadata "lr", "momentum", "weight_decay" and
// "steps". The harness sets every tensor, runs `steps` trainStep calls on the
// same batch and writes OUT:
//   "loss"            F64 [steps]   the loss each step reported
//   "grad.<param>"    F32           gradients() right after step 1
//   "grad_step<k>.<param>"          the same after step k >= 2 (diagnostics:
//                                   where a later step first goes wrong)
//   "final.<tensor>"  F32           every tensor of tensors() after the last step
//   "predict.logits"  F32 [N, K]    predict() on the batch after the last step
// Any name or shape disagreement between IN and the model is an error
// (exit 2) that lists the offending names: the Python oracle relies on it to
// catch an architecture mismatch.
//
// tests/e2e/torch_oracle.py writes IN, runs this and compares OUT.
//
//   cardinal-e2e-oracle --write-input SEED IN.safetensors
//
// writes an IN for this model itself: tensors as the trainer initializes
// them from SEED (momentum buffers zero), a normal random batch, labels
// i mod classes, lr 0.1, momentum 0.9, weight decay 5e-4, 3 steps. The GPU
// check (bench/gpu_check.sh) runs the same IN through the CPU and the CUDA
// builds of one model and compares their OUTs (bench/gpu/compare_step.py).
//
//===----------------------------------------------------------------------===//
#include "runtime/Random.h"
#include "runtime/checkpoint/SafeTensors.h"
#include "runtime/trainer/CompiledModel.h"
#include "runtime/trainer/Init.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cardinal::rt;

namespace {

std::string shapeText(const std::vector<int64_t> &s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

double metaNumber(const SafeTensorsFile &f, const std::string &key) {
  auto it = f.metadata.find(key);
  if (it == f.metadata.end())
    throw std::runtime_error(f.path + ": metadata \"" + key + "\" is missing");
  size_t used = 0;
  double v = std::stod(it->second, &used);
  if (used != it->second.size())
    throw std::runtime_error(f.path + ": metadata \"" + key +
                             "\" is not a number: " + it->second);
  return v;
}

TensorRecord copyOut(const std::string &name, const NamedTensor &t) {
  return tensorF32(name, t.shape,
                   std::vector<float>(t.data, t.data + t.size()));
}

int run(const std::string &inPath, const std::string &outPath) {
  SafeTensorsFile in = readSafeTensors(inPath);
  std::unique_ptr<CompiledModel> model = createCompiledModel();

  StepHyper hyper;
  hyper.lr = static_cast<float>(metaNumber(in, "lr"));
  hyper.momentum = static_cast<float>(metaNumber(in, "momentum"));
  hyper.weightDecay = static_cast<float>(metaNumber(in, "weight_decay"));
  const int steps = static_cast<int>(metaNumber(in, "steps"));
  if (steps < 1)
    throw std::runtime_error("steps must be >= 1");

  // The batch.
  const std::vector<int64_t> imageShape = {model->batch(), model->channels(),
                                           model->height(), model->width()};
  const TensorRecord &imagesRec = in.at("input.images");
  const TensorRecord &labelsRec = in.at("input.labels");
  if (imagesRec.shape != imageShape)
    throw std::runtime_error("input.images has shape " +
                             shapeText(imagesRec.shape) + ", the model wants " +
                             shapeText(imageShape));
  if (labelsRec.shape != std::vector<int64_t>{model->batch()})
    throw std::runtime_error("input.labels has shape " +
                             shapeText(labelsRec.shape) + ", the model wants [" +
                             std::to_string(model->batch()) + "]");
  std::vector<float> images = asF32(imagesRec);
  std::vector<int32_t> labels = asI32(labelsRec);
  for (int32_t l : labels)
    if (l < 0 || l >= model->classes())
      throw std::runtime_error("label " + std::to_string(l) +
                               " out of range [0, " +
                               std::to_string(model->classes()) + ")");

  // Every model tensor must be given, with its shape; nothing else may be.
  std::vector<std::string> problems;
  std::set<std::string> used = {"input.images", "input.labels"};
  for (NamedTensor &t : model->tensors()) {
    const TensorRecord *r = in.find(t.name);
    if (!r) {
      problems.push_back("missing from the input: " + t.name + " " +
                         shapeText(t.shape));
      continue;
    }
    used.insert(t.name);
    if (r->shape != t.shape) {
      problems.push_back(t.name + ": input shape " + shapeText(r->shape) +
                         ", model shape " + shapeText(t.shape));
      continue;
    }
    std::vector<float> v = asF32(*r);
    std::memcpy(t.data, v.data(), sizeof(float) * v.size());
  }
  for (const TensorRecord &r : in.tensors)
    if (!used.count(r.name))
      problems.push_back("not a tensor of the model: " + r.name + " " +
                         shapeText(r.shape));
  if (!problems.empty()) {
    for (const std::string &p : problems)
      std::fprintf(stderr, "oracle harness: %s\n", p.c_str());
    return 2;
  }
  model->tensorsWritten(); // a device model uploads them

  std::vector<TensorRecord> out;
  std::vector<double> losses;
  for (int step = 1; step <= steps; ++step) {
    StepStats stats = model->trainStep(images.data(), labels.data(), hyper);
    losses.push_back(stats.loss);
    std::printf("step %d: loss %.9g\n", step, stats.loss);
    std::vector<NamedTensor> grads = model->gradients();
    if (grads.empty()) {
      std::fprintf(stderr, "oracle harness: gradients() is empty\n");
      return 2;
    }
    const std::string prefix =
        step == 1 ? "grad." : "grad_step" + std::to_string(step) + ".";
    for (const NamedTensor &g : grads)
      out.push_back(copyOut(prefix + g.name, g));
  }
  out.push_back(tensorF64("loss", {steps}, losses));
  model->syncTensorsToHost(); // a device model's tensors() are host copies
  for (const NamedTensor &t : model->tensors())
    out.push_back(copyOut("final." + t.name, t));

  std::vector<float> logits(model->batch() * model->classes());
  model->predict(images.data(), logits.data());
  out.push_back(tensorF32("predict.logits", {model->batch(), model->classes()},
                          logits));

  writeSafeTensors(outPath, out, {{"model", model->name()}});
  return 0;
}

int writeInput(uint64_t seed, const std::string &path) {
  std::unique_ptr<CompiledModel> model = createCompiledModel();
  Random rng(seed);
  initializeTensors(model->tensors(), rng);
  std::vector<TensorRecord> out;
  for (const NamedTensor &t : model->tensors())
    out.push_back(copyOut(t.name, t));
  const int64_t n = model->batch();
  const RandomBatch batch = randomBatch(*model, rng);
  out.push_back(tensorF32("input.images",
                          {n, model->channels(), model->height(),
                           model->width()},
                          batch.images));
  out.push_back(tensorI32("input.labels", {n}, batch.labels));
  writeSafeTensors(path, out,
                   {{"model", model->name()}, {"lr", "0.1"},
                    {"momentum", "0.9"}, {"weight_decay", "0.0005"},
                    {"steps", "3"}});
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  const bool write = argc == 4 && std::strcmp(argv[1], "--write-input") == 0;
  if (argc != 3 && !write) {
    std::fprintf(stderr,
                 "usage: %s IN.safetensors OUT.safetensors\n"
                 "       %s --write-input SEED IN.safetensors\n",
                 argv[0], argv[0]);
    return 2;
  }
  try {
    if (write)
      return writeInput(std::stoull(argv[2]), argv[3]);
    return run(argv[1], argv[2]);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "oracle harness: error: %s\n", e.what());
    return 2;
  }
}
