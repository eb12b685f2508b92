// RUN: cardinal-opt %s -split-input-file -verify-diagnostics

// Verifiers of the conv-level training fusion's ops (--nn-fuse-conv-bn-relu):
// the conv rule, the BN rule on the statistics, result types, eps and
// momentum, static shapes.

func.func @stats_conv(%x: tensor<2x3x4x4xf32>, %w: tensor<4x2x1x1xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{input channels (dim 1 of 'input' = 3) must equal dim 1 of 'weight' (2) x groups (1) = 2}}
  %y, %m, %i = nn.conv2d_stats %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @stats_result(%x: tensor<2x3x4x4xf32>, %w: tensor<4x3x1x1xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'result' has type 'tensor<2x4x2x2xf32>' but the inferred type is 'tensor<2x4x4x4xf32>'}}
  %y, %m, %i = nn.conv2d_stats %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @stats_scale(%x: tensor<2x3x4x4xf32>, %w: tensor<4x3x1x1xf32>, %s: tensor<5xf32>) {
  // expected-error @+1 {{operand 'scale' has 5 channels but dim 1 of 'input' has 4}}
  %y, %m, %i = nn.conv2d_stats %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) -> (tensor<2x4x4x4xf32>, tensor<5xf32>, tensor<5xf32>)
  return
}

// -----

func.func @stats_mean_type(%x: tensor<2x3x4x4xf32>, %w: tensor<4x3x1x1xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{all of {scale, shift, running_mean, running_var, mean, invstd} have same type}}
  %y, %m, %i = nn.conv2d_stats %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4x4xf32>, tensor<3xf32>, tensor<4xf32>)
  return
}

// -----

func.func @stats_eps(%x: tensor<2x3x4x4xf32>, %w: tensor<4x3x1x1xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{attribute 'eps' must be > 0, got 0}}
  %y, %m, %i = nn.conv2d_stats %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 {eps = 0.0 : f64} : (tensor<2x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @stats_momentum(%x: tensor<2x3x4x4xf32>, %w: tensor<4x3x1x1xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{attribute 'momentum' must be in [0, 1], got 1.5}}
  %y, %m, %i = nn.conv2d_stats %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 {momentum = 1.5 : f64} : (tensor<2x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @stats_dynamic(%x: tensor<?x3x4x4xf32>, %w: tensor<4x3x1x1xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'input' must have a static shape, got 'tensor<?x3x4x4xf32>'}}
  %y, %m, %i = nn.conv2d_stats %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<?x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @prologue_bn(%x: tensor<2x8x4x4xf32>, %s: tensor<4xf32>, %w: tensor<4x8x1x1xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %y = nn.bn_relu_conv2d %x bn(%s, %s, %s, %s), %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x8x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4x8x1x1xf32>) -> tensor<2x4x4x4xf32>
  return
}

// -----

func.func @prologue_groups(%x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>, %w: tensor<8x2x3x3xf32>) {
  // expected-error @+1 {{input channels (dim 1 of 'input' = 8) must equal dim 1 of 'weight' (2) x groups (2) = 4}}
  %y = nn.bn_relu_conv2d %x bn(%s, %s, %s, %s), %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8x2x3x3xf32>) -> tensor<2x8x4x4xf32>
  return
}

// -----

func.func @prologue_result(%x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>, %w: tensor<4x8x1x1xf32>) {
  // expected-error @+1 {{'result' has type 'tensor<2x8x4x4xf32>' but the inferred type is 'tensor<2x4x4x4xf32>'}}
  %y = nn.bn_relu_conv2d %x bn(%s, %s, %s, %s), %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8x1x1xf32>) -> tensor<2x8x4x4xf32>
  return
}

// -----

func.func @add_relu_bn(%x: tensor<2x8x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %y = nn.bn_add_relu %x bn(%s, %s, %s, %s) residual %x : tensor<2x8x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @grad_weight_shape(%x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>, %dy: tensor<2x4x2x2xf32>) {
  // expected-error @+1 {{'grad_output' has type 'tensor<2x4x2x2xf32>' but the inferred type is 'tensor<2x4x4x4xf32>'}}
  %dw = nn.bn_relu_conv2d_grad_weight %x bn(%s, %s, %s, %s), %dy stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<2x4x2x2xf32>) -> tensor<4x8x1x1xf32>
  return
}

// -----

