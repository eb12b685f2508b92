//===- NNDialect.h - the nn dialect and its ops ----------------------------===//
#ifndef CARDINAL_IR_NNDIALECT_H
#define CARDINAL_IR_NNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/NNOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "ir/NNOps.h.inc"

#endif // CARDINAL_IR_NNDIALECT_H
