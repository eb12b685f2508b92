//===- Predict.cpp - `trainer predict`: classify JPEG files ---------------===//
#include "runtime/trainer/Predict.h"

#include "runtime/data/ImageFolder.h"
#include "runtime/data/ImageStream.h"
#include "runtime/trainer/Checkpointing.h"
#include "runtime/trainer/Train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace cardinal::rt {

std::vector<ClassScore> topClasses(const float *logits, int64_t classes,
                                   int64_t k) {
  double maxLogit = -INFINITY;
  for (int64_t c = 0; c < classes; ++c)
    maxLogit = std::max(maxLogit, static_cast<double>(logits[c]));
  std::vector<ClassScore> all(classes);
  double sum = 0;
  for (int64_t c = 0; c < classes; ++c) {
    all[c] = {c, std::exp(static_cast<double>(logits[c]) - maxLogit)};
    sum += all[c].probability;
  }
  for (ClassScore &score : all)
    score.probability /= sum;
  // Stable on the index order: equal logits keep the lower index first.
  std::stable_sort(all.begin(), all.end(),
                   [&](const ClassScore &a, const ClassScore &b) {
                     return logits[a.index] > logits[b.index];
                   });
  all.resize(std::min(std::max<int64_t>(k, 0), classes));
  return all;
}

std::string formatPrediction(const std::string &path,
                             const std::vector<ClassScore> &top,
                             const std::vector<std::string> &names) {
  std::string line = path + ":";
  for (size_t i = 0; i < top.size(); ++i) {
    const int64_t c = top[i].index;
    const std::string name = c < static_cast<int64_t>(names.size())
                                 ? names[c]
                                 : "class " + std::to_string(c);
    char pct[32];
    std::snprintf(pct, sizeof pct, " %.1f%%", 100.0 * top[i].probability);
    line += (i ? ", " : " ") + name + pct;
  }
  return line;
}

int runPredict(const TrainerOptions &o, CompiledModel &model) {
  requireJpegInput(model, "predict (JPEG files)");
  std::vector<std::string> names;
  if (o.data.kind == DataSpec::Kind::ImageNet) {
    names = imageFolderClasses(o.data.path);
    requireFolderClasses(o.data, model, static_cast<int64_t>(names.size()));
  }
  const std::string path =
      o.checkpointFile.empty() ? checkpointPath(o) : o.checkpointFile;
  loadCheckpoint(path, model);

  ImageStreamOptions so;
  so.train = false;
  so.imageSize = static_cast<int>(model.height());
  SampleLoader loader(so);
  const int64_t batch = model.batch(), classes = model.classes();
  const int64_t sample = 3 * model.height() * model.width();
  std::vector<float> images(batch * sample), logits(batch * classes);
  std::vector<std::string> pending; // files in the current batch
  int status = 0;
  auto flush = [&] {
    if (pending.empty())
      return;
    std::fill(images.begin() + pending.size() * sample, images.end(), 0.f);
    model.predict(images.data(), logits.data());
    for (size_t i = 0; i < pending.size(); ++i)
      std::printf("%s\n",
                  formatPrediction(pending[i],
                                   topClasses(logits.data() + i * classes,
                                              classes, o.top),
                                   names)
                      .c_str());
    std::fflush(stdout);
    pending.clear();
  };
  for (const std::string &file : o.inputs) {
    std::string error;
    if (!loader.load(file, 0, images.data() + pending.size() * sample,
                     error)) {
      std::fprintf(stderr, "%s: error: %s\n", file.c_str(), error.c_str());
      status = 1;
      continue;
    }
    pending.push_back(file);
    if (static_cast<int64_t>(pending.size()) == batch)
      flush();
  }
  flush();
  return status;
}

} // namespace cardinal::rt
