//===- Args.h - parsed command line of the cardinal driver ----------------===//
#ifndef CARDINAL_TOOLS_ARGS_H
#define CARDINAL_TOOLS_ARGS_H

#include "frontend/DSL.h"

#include <string>

namespace cardinal {

struct Args {
  std::string command;
  std::string model;
  std::string second;   // equiv A.mlir B.mlir
  std::string emit;
  std::string output = "-";
  bool json = false;
  // equiv
  std::string block, dotDir, certificate;
  bool noCheck = false;
  bool timeForms = false; // equiv --time
  // build
  std::string target = "cpu";     // cpu | cuda
  std::string precision = "fp32"; // --target cuda: fp32 | bf16
  bool cudnnOnly = false;         // --target cuda: the cuDNN-only baseline plan
  double momentum = 0.9, weightDecay = 1e-4, lr = 0.1;
  bool noBnDecay = false;
  bool noFuse = false; // build: skip --nn-fold-bn (predict) and --nn-fuse-conv-bn-relu (train)
  bool outputGiven = false;
  dsl::ModelOptions options;
};

} // namespace cardinal

#endif
