//===- Schedule.cpp - the learning-rate schedule ---------------------------===//

#include "runtime/trainer/Schedule.h"

#include <cmath>
#include <cstdlib>

namespace cardinal::rt {

double LrSchedule::lr(double base, int64_t epoch, int64_t epochs) const {
  double rate = base;
  auto decayAt = [&](int64_t milestone) {
    if (epoch >= milestone)
      rate /= 10;
  };
  switch (kind) {
  case Kind::Constant:
    break;
  case Kind::Step:
    for (int64_t m : milestones)
      decayAt(m);
    break;
  case Kind::Paper:
    // Ceil keeps short runs sane: 1 epoch -> no decay, 300 -> 150 and 225.
    decayAt((epochs + 1) / 2);
    decayAt((3 * epochs + 3) / 4);
    break;
  case Kind::Cosine:
    if (epochs > 0)
      rate = base * 0.5 *
             (1 + std::cos(M_PI * static_cast<double>(epoch) /
                           static_cast<double>(epochs)));
    break;
  }
  if (warmup > 0 && epoch < warmup)
    rate *= static_cast<double>(epoch + 1) / static_cast<double>(warmup);
  return rate;
}

std::string LrSchedule::spec() const {
  switch (kind) {
  case Kind::Constant:
    return "constant";
  case Kind::Paper:
    return "paper";
  case Kind::Cosine:
    return "cosine";
  case Kind::Step:
    break;
  }
  std::string s = "step:";
  for (size_t i = 0; i < milestones.size(); ++i)
    s += (i ? "," : "") + std::to_string(milestones[i]);
  return s;
}

bool parseSchedule(const std::string &spec, LrSchedule &out,
                   std::string &error) {
  LrSchedule s;
  s.warmup = out.warmup;
  if (spec == "constant") {
    s.kind = LrSchedule::Kind::Constant;
  } else if (spec == "paper") {
    s.kind = LrSchedule::Kind::Paper;
  } else if (spec == "cosine") {
    s.kind = LrSchedule::Kind::Cosine;
  } else if (spec.rfind("step:", 0) == 0) {
    s.kind = LrSchedule::Kind::Step;
    const std::string list = spec.substr(5);
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos)
        comma = list.size();
      const std::string item = list.substr(pos, comma - pos);
      char *end = nullptr;
      const long long v = std::strtoll(item.c_str(), &end, 10);
      if (item.empty() || *end || v < 1 ||
          (!s.milestones.empty() && v <= s.milestones.back())) {
        error = "schedule '" + spec +
                "': step epochs must be ascending integers >= 1";
        return false;
      }
      s.milestones.push_back(v);
      pos = comma + 1;
    }
  } else {
    error = "unknown schedule '" + spec +
            "' (expected constant, step:E1,E2,..., paper or cosine)";
    return false;
  }
  out = s;
  return true;
}

} // namespace cardinal::rt
