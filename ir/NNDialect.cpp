//===- NNDialect.cpp - dialect registration --------------------------------===//
#include "ir/NNDialect.h"
#include "ir/NNFusedOps.h"
#include "ir/NNGradOps.h"

using namespace mlir;
using namespace cardinal::nn;

#include "ir/NNOpsDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/NNOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/NNGradOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "ir/NNFusedOps.cpp.inc"
      >();
}
