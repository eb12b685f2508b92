//===- NNDialect.td - the nn dialect ----------------------*- tablegen -*-===//
#ifndef CARDINAL_NN_DIALECT
#define CARDINAL_NN_DIALECT

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::cardinal::nn";
  let summary = "Neural-network graphs of aggregated residual networks";
  let description = [{
    Logical layout is NCHW; the element type is f32 (other float types are
    accepted by the verifiers). Parameters and state are named graph values
    (`nn.param`, `nn.state`); `nn.aggregate` is the paper's aggregated
    transformation sum_{i<C} T_i(x) with one path template T as its region.
  }];
}

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

#endif // CARDINAL_NN_DIALECT
