//===- BuildCommand.h - `cardinal build` -----------------------------------===//
#ifndef CARDINAL_TOOLS_BUILDCOMMAND_H
#define CARDINAL_TOOLS_BUILDCOMMAND_H

#include "tools/cardinal/Args.h"

namespace cardinal {

/// MODEL -> nn module -> (form (c), loss, autodiff, SGD, memory plan) ->
/// kernel plans -> C++ -> trainer binary; --emit stops at a stage.
int commandBuild(const Args &args, const char *argv0);

} // namespace cardinal

#endif
