//===- BatchSource.cpp - what the training loop and evaluation draw from ---===//

#include "runtime/data/BatchSource.h"

#include <cstdio>
#include <stdexcept>
#include <utility>

namespace cardinal::rt {

std::string formatLoaderStats(const LoaderStats &s) {
  if (s.images == 0 && s.failed == 0)
    return "";
  char text[160];
  std::snprintf(text, sizeof text,
                "loader %.0f img/s (%.0f img/s/core, %d thread%s, waited "
                "%.1fs)",
                s.imagesPerSecond(), s.imagesPerCoreSecond(), s.threads,
                s.threads == 1 ? "" : "s", s.waitSeconds);
  std::string out = text;
  if (s.failed > 0)
    out += ", " + std::to_string(s.failed) + " unreadable skipped";
  return out;
}

static const Dataset &checked(const std::shared_ptr<const Dataset> &d) {
  if (!d)
    throw std::runtime_error("DatasetBatchSource: no dataset");
  return *d;
}

DatasetBatchSource::DatasetBatchSource(std::shared_ptr<const Dataset> data,
                                       const BatcherOptions &options)
    : data_(std::move(data)), batcher_(checked(data_), options) {}

} // namespace cardinal::rt
