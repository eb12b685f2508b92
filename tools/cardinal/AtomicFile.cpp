//===- AtomicFile.cpp ------------------------------------------------------===//
#include "tools/cardinal/AtomicFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace cardinal {

bool writeFileAtomically(const std::string &path, const std::string &contents,
                         std::string &error) {
  if (path == "-") {
    std::fwrite(contents.data(), 1, contents.size(), stdout);
    if (std::fflush(stdout) != 0) {
      error = "cannot write to stdout";
      return false;
    }
    return true;
  }
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) {
    error = "cannot create a temporary file beside '" + path +
            "': " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += n;
  }
  bool ok = done == contents.size() && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (ok && ::rename(tmp.c_str(), path.c_str()) == 0)
    return true;
  error = "cannot write '" + path + "': " + std::strerror(errno);
  ::unlink(tmp.c_str());
  return false;
}

} // namespace cardinal
