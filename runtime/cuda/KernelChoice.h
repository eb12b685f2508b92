//===- KernelChoice.h - run the fastest of equivalent kernels, timed once --===//
//
// Why: a grouped 3x3 layer can run on a generated shape-specialized kernel
// or on cuDNN, and which is faster depends on the shape and the GPU, so a
// trainer measures instead of guessing. The first call of a key runs every
// candidate (one untimed warm-up run, then `timedRuns` timed runs, the
// minimum kept) and records the fastest; later calls of the key run only
// the winner. A tie goes to the lower index (callers put their preferred
// candidate first: the generated kernel). The policy may instead force one
// candidate (an environment override for benchmarks): then nothing is timed.
//
// Side effects. The candidates compute the same thing, but a call need not
// be idempotent: a statistics epilogue updates BN running statistics in
// place, a backward-data with `accumulate` adds into dx. The caller passes
// save() and restore(): save() runs once before the first trial run,
// restore() before every further run, and the winner runs once more after
// a restore unless it was the last to run. So the first call leaves exactly
// the outputs and side effects of one call of the winner.
//
// Host-only and CUDA-free (GroupedConvChoice.cpp plugs in cudaEvent timers
// and device-buffer restores; tests/cuda/KernelChoiceTest.cpp fakes them).
// Not thread-safe, like the Context that owns one.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CUDA_KERNELCHOICE_H
#define CARDINAL_RUNTIME_CUDA_KERNELCHOICE_H

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace cardinal::rt {

/// A non-owning reference to a `void()` callable (no allocation: the hot
/// path builds two per call). Only for parameters: it must not outlive the
/// callable it was made from.
class RunRef {
public:
  template <typename F, typename = std::enable_if_t<
                            !std::is_same_v<std::decay_t<F>, RunRef>>>
  RunRef(F &&f) // NOLINT: implicit, like std::function
      : object(const_cast<void *>(static_cast<const void *>(&f))),
        call([](void *o) {
          (*static_cast<std::remove_reference_t<F> *>(o))();
        }) {}
  void operator()() const { call(object); }

private:
  void *object;
  void (*call)(void *);
};

/// Which candidate runs: the fastest measured, or a forced one.
struct ChoicePolicy {
  int forced = -1; // a candidate's index; -1: time them all (auto)
  bool isAuto() const { return forced < 0; }
};

/// Parses an override's value (e.g. CARDINAL_GROUPED_CONV's): null, "" or
/// "auto" -> auto; a candidate's name -> that candidate. Anything else
/// throws std::invalid_argument naming the variable and the accepted values.
inline ChoicePolicy parseChoicePolicy(const char *variable, const char *value,
                                      const std::vector<std::string> &names) {
  if (!value || !*value || std::string(value) == "auto")
    return {};
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == value)
      return {static_cast<int>(i)};
  std::string accepted;
  for (const std::string &n : names)
    accepted += n + ", ";
  throw std::invalid_argument(std::string(variable) + "='" + value +
                              "' is not a kernel choice; expected one of " +
                              accepted + "auto (the default: time them)");
}

/// parseChoicePolicy of the environment variable `variable`.
inline ChoicePolicy choicePolicyFromEnv(const char *variable,
                                        const std::vector<std::string> &names) {
  return parseChoicePolicy(variable, std::getenv(variable), names);
}

/// What the first call of a key found.
struct ChoiceRecord {
  int winner = 0;
  bool timed = false;     // false: the policy forced `winner`
  std::vector<double> ms; // per candidate: best timed run; NaN if not timed
  std::vector<std::string> failures; // per candidate: what it threw, or ""
};

