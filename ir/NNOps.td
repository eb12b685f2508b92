//===- NNOps.td - nn dialect operations -------------------*- tablegen -*-===//
#ifndef CARDINAL_NN_OPS
#define CARDINAL_NN_OPS

include "ir/NNDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/OpBase.td"

def NN_Tensor : RankedTensorOf<[AnyFloat]>;
def NN_Labels : RankedTensorOf<[AnySignlessInteger]>;

//===----------------------------------------------------------------------===//
// Graph values
//===----------------------------------------------------------------------===//

def NN_InputOp : NN_Op<"input", [Pure]> {
  let summary = "a named graph input (images, labels)";
  let arguments = (ins StrAttr:$name);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def NN_ParamOp : NN_Op<"param", [Pure]> {
  let summary = "a named trainable parameter";
  let description = [{
    `init` is one of `he_normal` (MSR init, fan-out, as in the paper),
    `linear_uniform` (U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the fc default),
    `ones`, `zeros`. Inside an `nn.aggregate` the parameter belongs to the path
    template: each of the C paths owns its own copy.
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$init);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$name `init` $init attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_StateOp : NN_Op<"state", [Pure]> {
  let summary = "named non-trainable state (BN running statistics)";
  let arguments = (ins StrAttr:$name, StrAttr:$init);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$name `init` $init attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def NN_Conv2dOp : NN_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution, NCHW input, OIHW weight (I = in channels / groups)";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $strides `pad` $padding
    `dilation` $dilation `groups` $groups attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::Value":$weight,
                   "::mlir::Value":$bias, "int64_t":$stride, "int64_t":$pad,
                   "int64_t":$groups)>
  ];
  let hasVerifier = 1;
}

def NN_BatchNormOp : NN_Op<"batch_norm", [Pure,
    AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["scale", "shift", "running_mean", "running_var"]>]> {
  let summary = "per-channel batch normalization (affine)";
  let description = [{
    In training mode normalizes with batch statistics and updates the running
    statistics (`running_mean`, `running_var` are `nn.state` values) with
    `momentum`; in eval mode normalizes with the running statistics.
  }];
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$scale, NN_Tensor:$shift,
                       NN_Tensor:$running_mean, NN_Tensor:$running_var,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum,
                       UnitAttr:$training);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $shift `,` $running_mean `,` $running_var attr-dict
    `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def NN_ReluOp : NN_Op<"relu", [Pure, SameOperandsAndResultType]> {
  let summary = "max(x, 0)";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def NN_AddOp : NN_Op<"add", [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "element-wise sum of two same-shaped tensors";
  let arguments = (ins NN_Tensor:$lhs, NN_Tensor:$rhs);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def NN_ConcatOp : NN_Op<"concat", [Pure]> {
  let summary = "concatenation along `axis` (channels: axis 1)";
  let arguments = (ins Variadic<NN_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` $axis attr-dict `:` functional-type($inputs, $result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::ValueRange":$inputs, "int64_t":$axis)>
  ];
  let hasVerifier = 1;
}

def NN_SliceOp : NN_Op<"slice", [Pure]> {
  let summary = "the [start, start + size) range of `axis`";
  let arguments = (ins NN_Tensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$size);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `axis` $axis `start` $start `size` $size attr-dict `:`
    type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "int64_t":$axis, "int64_t":$start,
                   "int64_t":$size)>
  ];
  let hasVerifier = 1;
}

def NN_MaxPool2dOp : NN_Op<"max_pool2d", [Pure]> {
  let summary = "2-D max pooling (padding counts as -inf)";
  let arguments = (ins NN_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `kernel` $kernel `stride` $strides `pad` $padding attr-dict `:`
    type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "int64_t":$kernel, "int64_t":$stride,
                   "int64_t":$pad)>
  ];
  let hasVerifier = 1;
}

def NN_GlobalAvgPoolOp : NN_Op<"global_avg_pool", [Pure]> {
  let summary = "mean over H and W: NxCxHxW -> NxC";
  let arguments = (ins NN_Tensor:$input);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let builders = [OpBuilder<(ins "::mlir::Value":$input)>];
  let hasVerifier = 1;
}

def NN_LinearOp : NN_Op<"linear", [Pure]> {
  let summary = "x W^T + b: NxI input, OxI weight, O bias";
  let arguments = (ins NN_Tensor:$input, NN_Tensor:$weight,
                       Optional<NN_Tensor>:$bias);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::Value":$weight,
                   "::mlir::Value":$bias)>
  ];
  let hasVerifier = 1;
}

def NN_SoftmaxCrossEntropyOp : NN_Op<"softmax_cross_entropy", [Pure]> {
  let summary = "mean over the batch of -log softmax(logits)[label]";
  let arguments = (ins NN_Tensor:$logits, NN_Labels:$labels);
  let results = (outs 0DTensorOf<[AnyFloat]>:$loss);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($loss)
  }];
  let builders = [OpBuilder<(ins "::mlir::Value":$logits, "::mlir::Value":$labels)>];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def NN_AggregateOp : NN_Op<"aggregate", [RecursiveMemoryEffects,
    IsolatedFromAbove, SingleBlock]> {
  let summary = "sum_{i<C} T_i(x): C same-shaped paths with their own parameters";
  let description = [{
    The region holds one path template T: its single block takes the
    aggregate's input and ends in `nn.yield`. Every `nn.param`/`nn.state` in
    the template is instantiated once per path. Forms (a), (b) and (c) of the
    paper are three lowerings of this op.
  }];
  let arguments = (ins NN_Tensor:$input, I64Attr:$cardinality);
  let results = (outs NN_Tensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $input `cardinality` $cardinality attr-dict `:` type($input) `->`
    type($result) $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The value the path template yields.
    ::mlir::Value getPathResult();
  }];
}

def NN_YieldOp : NN_Op<"yield", [Pure, Terminator, ReturnLike,
    HasParent<"AggregateOp">]> {
  let summary = "the result of one path of an nn.aggregate";
  let arguments = (ins NN_Tensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // CARDINAL_NN_OPS
