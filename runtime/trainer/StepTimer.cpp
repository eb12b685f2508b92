//===- StepTimer.cpp - the per-call profile as a table --------------------===//
#include "runtime/trainer/StepTimer.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace cardinal::rt {

std::string formatStepProfile(const StepTimer &timer, int top) {
  const std::vector<CallTime> &calls = timer.calls();
  const double steps =
      timer.steps() > 0 ? static_cast<double>(timer.steps()) : 1;
  double total = 0;
  struct Kernel {
    int64_t calls = 0;
    double seconds = 0;
  };
  std::map<std::string, Kernel> kernels;
  for (const CallTime &c : calls) {
    total += c.seconds;
    Kernel &k = kernels[c.kernel];
    ++k.calls;
    k.seconds += c.seconds;
  }
  auto share = [&](double s) { return total > 0 ? 100.0 * s / total : 0.0; };
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line,
                "profile: %lld steps, %zu kernel calls per step, %.3f ms per "
                "step (sum of the calls)\n",
                static_cast<long long>(timer.steps()), calls.size(),
                1e3 * total / steps);
  out += line;
  std::vector<std::pair<std::string, Kernel>> rows(kernels.begin(),
                                                   kernels.end());
  std::stable_sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.seconds > b.second.seconds;
  });
  std::snprintf(line, sizeof line, "  %-34s %6s %10s %7s\n", "kernel", "calls",
                "ms/step", "%");
  out += line;
  for (const auto &[name, k] : rows) {
    std::snprintf(line, sizeof line, "  %-34s %6lld %10.3f %7.1f\n",
                  name.c_str(), static_cast<long long>(k.calls),
                  1e3 * k.seconds / steps, share(k.seconds));
    out += line;
  }
  std::vector<size_t> order(calls.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return calls[a].seconds > calls[b].seconds;
  });
  const size_t shown =
      std::min(order.size(), static_cast<size_t>(std::max(top, 0)));
  std::snprintf(line, sizeof line, "slowest %zu calls:\n", shown);
  out += line;
  for (size_t r = 0; r < shown; ++r) {
    const CallTime &c = calls[order[r]];
    std::snprintf(line, sizeof line, "  #%-5zu %-34s %-36s %9.3f ms %6.1f%%\n",
                  order[r], c.kernel.c_str(), c.origin.c_str(),
                  1e3 * c.seconds / steps, share(c.seconds));
    out += line;
  }
  return out;
}

} // namespace cardinal::rt
