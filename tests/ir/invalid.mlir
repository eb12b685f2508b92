// RUN: cardinal-opt %s -split-input-file -allow-unregistered-dialect -verify-diagnostics

// One case per verifier diagnostic of the nn dialect. The substrings name the
// operand, attribute and dimension the way the shape rules do.
// (-allow-unregistered-dialect only serves the "must end in nn.yield" case:
// every registered terminator other than nn.yield is tied to its own parent.)

//===----------------------------------------------------------------------===//
// nn.input / nn.param / nn.state
//===----------------------------------------------------------------------===//

func.func @input_dynamic() {
  // expected-error @+1 {{'nn.input' op result #0 must be statically shaped tensor of any type values}}
  %0 = nn.input "image" : tensor<?x3x32x32xf32>
  return
}

// -----

func.func @param_unknown_init() {
  // expected-error @+1 {{'nn.param' op parameter 'conv1.weight' has unknown init 'glorot' (expected he_normal, linear_uniform, ones or zeros)}}
  %0 = nn.param "conv1.weight" init "glorot" : tensor<16x3x3x3xf32>
  return
}

// -----

func.func @param_empty_name() {
  // expected-error @+1 {{'nn.param' op needs a non-empty name}}
  %0 = nn.param "" init "he_normal" : tensor<16x3x3x3xf32>
  return
}

// -----

func.func @param_dynamic() {
  // expected-error @+1 {{'nn.param' op parameter 'fc.weight' must have a static shape}}
  %0 = nn.param "fc.weight" init "linear_uniform" : tensor<10x?xf32>
  return
}

// -----

func.func @param_integer() {
  // expected-error @+1 {{'nn.param' op result #0 must be ranked tensor of floating-point values}}
  %0 = nn.param "fc.weight" init "zeros" : tensor<10xi32>
  return
}

// -----

func.func @state_unknown_init() {
  // A parameter initializer is not a state initializer.
  // expected-error @+1 {{'nn.state' op state 'bn1.running_mean' has unknown init 'he_normal' (expected ones or zeros)}}
  %0 = nn.state "bn1.running_mean" init "he_normal" : tensor<16xf32>
  return
}

// -----

func.func @state_empty_name() {
  // expected-error @+1 {{'nn.state' op needs a non-empty name}}
  %0 = nn.state "" init "zeros" : tensor<16xf32>
  return
}

// -----

