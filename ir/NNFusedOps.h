//===- NNFusedOps.h - fused inference ops -----------------------------------===//
#ifndef CARDINAL_IR_NNFUSEDOPS_H
#define CARDINAL_IR_NNFUSEDOPS_H

#include "ir/NNDialect.h"

#define GET_OP_CLASSES
#include "ir/NNFusedOps.h.inc"

#endif // CARDINAL_IR_NNFUSEDOPS_H
