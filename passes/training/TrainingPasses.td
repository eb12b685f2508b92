//===- TrainingPasses.td - from a model to a training step -*- tablegen -*-===//
#ifndef CARDINAL_TRAINING_PASSES
#define CARDINAL_TRAINING_PASSES

include "mlir/Pass/PassBase.td"

def AttachLoss : Pass<"nn-attach-loss", "::mlir::ModuleOp"> {
  let summary = "Turn a model returning logits into one returning (loss, logits)";
  let description = [{
    Adds an `nn.input "labels"` (NxI32), the softmax cross-entropy loss and
    switches every nn.batch_norm to training mode (batch statistics).
  }];
}

def Autodiff : Pass<"nn-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse-mode differentiation of the loss w.r.t. every nn.param";
  let description = [{
    The function's first result must be an nn.softmax_cross_entropy loss.
    Appends d(loss)/d(param) for every parameter the loss depends on, in
    program order, as extra results, and names them in the function
    attribute `nn.grads`. One VJP rule per forward op; nn.aggregate must be
    lowered first (--nn-lower-aggregate).
  }];
}

def SgdUpdate : Pass<"nn-sgd", "::mlir::ModuleOp"> {
  let summary = "Consume the gradients with in-place SGD updates";
  let description = [{
    For every gradient named in `nn.grads`: nn.sgd_update with momentum and
    weight decay (none on BN scale/shift with no-bn-decay); the gradients
    leave the function's results.
  }];
  let options = [
    Option<"momentum", "momentum", "double", "0.9", "momentum">,
    Option<"weightDecay", "weight-decay", "double", "1e-4", "L2 weight decay">,
    Option<"noBnDecay", "no-bn-decay", "bool", "false",
           "no weight decay on BN scale and shift">
  ];
}

def MemoryPlan : Pass<"nn-memory-plan", "::mlir::ModuleOp"> {
  let summary = "Liveness-based buffer reuse for activations and gradients";
  let description = [{
    Gives every intermediate tensor an offset (`nn.offset`, bytes) in one
    arena so that values live at the same time never overlap (first fit in
    order of definition); sets `nn.arena_bytes` and `nn.unplanned_bytes`
    (the sum without reuse) on the function. Parameters, state and inputs
    live outside the arena.
  }];
  let options = [
    Option<"report", "report", "bool", "false", "print the peak bytes">
  ];
}

#endif // CARDINAL_TRAINING_PASSES
