//===- EquivCommand.h - `cardinal equiv` -----------------------------------===//
#ifndef CARDINAL_TOOLS_EQUIVCOMMAND_H
#define CARDINAL_TOOLS_EQUIVCOMMAND_H

#include "tools/cardinal/Args.h"

namespace cardinal {

/// Exit: 0 every block proved (or the two graphs equivalent), 1 a proof or
/// check failed (or the graphs differ), 2 usage / mismatched signatures.
int commandEquiv(const Args &args, const char *argv0);

} // namespace cardinal

#endif