func.func @state_dynamic() {
  // expected-error @+1 {{'nn.state' op state 'bn1.running_var' must have a static shape}}
  %0 = nn.state "bn1.running_var" init "ones" : tensor<?xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.conv2d
//===----------------------------------------------------------------------===//

func.func @conv_input_rank(%x: tensor<4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op operand 'input' must be 4-D NCHW, got shape [4, 8, 8]}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_weight_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op operand 'weight' must be 4-D OIHW, got shape [4, 4, 3]}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_strides_length(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'strides' must have 2 entries (H, W), got 1}}
  %0 = nn.conv2d %x, %w stride [1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_strides_value(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'strides' entry 1 (W) must be >= 1, got 0}}
  %0 = nn.conv2d %x, %w stride [1, 0] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_padding_length(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'padding' must have 2 entries (H, W), got 4}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1, 1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_padding_value(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'padding' entry 0 (H) must be >= 0, got -1}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [-1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_dilation_length(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'dilation' must have 2 entries (H, W), got 0}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_dilation_value(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'dilation' entry 0 (H) must be >= 1, got 0}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [0, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'groups' must be >= 1, got 0}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 0 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_input_channels(%x: tensor<1x8x8x8xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op input channels (dim 1 of 'input' = 8) must equal dim 1 of 'weight' (2) x groups (2) = 4}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<1x8x8x8xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @conv_output_channels(%x: tensor<1x8x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op output channels (dim 0 of 'weight' = 6) must be divisible by groups (4)}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 4 : (tensor<1x8x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x8x8xf32>
  return
}

// -----

func.func @conv_bias_shape(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nn.conv2d' op operand 'bias' must have shape [8] (dim 0 of 'weight'), got [4]}}
  %0 = nn.conv2d %x, %w, %b stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @conv_bias_rank(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{'nn.conv2d' op operand 'bias' must have shape [8] (dim 0 of 'weight'), got [1, 8]}}
  %0 = nn.conv2d %x, %w, %b stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<1x8xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @conv_empty_height(%x: tensor<1x4x2x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op output height would be empty: input 2, kernel 3, pad 0, dilation 1}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x2x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x1x6xf32>
  return
}

// -----

func.func @conv_empty_width_dilated(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // A 3-tap kernel with dilation 4 spans 9 columns.
  // expected-error @+1 {{'nn.conv2d' op output width would be empty: input 8, kernel 3, pad 0, dilation 4}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 4] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x6x1xf32>
  return
}

// -----

func.func @conv_weight_element_type(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf16>) {
  // expected-error @+1 {{'nn.conv2d' op element type of 'weight' ('f16') differs from 'input' ('f32')}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf16>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_bias_element_type(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xbf16>) {
  // expected-error @+1 {{'nn.conv2d' op element type of 'bias' ('bf16') differs from 'input' ('f32')}}
  %0 = nn.conv2d %x, %w, %b stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xbf16>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_result_shape(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // Stride 2 halves H and W.
  // expected-error @+1 {{'nn.conv2d' op result type 'tensor<1x4x8x8xf32>' does not match the inferred type 'tensor<1x4x4x4xf32>'}}
  %0 = nn.conv2d %x, %w stride [2, 2] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_result_element_type(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op result type 'tensor<1x4x8x8xf16>' does not match the inferred type 'tensor<1x4x8x8xf32>'}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf16>
  return
}

// -----

func.func @conv_dynamic_input(%x: tensor<1x?x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op operand 'input' must have a static shape, got 'tensor<1x?x8x8xf32>'}}
  %0 = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x?x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_missing_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op requires attribute 'groups'}}
  %0 = "nn.conv2d"(%x, %w) <{strides = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_generic_strides(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'strides' entry 0 (H) must be >= 1, got -2}}
  %0 = "nn.conv2d"(%x, %w) <{strides = array<i64: -2, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.batch_norm
//===----------------------------------------------------------------------===//

func.func @bn_input_rank(%x: tensor<2x4x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op operand 'input' must be NxC or NxCxHxW, got shape [2, 4, 8]}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s : tensor<2x4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_scale_rank(%x: tensor<2x4x8x8xf32>, %s: tensor<4x1xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op operand 'scale' must be 1-D [C], got shape [4, 1]}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s : tensor<2x4x8x8xf32>, tensor<4x1xf32>
  return
}

// -----

func.func @bn_channels(%x: tensor<2x4x8x8xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op operand 'scale' has 3 channels but dim 1 of 'input' has 4}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s : tensor<2x4x8x8xf32>, tensor<3xf32>
  return
}

// -----

func.func @bn_element_type(%x: tensor<2x4xf32>, %s: tensor<4xf16>) {
  // expected-error @+1 {{'nn.batch_norm' op element type of 'scale' ('f16') differs from 'input' ('f32')}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s : tensor<2x4xf32>, tensor<4xf16>
  return
}

// -----

func.func @bn_dynamic(%x: tensor<?x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op operand 'input' must have a static shape, got 'tensor<?x4xf32>'}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s : tensor<?x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_eps_zero(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op attribute 'eps' must be > 0, got 0.000000e+00}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s {eps = 0.0 : f64} : tensor<2x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_eps_negative(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op attribute 'eps' must be > 0, got -1.000000e-05}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s {eps = -1.0e-5 : f64, training} : tensor<2x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_momentum_above(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op attribute 'momentum' must be in [0, 1], got 1.500000e+00}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s {momentum = 1.5 : f64, training} : tensor<2x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_momentum_below(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op attribute 'momentum' must be in [0, 1], got -1.000000e-01}}
  %0 = nn.batch_norm %x, %s, %s, %s, %s {momentum = -0.1 : f64} : tensor<2x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_result_type(%x: tensor<2x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op failed to verify that all of {input, result} have same type}}
  %0 = "nn.batch_norm"(%x, %s, %s, %s, %s) <{eps = 1.0e-5 : f64, momentum = 0.1 : f64}> : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @bn_stats_type(%x: tensor<2x4xf32>, %s: tensor<4xf32>, %v: tensor<4xf16>) {
  // expected-error @+1 {{'nn.batch_norm' op failed to verify that all of {scale, shift, running_mean, running_var} have same type}}
  %0 = "nn.batch_norm"(%x, %s, %s, %s, %v) <{eps = 1.0e-5 : f64, momentum = 0.1 : f64}> : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf16>) -> tensor<2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.relu / nn.add
