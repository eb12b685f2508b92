//===- Passes.td - Cardinal passes -------------------------*- tablegen -*-===//
#ifndef CARDINAL_PASSES
#define CARDINAL_PASSES

include "mlir/Pass/PassBase.td"

def PrintStats : Pass<"nn-print-stats", "::mlir::ModuleOp"> {
  let summary = "Print parameters and multiply-adds per stage (paper, Table 1)";
  let description = [{
    Counts parameters (nn.param elements; C copies inside an nn.aggregate)
    and multiply-adds of conv and fc layers per image, grouped by the first
    component of each layer's scoped name (stem, stage2, ..., head). Prints a
    table, or JSON with `json=true`. The module is left unchanged.
  }];
  let options = [
    Option<"json", "json", "bool", /*default=*/"false",
           "print JSON instead of a table">
  ];
}

#endif // CARDINAL_PASSES
