//===- NNFusedOps.td - fused ops of the nn dialect ---------*- tablegen -*-===//
//
// Produced by --nn-fold-bn (inference): a conv followed by an eval-mode batch
// norm, optionally the residual add and the ReLU, as one op. Kept in their
// own file like the backward ops.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_NN_FUSED_OPS
#define CARDINAL_NN_FUSED_OPS

include "ir/NNDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def NN_FusedTensor : RankedTensorOf<[AnyFloat]>;

def NN_Conv2dBnActOp : NN_Op<"conv2d_bn_act", [Pure,
    AllTypesMatch<["scale", "shift", "running_mean", "running_var"]>]> {
  let summary = "maybe_relu(batch_norm_eval(conv2d(x, w)) + residual)";
  let description = [{
    Inference form of conv -> batch_norm (eval, running statistics) ->
    [add residual] -> [relu]. The conv has no bias; BN is folded into the
    conv's weights and a per-output-channel bias by the kernel at call time
    (W' = W·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε)); the residual add and the ReLU
    run in the conv's epilogue.
  }];
  let arguments = (ins NN_FusedTensor:$input, NN_FusedTensor:$weight,
                       NN_FusedTensor:$scale, NN_FusedTensor:$shift,
                       NN_FusedTensor:$running_mean,
                       NN_FusedTensor:$running_var,
                       Optional<NN_FusedTensor>:$residual,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                       UnitAttr:$relu);
  let results = (outs NN_FusedTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `bn` `(` $scale `,` $shift `,` $running_mean `,`
    $running_var `)` (`residual` $residual^)? `stride` $strides `pad` $padding
    `dilation` $dilation `groups` $groups attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // CARDINAL_NN_FUSED_OPS