//===----------------------------------------------------------------------===//

func.func @relu_result_type(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'nn.relu' op requires the same type for all operands and results}}
  %0 = "nn.relu"(%x) : (tensor<2x4xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @add_shapes(%x: tensor<2x4xf32>, %y: tensor<2x8xf32>) {
  // expected-error @+1 {{'nn.add' op requires the same type for all operands and results}}
  %0 = "nn.add"(%x, %y) : (tensor<2x4xf32>, tensor<2x8xf32>) -> tensor<2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.concat
//===----------------------------------------------------------------------===//

func.func @concat_no_operands() {
  // expected-error @+1 {{'nn.concat' op needs at least one operand}}
  %0 = nn.concat axis 1 : () -> tensor<2x4xf32>
  return
}

// -----

func.func @concat_axis_too_large(%x: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{'nn.concat' op attribute 'axis' (4) is out of range for rank 4}}
  %0 = nn.concat %x, %x axis 4 : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  return
}

// -----

func.func @concat_axis_negative(%x: tensor<2x4x8x8xf32>) {
  // expected-error @+1 {{'nn.concat' op attribute 'axis' (-1) is out of range for rank 4}}
  %0 = nn.concat %x, %x axis -1 : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x16xf32>
  return
}

// -----

func.func @concat_rank(%x: tensor<2x4x8x8xf32>, %y: tensor<2x4x64xf32>) {
  // expected-error @+1 {{'nn.concat' op operand #1 has rank 3 but operand #0 has rank 4}}
  %0 = nn.concat %x, %y axis 1 : (tensor<2x4x8x8xf32>, tensor<2x4x64xf32>) -> tensor<2x8x8x8xf32>
  return
}

// -----

func.func @concat_dim(%x: tensor<2x4x8x8xf32>, %y: tensor<2x4x4x8xf32>) {
  // expected-error @+1 {{'nn.concat' op operand #2 dim 2 is 4 but operand #0 dim 2 is 8 (only the concatenation axis 1 may differ)}}
  %0 = nn.concat %x, %x, %y axis 1 : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>, tensor<2x4x4x8xf32>) -> tensor<2x12x8x8xf32>
  return
}

// -----

func.func @concat_element_type(%x: tensor<2x4xf32>, %y: tensor<2x4xf16>) {
  // expected-error @+1 {{'nn.concat' op element type of 'operand #1' ('f16') differs from 'operand #0' ('f32')}}
  %0 = nn.concat %x, %y axis 1 : (tensor<2x4xf32>, tensor<2x4xf16>) -> tensor<2x8xf32>
  return
}

// -----

