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

def FuseConvBnRelu : Pass<"nn-fuse-conv-bn-relu", "::mlir::ModuleOp"> {
  let summary = "Fuse training-mode batch_norm -> relu and its backward pair";
  let description = [{
    Runs on training graphs (after --nn-autodiff, and after --nn-sgd if
    present). A training-mode nn.batch_norm whose result has exactly one use,
    an nn.relu, becomes one nn.bn_train_relu. If that relu's output feeds an
    nn.relu_grad whose result has exactly one use, the grad_output of an
    nn.batch_norm_grad on the same BN (same input, scale and eps), the pair
    becomes one nn.bn_relu_grad. Nothing else fuses: a BN whose output has
    another consumer, or a relu_grad read by something else, stays unfused.
    Each fused op is created at the position of the last op it replaces, so
    all of its operands dominate it.
  }];
}

#endif // CARDINAL_FUSION_PASSES
