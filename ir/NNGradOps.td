//===- NNGradOps.td - backward and optimizer ops of the nn dialect -*- tablegen -*-===//
//
// Produced by --nn-autodiff (one VJP rule per forward op) and --nn-sgd. Kept
// in their own file so forward-only code does not see them.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_NN_GRAD_OPS
#define CARDINAL_NN_GRAD_OPS

include "ir/NNDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def NN_GradTensor : RankedTensorOf<[AnyFloat]>;

def NN_Conv2dGradInputOp : NN_Op<"conv2d_grad_input", [Pure]> {
  let summary = "d(input) of nn.conv2d: a transposed convolution of dy";
  let arguments = (ins NN_GradTensor:$grad_output, NN_GradTensor:$weight,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = [{
    $grad_output `,` $weight `stride` $strides `pad` $padding `dilation`
    $dilation `groups` $groups attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_Conv2dGradWeightOp : NN_Op<"conv2d_grad_weight", [Pure]> {
  let summary = "d(weight) of nn.conv2d: correlation of input and dy";
  let arguments = (ins NN_GradTensor:$input, NN_GradTensor:$grad_output,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad_output `stride` $strides `pad` $padding `dilation`
    $dilation `groups` $groups attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def NN_BiasGradOp : NN_Op<"bias_grad", [Pure]> {
  let summary = "sum of dy over every axis but 1 (conv and linear bias)";
  let arguments = (ins NN_GradTensor:$grad_output);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = "$grad_output attr-dict `:` type($grad_output) `->` type($result)";
  let hasVerifier = 1;
}

def NN_BatchNormGradOp : NN_Op<"batch_norm_grad", [Pure,
    AllTypesMatch<["grad_output", "input", "grad_input"]>,
    AllTypesMatch<["scale", "grad_scale", "grad_shift"]>]> {
  let summary = "(dx, dscale, dshift) of training-mode nn.batch_norm";
  let description = [{
    Recomputes the batch statistics of `input` (cheaper to store than to
    reload); dx = scale·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)).
  }];
  let arguments = (ins NN_GradTensor:$grad_output, NN_GradTensor:$input,
                       NN_GradTensor:$scale,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs NN_GradTensor:$grad_input, NN_GradTensor:$grad_scale,
                      NN_GradTensor:$grad_shift);
  let assemblyFormat = [{
    $grad_output `,` $input `,` $scale attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def NN_ReluGradOp : NN_Op<"relu_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "dy where the relu's output y > 0, else 0";
  let arguments = (ins NN_GradTensor:$grad_output, NN_GradTensor:$output);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = "$grad_output `,` $output attr-dict `:` type($result)";
}

def NN_SliceGradOp : NN_Op<"slice_grad", [Pure]> {
  let summary = "d(input) of nn.slice: dy placed at [start, start+size) of zeros";
  let arguments = (ins NN_GradTensor:$grad_output, I64Attr:$axis, I64Attr:$start);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = [{
    $grad_output `axis` $axis `start` $start attr-dict `:` type($grad_output)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_MaxPool2dGradOp : NN_Op<"max_pool2d_grad", [Pure]> {
  let summary = "d(input) of nn.max_pool2d: dy routed to each window's argmax";
  let arguments = (ins NN_GradTensor:$grad_output, NN_GradTensor:$input,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = [{
    $grad_output `,` $input `kernel` $kernel `stride` $strides `pad` $padding
    attr-dict `:` type($grad_output) `,` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_GlobalAvgPoolGradOp : NN_Op<"global_avg_pool_grad", [Pure]> {
  let summary = "d(input) of nn.global_avg_pool: dy / (H·W) broadcast";
  let arguments = (ins NN_GradTensor:$grad_output);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = "$grad_output attr-dict `:` type($grad_output) `->` type($result)";
  let hasVerifier = 1;
}

def NN_LinearGradInputOp : NN_Op<"linear_grad_input", [Pure]> {
  let summary = "dy W";
  let arguments = (ins NN_GradTensor:$grad_output, NN_GradTensor:$weight);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = "$grad_output `,` $weight attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_LinearGradWeightOp : NN_Op<"linear_grad_weight", [Pure]> {
  let summary = "dy^T x";
  let arguments = (ins NN_GradTensor:$input, NN_GradTensor:$grad_output);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = "$input `,` $grad_output attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def NN_SoftmaxCrossEntropyGradOp : NN_Op<"softmax_cross_entropy_grad", [Pure]> {
  let summary = "d(mean loss)/d(logits) = (softmax(logits) - onehot(labels)) / N";
  let arguments = (ins NN_GradTensor:$logits, RankedTensorOf<[AnySignlessInteger]>:$labels);
  let results = (outs NN_GradTensor:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_SgdUpdateOp : NN_Op<"sgd_update", [AllTypesMatch<["param", "grad"]>]> {
  let summary = "in-place SGD step of a parameter (momentum, weight decay)";
  let description = [{
    g' = g + weight_decay·w;  v = momentum·v + g';  w -= lr·v. The learning
    rate comes from the trainer's compiled schedule; `velocity` names the
    momentum buffer saved in checkpoints.
  }];
  let arguments = (ins NN_GradTensor:$param, NN_GradTensor:$grad,
                       StrAttr:$velocity, F64Attr:$momentum,
                       F64Attr:$weight_decay);
  let assemblyFormat = [{
    $param `,` $grad `velocity` $velocity attr-dict `:` type($param)
  }];
  let hasVerifier = 1;
}

#endif // CARDINAL_NN_GRAD_OPS
