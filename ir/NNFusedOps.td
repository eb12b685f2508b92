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

//===----------------------------------------------------------------------===//
// Training, conv-level (DESIGN §5, cuDNN's ConvBNfprop pattern): the conv
// that feeds a training BN accumulates the batch statistics in its
// epilogue; BN-apply + ReLU run in the next op's prologue. mean/invstd are
// values (per channel) so the consumers and the backward read them.
//===----------------------------------------------------------------------===//

def NN_Conv2dStatsOp : NN_Op<"conv2d_stats", [Pure,
    AllTypesMatch<["scale", "shift", "running_mean", "running_var", "mean",
                   "invstd"]>]> {
  let summary = "conv2d with the batch statistics of the training BN it feeds";
  let description = [{
    `result` = conv2d(x, w) (no bias); `mean` and `invstd` are the batch
    mean and 1/sqrt(biased var + eps) of `result` per channel (over N, H, W),
    exactly the statistics nn.batch_norm {training} on `result` would use.
    The running statistics are updated like that BN's (momentum, unbiased
    variance, PyTorch semantics). The kernel accumulates the moments per
    image right after computing it (while it is in cache) and merges them in
    double, so no separate statistics pass reads `result`. `scale` and
    `shift` name the BN these statistics belong to (over GF(2^61-1) its
    keyed 1/sqrt is the BN's, keyed by all four parameters).
  }];
  let arguments = (ins NN_FusedTensor:$input, NN_FusedTensor:$weight,
                       NN_FusedTensor:$scale, NN_FusedTensor:$shift,
                       NN_FusedTensor:$running_mean,
                       NN_FusedTensor:$running_var,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum);
  let results = (outs NN_FusedTensor:$result, NN_FusedTensor:$mean,
                      NN_FusedTensor:$invstd);
  let assemblyFormat = [{
    $input `,` $weight `bn` `(` $scale `,` $shift `,` $running_mean `,`
    $running_var `)` `stride` $strides `pad` $padding `dilation` $dilation
    `groups` $groups attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BnReluConv2dOp : NN_Op<"bn_relu_conv2d", [Pure,
    AllTypesMatch<["mean", "invstd", "scale", "shift"]>]> {
  let summary = "conv2d(relu((x - mean)·invstd·scale + shift), w)";
  let description = [{
    The consumer of a training BN + ReLU: the normalized, rectified input is
    formed on the fly (per image, in a cache-sized scratch) and never
    written as a tensor. `input` is the BN's input (a conv2d_stats result),
    `mean`/`invstd` its batch statistics.
  }];
  let arguments = (ins NN_FusedTensor:$input, NN_FusedTensor:$mean,
                       NN_FusedTensor:$invstd, NN_FusedTensor:$scale,
                       NN_FusedTensor:$shift, NN_FusedTensor:$weight,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_FusedTensor:$result);
  let assemblyFormat = [{
    $input `bn` `(` $mean `,` $invstd `,` $scale `,` $shift `)` `,` $weight
    `stride` $strides `pad` $padding `dilation` $dilation `groups` $groups
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BnReluConv2dStatsOp : NN_Op<"bn_relu_conv2d_stats", [Pure,
    AllTypesMatch<["in_mean", "in_invstd", "in_scale", "in_shift"]>,
    AllTypesMatch<["scale", "shift", "running_mean", "running_var", "mean",
                   "invstd"]>]> {
  let summary = "nn.bn_relu_conv2d with nn.conv2d_stats's epilogue";
  let description = [{
    A conv between two training BNs (ResNeXt's 3x3 and last 1x1): reads
    relu(BN_in(x)) formed in its prologue (in_* are the previous BN's
    statistics and parameters) and accumulates the statistics of its output
    for the next BN (scale, shift, running statistics, eps, momentum), as
    nn.bn_relu_conv2d followed by nn.conv2d_stats's epilogue.
  }];
  let arguments = (ins NN_FusedTensor:$input, NN_FusedTensor:$in_mean,
                       NN_FusedTensor:$in_invstd, NN_FusedTensor:$in_scale,
                       NN_FusedTensor:$in_shift, NN_FusedTensor:$weight,
                       NN_FusedTensor:$scale, NN_FusedTensor:$shift,
                       NN_FusedTensor:$running_mean,
                       NN_FusedTensor:$running_var,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum);
  let results = (outs NN_FusedTensor:$result, NN_FusedTensor:$mean,
                      NN_FusedTensor:$invstd);
  let assemblyFormat = [{
    $input `bn` `(` $in_mean `,` $in_invstd `,` $in_scale `,` $in_shift `)`
    `,` $weight `bn` `(` $scale `,` $shift `,` $running_mean `,`
    $running_var `)` `stride` $strides `pad` $padding `dilation` $dilation
    `groups` $groups attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BnAddReluOp : NN_Op<"bn_add_relu", [Pure,
    AllTypesMatch<["input", "residual", "result"]>,
    AllTypesMatch<["mean", "invstd", "scale", "shift"]>]> {
  let summary = "relu((x - mean)·invstd·scale + shift + residual)";
  let description = [{
    A ResNeXt block's output: the last BN (training, statistics from its
    conv2d_stats), the shortcut add and the ReLU in one pass.
  }];
  let arguments = (ins NN_FusedTensor:$input, NN_FusedTensor:$mean,
                       NN_FusedTensor:$invstd, NN_FusedTensor:$scale,
                       NN_FusedTensor:$shift, NN_FusedTensor:$residual);
  let results = (outs NN_FusedTensor:$result);
  let assemblyFormat = [{
    $input `bn` `(` $mean `,` $invstd `,` $scale `,` $shift `)` `residual`
    $residual attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

// Their backward. The BN's normalized activation is recomputed from the
// conv output and the statistics in each backward op's prologue instead of
// being stored by the forward: the forward then never writes it (one full
// activation write and its memory saved per fused BN), and the backward
// reads the conv output instead, which batch-norm's own gradient reads
// anyway, so the backward moves no more bytes than the unfused one.

def NN_BnReluConv2dGradWeightOp : NN_Op<"bn_relu_conv2d_grad_weight", [Pure,
    AllTypesMatch<["mean", "invstd", "scale", "shift"]>]> {
  let summary = "conv2d_grad_weight(relu(bn_apply(x)), dy)";
  let arguments = (ins NN_FusedTensor:$input, NN_FusedTensor:$mean,
                       NN_FusedTensor:$invstd, NN_FusedTensor:$scale,
                       NN_FusedTensor:$shift, NN_FusedTensor:$grad_output,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_FusedTensor:$result);
  let assemblyFormat = [{
    $input `bn` `(` $mean `,` $invstd `,` $scale `,` $shift `)` `,`
    $grad_output `stride` $strides `pad` $padding `dilation` $dilation
    `groups` $groups attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BnReluApplyGradOp : NN_Op<"bn_relu_apply_grad", [Pure,
    AllTypesMatch<["grad_output", "input", "grad_input"]>,
    AllTypesMatch<["mean", "invstd", "scale", "shift", "grad_scale",
                   "grad_shift"]>]> {
  let summary = "(dx, dscale, dshift) of relu(batch_norm {training}(x))";
  let description = [{
    As nn.bn_relu_grad, but the ReLU mask is recomputed from x and the
    statistics ((x - mean)·invstd·scale + shift > 0) instead of read from a
    stored output. mean/invstd must be x's batch statistics.
  }];
  let arguments = (ins NN_FusedTensor:$grad_output, NN_FusedTensor:$input,
                       NN_FusedTensor:$mean, NN_FusedTensor:$invstd,
                       NN_FusedTensor:$scale, NN_FusedTensor:$shift);
  let results = (outs NN_FusedTensor:$grad_input, NN_FusedTensor:$grad_scale,
                      NN_FusedTensor:$grad_shift);
  let assemblyFormat = [{
    $grad_output `,` $input `bn` `(` $mean `,` $invstd `,` $scale `,` $shift
    `)` attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def NN_BnAddReluGradOp : NN_Op<"bn_add_relu_grad", [Pure,
    AllTypesMatch<["grad_output", "output", "input", "grad_input",
                   "grad_residual"]>,
    AllTypesMatch<["mean", "invstd", "scale", "grad_scale", "grad_shift"]>]> {
  let summary = "(dx, dresidual, dscale, dshift) of nn.bn_add_relu";
  let description = [{
    dresidual = dy·(output > 0) (the gradient of the add's both operands),
    then the BN gradient of it w.r.t. x, scale and shift, in one op: the
    mask is applied while the two BN reductions are accumulated.
  }];
  let arguments = (ins NN_FusedTensor:$grad_output, NN_FusedTensor:$output,
                       NN_FusedTensor:$input, NN_FusedTensor:$mean,
                       NN_FusedTensor:$invstd, NN_FusedTensor:$scale);
  let results = (outs NN_FusedTensor:$grad_input,
                      NN_FusedTensor:$grad_residual,
                      NN_FusedTensor:$grad_scale, NN_FusedTensor:$grad_shift);
  let assemblyFormat = [{
    $grad_output `,` $output `,` $input `bn` `(` $mean `,` $invstd `,` $scale
    `)` attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

// The BN-grad reductions fused into the conv-grad that produces their dy
// (a BN + ReLU whose only reader was one conv, so its output gradient is
// exactly that conv's grad_input): nn.relu_grad -> nn.batch_norm_grad of a
// prologue BN becomes the pair below instead of one nn.bn_relu_apply_grad,
// and the reductions pass over dy and x is taken while each chunk of dy is
// still in cache from the transposed conv that wrote it.

def NN_Conv2dGradInputBnSumsOp : NN_Op<"conv2d_grad_input_bn_sums", [Pure,
    AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["mean", "invstd", "scale", "shift", "grad_scale",
                   "grad_shift"]>]> {
  let summary = "conv2d_grad_input with the BN+ReLU backward's reductions";
  let description = [{
    `result` = conv2d_grad_input(grad_output, weight) (dy of a
    relu(batch_norm {training}(x)) that the conv read); with
    dz = dy·[(x - mean)·invstd·scale + shift > 0] (the ReLU mask recomputed
    from the BN input `input` and its batch statistics, as
    nn.bn_relu_apply_grad does), `grad_shift` = Σdz and `grad_scale` =
    Σdz·(x - mean)·invstd per channel (over N, H, W): the BN's parameter
    gradients, and the two sums its input gradient needs
    (nn.bn_relu_apply_grad_input). The kernel runs the transposed conv on
    chunks of images and accumulates a chunk's sums right after, while it
    is in cache, in a fixed order (deterministic). The sums are local: with
    synchronized BN they are not all-reduced here.
  }];
  let arguments = (ins NN_FusedTensor:$grad_output, NN_FusedTensor:$weight,
                       NN_FusedTensor:$input, NN_FusedTensor:$mean,
                       NN_FusedTensor:$invstd, NN_FusedTensor:$scale,
                       NN_FusedTensor:$shift,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_FusedTensor:$result, NN_FusedTensor:$grad_scale,
                      NN_FusedTensor:$grad_shift);
  let assemblyFormat = [{
    $grad_output `,` $weight `bn` `(` $input `,` $mean `,` $invstd `,` $scale
    `,` $shift `)` `stride` $strides `pad` $padding `dilation` $dilation
    `groups` $groups attr-dict `:` type($grad_output) `,` type($weight) `,`
    type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def NN_BnReluApplyGradInputOp : NN_Op<"bn_relu_apply_grad_input", [Pure,
    AllTypesMatch<["grad_output", "input", "grad_input"]>,
    AllTypesMatch<["mean", "invstd", "scale", "shift", "grad_scale",
                   "grad_shift"]>]> {
  let summary = "dx of relu(batch_norm {training}(x)) given its reductions";
  let description = [{
    nn.bn_relu_apply_grad's dx with its two reductions given (`grad_scale`
    = Σdz·x̂, `grad_shift` = Σdz, from nn.conv2d_grad_input_bn_sums): one
    pass over dy and x, dx = scale·invstd·(dz - Σdz/M - x̂·Σdz·x̂/M), M =
    N·H·W. With synchronized BN the kernel all-reduces the sums across
    replicas as nn.bn_relu_apply_grad does (it recomputes the local sums in
    double for that, so the synchronized step is unchanged).
  }];
  let arguments = (ins NN_FusedTensor:$grad_output, NN_FusedTensor:$input,
                       NN_FusedTensor:$mean, NN_FusedTensor:$invstd,
                       NN_FusedTensor:$scale, NN_FusedTensor:$shift,
                       NN_FusedTensor:$grad_scale, NN_FusedTensor:$grad_shift);
  let results = (outs NN_FusedTensor:$grad_input);
  let assemblyFormat = [{
    $grad_output `,` $input `bn` `(` $mean `,` $invstd `,` $scale `,` $shift
    `)` `sums` `(` $grad_scale `,` $grad_shift `)` attr-dict `:`
    type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

#endif // CARDINAL_NN_FUSED_OPS