func.func @concat_dynamic(%x: tensor<2x4xf32>, %y: tensor<2x?xf32>) {
  // expected-error @+1 {{'nn.concat' op operand 'operand #1' must have a static shape, got 'tensor<2x?xf32>'}}
  %0 = nn.concat %x, %y axis 1 : (tensor<2x4xf32>, tensor<2x?xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @concat_result(%x: tensor<2x4x8x8xf32>, %y: tensor<2x12x8x8xf32>) {
  // expected-error @+1 {{'nn.concat' op result type 'tensor<2x4x8x8xf32>' does not match the inferred type 'tensor<2x16x8x8xf32>'}}
  %0 = nn.concat %x, %y axis 1 : (tensor<2x4x8x8xf32>, tensor<2x12x8x8xf32>) -> tensor<2x4x8x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.slice
//===----------------------------------------------------------------------===//

func.func @slice_axis(%x: tensor<2x12x8x8xf32>) {
  // expected-error @+1 {{'nn.slice' op attribute 'axis' (4) is out of range for rank 4}}
  %0 = nn.slice %x axis 4 start 0 size 4 : tensor<2x12x8x8xf32> -> tensor<2x12x8x8xf32>
  return
}

// -----

func.func @slice_axis_negative(%x: tensor<2x12x8x8xf32>) {
  // expected-error @+1 {{'nn.slice' op attribute 'axis' (-1) is out of range for rank 4}}
  %0 = nn.slice %x axis -1 start 0 size 4 : tensor<2x12x8x8xf32> -> tensor<2x12x8x4xf32>
  return
}

// -----

func.func @slice_past_end(%x: tensor<2x12x8x8xf32>) {
  // expected-error @+1 {{'nn.slice' op range [8, 16) is outside dim 1 of 'input' (size 12)}}
  %0 = nn.slice %x axis 1 start 8 size 8 : tensor<2x12x8x8xf32> -> tensor<2x8x8x8xf32>
  return
}

// -----

func.func @slice_negative_start(%x: tensor<2x12x8x8xf32>) {
  // expected-error @+1 {{'nn.slice' op range [-1, 3) is outside dim 1 of 'input' (size 12)}}
  %0 = nn.slice %x axis 1 start -1 size 4 : tensor<2x12x8x8xf32> -> tensor<2x4x8x8xf32>
  return
}

// -----

func.func @slice_empty(%x: tensor<2x12x8x8xf32>) {
  // expected-error @+1 {{'nn.slice' op range [4, 4) is outside dim 1 of 'input' (size 12)}}
  %0 = nn.slice %x axis 1 start 4 size 0 : tensor<2x12x8x8xf32> -> tensor<2x0x8x8xf32>
  return
}

// -----

func.func @slice_overflow(%x: tensor<2x12x8x8xf32>) {
  // start + size does not fit in int64: must not wrap into an accepted range.
  // expected-error @+1 {{'nn.slice' op range [9223372036854775807, 9223372036854775807 + 1) is outside dim 1 of 'input' (size 12)}}
  %0 = nn.slice %x axis 1 start 9223372036854775807 size 1 : tensor<2x12x8x8xf32> -> tensor<2x1x8x8xf32>
  return
}

// -----

func.func @slice_dynamic(%x: tensor<2x?xf32>) {
  // expected-error @+1 {{'nn.slice' op operand 'input' must have a static shape, got 'tensor<2x?xf32>'}}
  %0 = nn.slice %x axis 1 start 0 size 2 : tensor<2x?xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_result(%x: tensor<2x12x8x8xf32>) {
  // expected-error @+1 {{'nn.slice' op result type 'tensor<2x8x8x8xf32>' does not match the inferred type 'tensor<2x4x8x8xf32>'}}
  %0 = nn.slice %x axis 1 start 0 size 4 : tensor<2x12x8x8xf32> -> tensor<2x8x8x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.max_pool2d / nn.global_avg_pool
//===----------------------------------------------------------------------===//

func.func @max_pool_rank(%x: tensor<64x16x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op operand 'input' must be 4-D NCHW, got shape [64, 16, 16]}}
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] pad [1, 1] : tensor<64x16x16xf32> -> tensor<64x8x8xf32>
  return
}

// -----

func.func @max_pool_kernel_length(%x: tensor<1x64x16x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op attribute 'kernel' must have 2 entries (H, W), got 1}}
  %0 = nn.max_pool2d %x kernel [3] stride [2, 2] pad [1, 1] : tensor<1x64x16x16xf32> -> tensor<1x64x8x8xf32>
  return
}

// -----

func.func @max_pool_kernel_value(%x: tensor<1x64x16x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op attribute 'kernel' entry 1 (W) must be >= 1, got 0}}
  %0 = nn.max_pool2d %x kernel [3, 0] stride [2, 2] pad [0, 0] : tensor<1x64x16x16xf32> -> tensor<1x64x8x8xf32>
  return
}

// -----

func.func @max_pool_strides(%x: tensor<1x64x16x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op attribute 'strides' entry 0 (H) must be >= 1, got 0}}
  %0 = nn.max_pool2d %x kernel [3, 3] stride [0, 2] pad [1, 1] : tensor<1x64x16x16xf32> -> tensor<1x64x8x8xf32>
  return
}

// -----

func.func @max_pool_padding_length(%x: tensor<1x64x16x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op attribute 'padding' must have 2 entries (H, W), got 3}}
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] pad [1, 1, 1] : tensor<1x64x16x16xf32> -> tensor<1x64x8x8xf32>
  return
}

// -----

func.func @max_pool_too_much_padding(%x: tensor<1x64x16x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op padding (2) must be at most half the kernel (3)}}
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] pad [1, 2] : tensor<1x64x16x16xf32> -> tensor<1x64x8x9xf32>
  return
}

// -----

func.func @max_pool_empty(%x: tensor<1x64x16x2xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op output width would be empty: input 2, kernel 3, pad 0}}
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] pad [0, 0] : tensor<1x64x16x2xf32> -> tensor<1x64x7x1xf32>
  return
}

// -----