template <typename Key> class KernelChoice {
public:
  /// `names`: the candidates, in preference order (ties go to the first).
  KernelChoice(std::vector<std::string> names, ChoicePolicy policy,
               int timedRuns = 1)
      : names_(std::move(names)), policy_(policy), timedRuns_(timedRuns) {
    if (names_.empty() || timedRuns_ < 1 ||
        policy_.forced >= static_cast<int>(names_.size()))
      throw std::logic_error("KernelChoice: bad candidates or policy");
  }

  /// Runs the key's choice among `candidates` (one per name, same order).
  /// On the key's first call with the auto policy: trials as described at
  /// the top, `timer(RunRef)` running a candidate and returning its
  /// milliseconds. A candidate that throws during its trial is recorded and
  /// left out; if all throw, the first candidate's exception is rethrown
  /// (and the key stays untried). Returns the key's record.
  template <typename Timer, typename Save, typename Restore>
  const ChoiceRecord &run(const Key &key,
                          std::initializer_list<RunRef> candidates,
                          Timer &&timer, Save &&save, Restore &&restore) {
    if (candidates.size() != names_.size())
      throw std::logic_error("KernelChoice::run: one candidate per name");
    const RunRef *c = candidates.begin();
    auto it = records_.find(key);
    if (it != records_.end()) {
      c[it->second.winner]();
      return it->second;
    }
    if (!policy_.isAuto()) {
      c[policy_.forced]();
      ChoiceRecord r;
      r.winner = policy_.forced;
      r.ms.assign(names_.size(), std::numeric_limits<double>::quiet_NaN());
      r.failures.assign(names_.size(), "");
      return records_.emplace(key, std::move(r)).first->second;
    }
    return records_.emplace(key, trial(c, timer, save, restore))
        .first->second;
  }

  /// The key's record, or null before its first call.
  const ChoiceRecord *find(const Key &key) const {
    auto it = records_.find(key);
    return it == records_.end() ? nullptr : &it->second;
  }
  const std::map<Key, ChoiceRecord> &records() const { return records_; }
  const std::vector<std::string> &names() const { return names_; }
  ChoicePolicy policy() const { return policy_; }
  int timedRuns() const { return timedRuns_; }

private:
  template <typename Timer, typename Save, typename Restore>
  ChoiceRecord trial(const RunRef *c, Timer &timer, Save &save,
                     Restore &restore) {
    const size_t n = names_.size();
    ChoiceRecord r;
    r.timed = true;
    r.ms.assign(n, std::numeric_limits<double>::infinity());
    r.failures.assign(n, "");
    std::vector<std::exception_ptr> errors(n);
    save();
    bool dirty = false; // whether anything ran since save()
    int last = -1;      // the candidate whose run completed last, if the
                        // last run completed (then state = one call of it)
    for (size_t i = 0; i < n; ++i) {
      try {
        for (int run = 0; run <= timedRuns_; ++run) {
          if (dirty)
            restore();
          dirty = true;
          last = -1;
          if (run == 0) {
            c[i](); // warm-up: lazy module loads, cuDNN's autotuning
          } else {
            const double ms = timer(c[i]);
            r.ms[i] = std::min(r.ms[i], ms);
          }
          last = static_cast<int>(i);
        }
      } catch (const std::exception &e) {
        errors[i] = std::current_exception();
        r.failures[i] = e.what();
        r.ms[i] = std::numeric_limits<double>::infinity();
      } catch (...) {
        errors[i] = std::current_exception();
        r.failures[i] = "unknown exception";
        r.ms[i] = std::numeric_limits<double>::infinity();
      }
    }
    int winner = -1;
    for (size_t i = 0; i < n; ++i)
      if (!errors[i] && (winner < 0 || r.ms[i] < r.ms[winner]))
        winner = static_cast<int>(i);
    if (winner < 0) {
      if (dirty)
        restore();
      std::rethrow_exception(errors[0]);
    }
    r.winner = winner;
    if (winner != last) {
      restore();
      c[winner]();
    }
    return r;
  }

  std::vector<std::string> names_;
  ChoicePolicy policy_;
  int timedRuns_;
  std::map<Key, ChoiceRecord> records_;
};

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_CUDA_KERNELCHOICE_H
