//===- FusionPasses.td - op fusion for inference and training -*- tablegen -*-===//
#ifndef CARDINAL_FUSION_PASSES
#define CARDINAL_FUSION_PASSES

include "mlir/Pass/PassBase.td"

def FoldBn : Pass<"nn-fold-bn", "::mlir::ModuleOp"> {
  let summary = "Fuse eval-mode conv -> batch_norm [-> add] [-> relu] chains";
  let description = [{
    Rewrites nn.conv2d (no bias) -> nn.batch_norm (eval mode) -> optionally
    nn.add with a residual -> optionally nn.relu into one
    nn.conv2d_bn_act. A value inside the chain must have exactly one use (the
    next op of the chain): a conv whose result has another consumer (e.g. a
    conv feeding two BNs) is not fused, and the chain stops before an add or
    relu whose operand is used elsewhere. Training-mode BNs are left alone.
  }];
}

#endif // CARDINAL_FUSION_PASSES
