//===- AtomicFile.h - write a file all at once or not at all ---------------===//
#ifndef CARDINAL_TOOLS_ATOMICFILE_H
#define CARDINAL_TOOLS_ATOMICFILE_H

#include <string>

namespace cardinal {

/// Writes `contents` to a temporary file beside `path`, fsyncs it and renames
/// it over `path`, so a failure never leaves a partial output. "-" is stdout.
/// Returns false and fills `error` on failure.
bool writeFileAtomically(const std::string &path, const std::string &contents,
                         std::string &error);

} // namespace cardinal

#endif
