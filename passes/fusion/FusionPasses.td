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
  let summary = "Fuse training-mode conv -> batch_norm -> relu chains and their backward";
  let description = [{
    Runs on training graphs (after --nn-autodiff, and after --nn-sgd if
    present); DESIGN §5. For each training-mode nn.batch_norm with one use:
     - conv -> BN -> relu -> conv(s): the first conv becomes
       nn.conv2d_stats (batch statistics in its epilogue), each consuming
       conv nn.bn_relu_conv2d (BN-apply + ReLU in its prologue), the
       weight gradients of those convs nn.bn_relu_conv2d_grad_weight and
       relu_grad -> batch_norm_grad nn.bn_relu_apply_grad: the normalized
       activation is never stored, every reader recomputes it. Where the
       relu's gradient is one nn.conv2d_grad_input read by nothing else,
       that conv takes the BN backward's reductions
       (nn.conv2d_grad_input_bn_sums) and nn.bn_relu_apply_grad_input
       makes only the dx pass.
     - conv -> BN -> add(residual) -> relu: nn.conv2d_stats +
       nn.bn_add_relu, with nn.bn_add_relu_grad in the backward.
     - otherwise BN -> relu: nn.bn_train_relu, and relu_grad ->
       batch_norm_grad on the same BN nn.bn_relu_grad.
    Nothing fuses through a value with a reader outside the pattern (a BN
    input with another consumer, e.g. a conv feeding two BNs; a BN, add or
    relu_grad result read elsewhere; a returned activation). Eval-mode BNs
    are --nn-fold-bn's. Each fused op is created at the position of the
    last op it replaces (or of its first reader), so all of its operands
    dominate it.

    With conv-level=false only the last rule applies (BN-apply + ReLU and
    dReLU + dBN as separate passes): for a backend that has kernels for
    those but not for the conv-level fused ops (the CUDA target today).
    With grad-sums=false the conv-level rules apply but the BN backward's
    reductions stay in nn.bn_relu_apply_grad (for a backend without the
    nn.conv2d_grad_input_bn_sums kernel).
  }];
  let options = [
    Option<"convLevel", "conv-level", "bool", /*default=*/"true",
           "fuse into the convs (statistics epilogue, BN+ReLU prologue, "
           "BN+add+ReLU); false: BN+ReLU and its backward only">,
    Option<"gradSums", "grad-sums", "bool", /*default=*/"true",
           "with conv-level: take the BN backward's reductions in the conv "
           "backward-data that produces their dy "
           "(nn.conv2d_grad_input_bn_sums)">
  ];
}

#endif // CARDINAL_FUSION_PASSES
