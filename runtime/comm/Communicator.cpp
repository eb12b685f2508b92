//===- Communicator.cpp - LocalCommunicator and the factory ----------------===//

#include "runtime/comm/Communicator.h"
#include "runtime/comm/MpiCommunicator.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace cardinal::rt {

void LocalCommunicator::broadcast(void *, int64_t, int root) {
  if (root != 0)
    throw std::runtime_error("rank 0/1: broadcast from rank " +
                             std::to_string(root) + ", which does not exist");
}

void LocalCommunicator::abort(const std::string &message, int code) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::exit(code);
}

bool parseRanksMode(const std::string &text, RanksMode &out) {
  if (text == "auto")
    out = RanksMode::Auto;
  else if (text == "local")
    out = RanksMode::Local;
  else if (text == "mpi")
    out = RanksMode::Mpi;
  else
    return false;
  return true;
}

bool launchedByMpi() {
  for (const char *var :
       {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"}) {
    const char *v = std::getenv(var);
    if (v && *v)
      return true;
  }
  return false;
}

std::unique_ptr<Communicator> createCommunicator(RanksMode mode,
                                                 double timeoutSeconds) {
  if (mode == RanksMode::Mpi || (mode == RanksMode::Auto && launchedByMpi()))
    return std::make_unique<MpiCommunicator>(timeoutSeconds);
  return std::make_unique<LocalCommunicator>();
}

} // namespace cardinal::rt
