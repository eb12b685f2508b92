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

//===----------------------------------------------------------------------===//
// Training (produced by --nn-fuse-conv-bn-relu after --nn-autodiff).
//===----------------------------------------------------------------------===//

def NN_BnTrainReluOp : NN_Op<"bn_train_relu", [Pure,
    AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["scale", "shift", "running_mean", "running_var"]>]> {
  let summary = "relu(batch_norm {training}(x)) in one pass after the statistics";
  let description = [{
    Training-mode batch norm (batch mean, biased batch variance over N, H, W;
    the running statistics updated with `momentum` and the unbiased
    variance; mean and 1/sqrt(var + eps) saved for the backward) followed by
    ReLU. The kernel makes one statistics pass over x and then one fused
    normalize + ReLU pass.
  }];
  let arguments = (ins NN_FusedTensor:$input, NN_FusedTensor:$scale,
                       NN_FusedTensor:$shift, NN_FusedTensor:$running_mean,
                       NN_FusedTensor:$running_var,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum);
  let results = (outs NN_FusedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $shift `,` $running_mean `,` $running_var attr-dict
    `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def NN_BnReluGradOp : NN_Op<"bn_relu_grad", [Pure,
    AllTypesMatch<["grad_output", "output", "input", "grad_input"]>,
    AllTypesMatch<["scale", "grad_scale", "grad_shift"]>]> {
  let summary = "(dx, dscale, dshift) of nn.bn_train_relu: dReLU fused with dBN";
  let description = [{
    `grad_output` is dy w.r.t. the ReLU's output `output`; `input` is the
    BN's input x. Equal to batch_norm_grad(relu_grad(dy, output), x, scale):
    the ReLU mask (output > 0) is applied on the fly while the two BN
    reductions are accumulated, then one pass writes dx.
  }];
  let arguments = (ins NN_FusedTensor:$grad_output, NN_FusedTensor:$output,
                       NN_FusedTensor:$input, NN_FusedTensor:$scale,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs NN_FusedTensor:$grad_input, NN_FusedTensor:$grad_scale,
                      NN_FusedTensor:$grad_shift);
  let assemblyFormat = [{
    $grad_output `,` $output `,` $input `,` $scale attr-dict `:`
    type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

#endif // CARDINAL_NN_FUSED_OPS
