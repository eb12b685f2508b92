//===- NNGradOps.h - backward and optimizer ops ----------------------------===//
#ifndef CARDINAL_IR_NNGRADOPS_H
#define CARDINAL_IR_NNGRADOPS_H

#include "ir/NNDialect.h"

#define GET_OP_CLASSES
#include "ir/NNGradOps.h.inc"

#endif // CARDINAL_IR_NNGRADOPS_H
