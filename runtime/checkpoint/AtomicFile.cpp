//===- AtomicFile.cpp - replace a file all-or-nothing
//----------------------===//

#include "runtime/checkpoint/AtomicFile.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace cardinal::rt {
namespace {

[[noreturn]] void fail(const std::string &path, const std::string &what,
                       int err) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(err));
}

/// Creates a fresh temp file beside `path`; returns its fd and name.
int createTemp(const std::string &path, const std::string &dir,
               const std::string &base, std::string &tempPath) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    tempPath = dir + "/." + base + ".tmp." + std::to_string(::getpid()) + "." +
               std::to_string(counter++);
    // O_EXCL: never reuse (or follow a link to) someone else's file.
    const int fd =
        ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0)
      return fd;
    if (errno != EEXIST)
      fail(path, "cannot create temp file " + tempPath, errno);
  }
  fail(path, "cannot create temp file " + tempPath, EEXIST);
}

void writeAll(int fd, const char *p, size_t n, const std::string &path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      fail(path, "write failed", errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void syncDirectory(const std::string &dir, const std::string &path) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    fail(path, "cannot open directory " + dir + " to sync it", errno);
  // Some file systems cannot fsync a directory (EINVAL); nothing more to do.
  const int rc = ::fsync(fd), err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL && err != ENOTSUP)
    fail(path, "cannot sync directory " + dir, err);
}

} // namespace

void writeFileAtomically(const std::string &path,
                         const std::vector<ByteSpan> &parts) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty() || base == "." || base == "..")
    throw std::runtime_error(path + ": not a file name");

  std::string temp;
  const int fd = createTemp(path, dir, base, temp);
  try {
    for (const ByteSpan &part : parts)
      writeAll(fd, static_cast<const char *>(part.data), part.size, path);
    if (::fsync(fd) != 0)
      fail(path, "fsync failed", errno);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  // close can report a deferred write error (e.g. NFS): check it too.
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "close failed", err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    fail(path, "cannot rename temp file over it", err);
  }
  syncDirectory(dir, path);
}

} // namespace cardinal::rt