func.func @max_pool_dynamic(%x: tensor<1x64x?x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op operand 'input' must have a static shape, got 'tensor<1x64x?x16xf32>'}}
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] pad [1, 1] : tensor<1x64x?x16xf32> -> tensor<1x64x8x8xf32>
  return
}

// -----

func.func @max_pool_result(%x: tensor<1x64x16x16xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op result type 'tensor<1x64x16x16xf32>' does not match the inferred type 'tensor<1x64x8x8xf32>'}}
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] pad [1, 1] : tensor<1x64x16x16xf32> -> tensor<1x64x16x16xf32>
  return
}

// -----

func.func @global_avg_pool_rank(%x: tensor<2x64xf32>) {
  // expected-error @+1 {{'nn.global_avg_pool' op operand 'input' must be 4-D NCHW, got shape [2, 64]}}
  %0 = nn.global_avg_pool %x : tensor<2x64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @global_avg_pool_result(%x: tensor<2x64x7x7xf32>) {
  // expected-error @+1 {{'nn.global_avg_pool' op result type 'tensor<2x64x1x1xf32>' does not match the inferred type 'tensor<2x64xf32>'}}
  %0 = nn.global_avg_pool %x : tensor<2x64x7x7xf32> -> tensor<2x64x1x1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.linear / nn.softmax_cross_entropy
//===----------------------------------------------------------------------===//

func.func @linear_input_rank(%x: tensor<8x64x1x1xf32>, %w: tensor<10x64xf32>) {
  // expected-error @+1 {{'nn.linear' op operand 'input' must be 2-D NxI, got shape [8, 64, 1, 1]}}
  %0 = nn.linear %x, %w : (tensor<8x64x1x1xf32>, tensor<10x64xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<8x64xf32>, %w: tensor<640xf32>) {
  // expected-error @+1 {{'nn.linear' op operand 'weight' must be 2-D OxI, got shape [640]}}
  %0 = nn.linear %x, %w : (tensor<8x64xf32>, tensor<640xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<8x64xf32>, %w: tensor<10x32xf32>) {
  // expected-error @+1 {{'nn.linear' op input features (dim 1 of 'input' = 64) must equal dim 1 of 'weight' (32)}}
  %0 = nn.linear %x, %w : (tensor<8x64xf32>, tensor<10x32xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<8x64xf32>, %w: tensor<10x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{'nn.linear' op operand 'bias' must have shape [10] (dim 0 of 'weight'), got [64]}}
  %0 = nn.linear %x, %w, %b : (tensor<8x64xf32>, tensor<10x64xf32>, tensor<64xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_weight_element_type(%x: tensor<8x64xf32>, %w: tensor<10x64xf64>) {
  // expected-error @+1 {{'nn.linear' op element type of 'weight' ('f64') differs from 'input' ('f32')}}
  %0 = nn.linear %x, %w : (tensor<8x64xf32>, tensor<10x64xf64>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_bias_element_type(%x: tensor<8x64xf32>, %w: tensor<10x64xf32>, %b: tensor<10xf16>) {
  // expected-error @+1 {{'nn.linear' op element type of 'bias' ('f16') differs from 'input' ('f32')}}
  %0 = nn.linear %x, %w, %b : (tensor<8x64xf32>, tensor<10x64xf32>, tensor<10xf16>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_dynamic(%x: tensor<8x64xf32>, %w: tensor<?x64xf32>) {
  // expected-error @+1 {{'nn.linear' op operand 'weight' must have a static shape, got 'tensor<?x64xf32>'}}
  %0 = nn.linear %x, %w : (tensor<8x64xf32>, tensor<?x64xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<8x64xf32>, %w: tensor<10x64xf32>) {
  // expected-error @+1 {{'nn.linear' op result type 'tensor<8x64xf32>' does not match the inferred type 'tensor<8x10xf32>'}}
  %0 = nn.linear %x, %w : (tensor<8x64xf32>, tensor<10x64xf32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @loss_logits_rank(%y: tensor<8xf32>, %l: tensor<8xi64>) {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op operand 'logits' must be 2-D NxK, got shape [8]}}
  %0 = nn.softmax_cross_entropy %y, %l : tensor<8xf32>, tensor<8xi64> -> tensor<f32>
  return
}

// -----

func.func @loss_labels_rank(%y: tensor<8x10xf32>, %l: tensor<8x1xi64>) {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op operand 'labels' must be 1-D [N], got shape [8, 1]}}
  %0 = nn.softmax_cross_entropy %y, %l : tensor<8x10xf32>, tensor<8x1xi64> -> tensor<f32>
  return
}

// -----

func.func @loss_batch(%y: tensor<8x10xf32>, %l: tensor<4xi64>) {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op operand 'labels' has 4 entries but dim 0 of 'logits' (the batch) is 8}}
  %0 = nn.softmax_cross_entropy %y, %l : tensor<8x10xf32>, tensor<4xi64> -> tensor<f32>
  return
}

// -----

func.func @loss_result_element_type(%y: tensor<8x10xf32>, %l: tensor<8xi64>) {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op result type 'tensor<f16>' does not match the inferred type 'tensor<f32>'}}
  %0 = nn.softmax_cross_entropy %y, %l : tensor<8x10xf32>, tensor<8xi64> -> tensor<f16>
  return
}

// -----

func.func @loss_float_labels(%y: tensor<8x10xf32>, %l: tensor<8xf32>) {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op operand #1 must be ranked tensor of signless integer values}}
  %0 = nn.softmax_cross_entropy %y, %l : tensor<8x10xf32>, tensor<8xf32> -> tensor<f32>
  return
}

// -----

func.func @loss_dynamic(%y: tensor<?x10xf32>, %l: tensor<8xi64>) {
  // expected-error @+1 {{'nn.softmax_cross_entropy' op operand 'logits' must have a static shape, got 'tensor<?x10xf32>'}}
  %0 = nn.softmax_cross_entropy %y, %l : tensor<?x10xf32>, tensor<8xi64> -> tensor<f32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// nn.aggregate / nn.yield
//===----------------------------------------------------------------------===//

func.func @aggregate_cardinality(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'nn.aggregate' op attribute 'cardinality' must be >= 1, got 0}}
  %0 = nn.aggregate %x cardinality 0 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    nn.yield %in : tensor<1x8x4x4xf32>
  }
  return
}

// -----

func.func @aggregate_arg_type(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'nn.aggregate' op path template must take exactly one argument of the input's type 'tensor<1x8x4x4xf32>'}}
  %0 = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x2x2xf32> {
  ^bb0(%in: tensor<1x8x2x2xf32>):
    nn.yield %in : tensor<1x8x2x2xf32>
  }
  return
}

// -----

func.func @aggregate_arg_count(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'nn.aggregate' op path template must take exactly one argument of the input's type 'tensor<1x8x4x4xf32>'}}
  %0 = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>, %extra: tensor<1x8x4x4xf32>):
    nn.yield %in : tensor<1x8x4x4xf32>
  }
  return
}

// -----

func.func @aggregate_yield_type(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'nn.aggregate' op path template yields 'tensor<1x8x4x4xf32>' but the aggregate's result type is 'tensor<1x16x4x4xf32>'}}
  %0 = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x16x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %r = nn.relu %in : tensor<1x8x4x4xf32>
    nn.yield %r : tensor<1x8x4x4xf32>
  }
  return
}

