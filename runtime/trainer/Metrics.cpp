//===- Metrics.cpp - the per-epoch metrics.csv -----------------------------===//

#include "runtime/trainer/Metrics.h"

#include "runtime/checkpoint/AtomicFile.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

namespace cardinal::rt {

const char *metricsHeader() {
  return "epoch,train_loss,train_top1_err,test_top1_err,test_top5_err,lr,"
         "seconds";
}

std::string formatMetricsRow(const MetricsRow &row) {
  char test[64] = ",";
  if (row.evaluated)
    std::snprintf(test, sizeof test, "%.6f,%.6f", row.testTop1Err,
                  row.testTop5Err);
  char line[256];
  // %.9g prints a float lr exactly; the rest is fixed-point.
  std::snprintf(line, sizeof line, "%lld,%.6f,%.6f,%s,%.9g,%.3f",
                static_cast<long long>(row.epoch), row.trainLoss,
                row.trainTop1Err, test, row.lr, row.seconds);
  return line;
}

MetricsLog::MetricsLog(std::string path, std::optional<int64_t> keepThrough)
    : path_(std::move(path)) {
  std::string content = std::string(metricsHeader()) + "\n";
  if (keepThrough) {
    std::ifstream in(path_);
    std::string line;
    if (in && std::getline(in, line)) {
      if (line != metricsHeader())
        throw std::runtime_error(path_ + ": not a metrics file (header is '" +
                                 line + "')");
      while (std::getline(in, line)) {
        const long long epoch = std::strtoll(line.c_str(), nullptr, 10);
        if (!line.empty() && epoch >= 1 && epoch <= *keepThrough)
          content += line + "\n";
      }
    }
  }
  writeFileAtomically(path_, {{content.data(), content.size()}});
}

void MetricsLog::append(const MetricsRow &row) {
  const std::string line = formatMetricsRow(row) + "\n";
  FILE *f = std::fopen(path_.c_str(), "a");
  if (!f)
    throw std::runtime_error(path_ + ": " + std::strerror(errno));
  const bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  if (std::fclose(f) != 0 || !ok)
    throw std::runtime_error(path_ + ": write failed");
}

} // namespace cardinal::rt