func.func @grad_weight_bn(%x: tensor<2x8x4x4xf32>, %s: tensor<4xf32>, %dy: tensor<2x4x4x4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %dw = nn.bn_relu_conv2d_grad_weight %x bn(%s, %s, %s, %s), %dy stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x8x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x4x4xf32>) -> tensor<4x8x1x1xf32>
  return
}

// -----

func.func @apply_grad_bn(%dy: tensor<2x8x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %dx, %ds, %dt = nn.bn_relu_apply_grad %dy, %dy bn(%s, %s, %s, %s) : tensor<2x8x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @add_relu_grad_bn(%dy: tensor<2x8x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %dx, %dr, %ds, %dt = nn.bn_add_relu_grad %dy, %dy, %dy bn(%s, %s, %s) : tensor<2x8x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @prologue_stats_bn(%x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>, %t: tensor<3xf32>, %w: tensor<4x8x1x1xf32>) {
  // expected-error @+1 {{operand 'scale' has 3 channels but dim 1 of 'input' has 4}}
  %y, %m, %i = nn.bn_relu_conv2d_stats %x bn(%s, %s, %s, %s), %w bn(%t, %t, %t, %t) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8x1x1xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x4x4x4xf32>, tensor<3xf32>, tensor<3xf32>)
  return
}

// -----

func.func @grad_input_sums_bn(%dz: tensor<2x4x4x4xf32>, %w: tensor<4x8x1x1xf32>, %x: tensor<2x8x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %dy, %ds, %dt = nn.conv2d_grad_input_bn_sums %dz, %w bn(%x, %s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : tensor<2x4x4x4xf32>, tensor<4x8x1x1xf32>, tensor<2x8x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @grad_input_sums_grad_output(%dz: tensor<2x4x2x2xf32>, %w: tensor<4x8x1x1xf32>, %x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'grad_output' has type 'tensor<2x4x2x2xf32>' but the inferred type is 'tensor<2x4x4x4xf32>'}}
  %dy, %ds, %dt = nn.conv2d_grad_input_bn_sums %dz, %w bn(%x, %s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : tensor<2x4x2x2xf32>, tensor<4x8x1x1xf32>, tensor<2x8x4x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @grad_input_sums_weight(%dz: tensor<2x4x4x4xf32>, %w: tensor<4x2x1x1xf32>, %x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{input channels (dim 1 of 'input' = 8) must equal dim 1 of 'weight' (2) x groups (2) = 4}}
  %dy, %ds, %dt = nn.conv2d_grad_input_bn_sums %dz, %w bn(%x, %s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 2 : tensor<2x4x4x4xf32>, tensor<4x2x1x1xf32>, tensor<2x8x4x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @grad_input_sums_static(%dz: tensor<2x4x4x4xf32>, %w: tensor<4x8x1x1xf32>, %x: tensor<?x8x4x4xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{operand 'input' must have a static shape, got 'tensor<?x8x4x4xf32>'}}
  %dy, %ds, %dt = nn.conv2d_grad_input_bn_sums %dz, %w bn(%x, %s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : tensor<2x4x4x4xf32>, tensor<4x8x1x1xf32>, tensor<?x8x4x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @grad_input_sums_result_type(%dz: tensor<2x4x4x4xf32>, %w: tensor<4x8x1x1xf32>, %x: tensor<2x8x4x4xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{all of {input, result} have same type}}
  %dy, %ds, %dt = "nn.conv2d_grad_input_bn_sums"(%dz, %w, %x, %s, %s, %s, %s) {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<2x4x4x4xf32>, tensor<4x8x1x1xf32>, tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x8x2x2xf32>, tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @apply_grad_input_bn(%dy: tensor<2x8x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %dx = nn.bn_relu_apply_grad_input %dy, %dy bn(%s, %s, %s, %s) sums(%s, %s) : tensor<2x8x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @apply_grad_input_sums_type(%dy: tensor<2x8x4x4xf32>, %s: tensor<8xf32>, %t: tensor<4xf32>) {
  // expected-error @+1 {{all of {mean, invstd, scale, shift, grad_scale, grad_shift} have same type}}
  %dx = "nn.bn_relu_apply_grad_input"(%dy, %dy, %s, %s, %s, %s, %t, %s) : (tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4xf32>, tensor<8xf32>) -> tensor<2x8x4x4xf32>
  return
}