// -----

func.func @aggregate_nested_yield_type(%x: tensor<1x8x4x4xf32>) {
  %0 = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    // expected-error @+1 {{'nn.aggregate' op path template yields 'tensor<1x8x4x4xf32>' but the aggregate's result type is 'tensor<1x8x2x2xf32>'}}
    %1 = nn.aggregate %in cardinality 4 : tensor<1x8x4x4xf32> -> tensor<1x8x2x2xf32> {
    ^bb0(%in2: tensor<1x8x4x4xf32>):
      nn.yield %in2 : tensor<1x8x4x4xf32>
    }
    nn.yield %in : tensor<1x8x4x4xf32>
  }
  return
}

// -----

func.func @aggregate_terminator(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'nn.aggregate' op path template must end in nn.yield}}
  %0 = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    "test.terminator"(%in) : (tensor<1x8x4x4xf32>) -> ()
  }
  return
}

// -----

func.func @aggregate_isolated(%x: tensor<1x8x4x4xf32>, %y: tensor<1x8x4x4xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %0 = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %s = nn.add %in, %y : tensor<1x8x4x4xf32>
    nn.yield %s : tensor<1x8x4x4xf32>
  }
  return
}

// -----

func.func @yield_outside_aggregate(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'nn.yield' op expects parent op 'nn.aggregate'}}
  nn.yield %x : tensor<1x8x4x4xf32>
}
