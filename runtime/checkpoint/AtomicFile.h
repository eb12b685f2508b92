//===- AtomicFile.h - replace a file all-or-nothing
//------------------------===//
//
// A crash or a full disk in the middle of saving a checkpoint must never
// destroy the previous one: write a temp file beside the target, fsync it,
// rename it over the target, fsync the directory.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CHECKPOINT_ATOMICFILE_H
#define CARDINAL_RUNTIME_CHECKPOINT_ATOMICFILE_H

#include <cstddef>
#include <string>
#include <vector>

namespace cardinal::rt {

/// A piece of the file's content (written in order, without copying).
struct ByteSpan {
  const void *data;
  size_t size;
};

/// Makes `path` hold exactly the concatenation of `parts`. On failure throws
/// std::runtime_error naming `path`; the old file (if any) is untouched and
/// the temp file removed. The temp file is "<dir>/.<name>.tmp.<pid>.<n>";
/// the new file gets mode 0666 & ~umask.
void writeFileAtomically(const std::string &path,
                         const std::vector<ByteSpan> &parts);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_CHECKPOINT_ATOMICFILE_H
