// RUN: cardinal-opt %s -split-input-file -verify-diagnostics

// Backward ops are checked against the forward shape rule they invert.

func.func @conv_grad_input(%dy: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'grad_output' has shape [1, 8, 4, 4] but the forward op would produce [1, 8, 2, 2]}}
  %dx = nn.conv2d_grad_input %dy, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @conv_grad_input_channels(%dy: tensor<1x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{input channels (dim 1 of 'input' = 6) must equal dim 1 of 'weight' (4) x groups (1) = 4}}
  %dx = nn.conv2d_grad_input %dy, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x6x4x4xf32>
  return
}

// -----

func.func @conv_grad_weight(%x: tensor<1x4x4x4xf32>, %dy: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'grad_output' has shape [1, 8, 4, 4] but the forward op would produce [1, 6, 4, 4]}}
  %dw = nn.conv2d_grad_weight %x, %dy stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<6x4x3x3xf32>
  return
}

// -----

func.func @bias_grad(%dy: tensor<2x8x4x4xf32>) {
  // expected-error @+1 {{result must have shape [8]}}
  %db = nn.bias_grad %dy : tensor<2x8x4x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @bias_grad_rank(%dy: tensor<8xf32>) {
  // expected-error @+1 {{'grad_output' needs a channel dimension}}
  %db = nn.bias_grad %dy : tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @batch_norm_grad(%dy: tensor<2x8x4x4xf32>, %x: tensor<2x8x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %dx, %ds, %db = nn.batch_norm_grad %dy, %x, %s : tensor<2x8x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @slice_grad(%dy: tensor<1x4x2x2xf32>) {
  // expected-error @+1 {{range [6, 10) is outside dim 1 of 'input' (size 8)}}
  %dx = nn.slice_grad %dy axis 1 start 6 : tensor<1x4x2x2xf32> -> tensor<1x8x2x2xf32>
  return
}

// -----

func.func @slice_grad_axis(%dy: tensor<1x4x2x2xf32>) {
  // expected-error @+1 {{attribute 'axis' is out of range}}
  %dx = nn.slice_grad %dy axis 4 start 0 : tensor<1x4x2x2xf32> -> tensor<1x8x2x2xf32>
  return
}

// -----

func.func @max_pool_grad(%dy: tensor<1x4x4x4xf32>, %x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{result must have the input's type}}
  %dx = nn.max_pool2d_grad %dy, %x kernel [2, 2] stride [2, 2] pad [0, 0] : tensor<1x4x4x4xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_grad_shape(%dy: tensor<1x4x3x3xf32>, %x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'grad_output' has shape [1, 4, 3, 3] but the forward op would produce [1, 4, 4, 4]}}
  %dx = nn.max_pool2d_grad %dy, %x kernel [2, 2] stride [2, 2] pad [0, 0] : tensor<1x4x3x3xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @gap_grad(%dy: tensor<2x4xf32>) {
  // expected-error @+1 {{'grad_output' has shape [2, 4] but the forward op would produce [2, 8]}}
  %dx = nn.global_avg_pool_grad %dy : tensor<2x4xf32> -> tensor<2x8x3x3xf32>
  return
}

// -----

func.func @linear_grad_input(%dy: tensor<2x3xf32>, %w: tensor<3x4xf32>) {
  // expected-error @+1 {{input features (dim 1 of 'input' = 5) must equal dim 1 of 'weight' (4)}}
  %dx = nn.linear_grad_input %dy, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @linear_grad_weight(%x: tensor<2x4xf32>, %dy: tensor<2x3xf32>) {
  // expected-error @+1 {{'grad_output' has shape [2, 3] but the forward op would produce [2, 5]}}
  %dw = nn.linear_grad_weight %x, %dy : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<5x4xf32>
  return
}

// -----

func.func @sce_grad(%l: tensor<2x3xf32>, %y: tensor<3xi32>) {
  // expected-error @+1 {{operand 'labels' has 3 entries but dim 0 of 'logits' (the batch) is 2}}
  %d = nn.softmax_cross_entropy_grad %l, %y : tensor<2x3xf32>, tensor<3xi32> -> tensor<2x3xf32>
  return
}

// -----

func.func @sce_grad_type(%l: tensor<2x3xf32>, %y: tensor<2xi32>) {
  // expected-error @+1 {{result must have the logits' type}}
  %d = nn.softmax_cross_entropy_grad %l, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<2x4xf32>
  return
}

// -----

func.func @sgd_momentum() {
  %w = nn.param "w" init "zeros" : tensor<4xf32>
  %g = nn.param "g" init "zeros" : tensor<4xf32>
  // expected-error @+1 {{attribute 'momentum' must be in [0, 1), got 1}}
  nn.sgd_update %w, %g velocity "w.velocity" {momentum = 1.0 : f64, weight_decay = 0.0 : f64} : tensor<4xf32>
  return
}

// -----

func.func @sgd_decay() {
  %w = nn.param "w" init "zeros" : tensor<4xf32>
  %g = nn.param "g" init "zeros" : tensor<4xf32>
  // expected-error @+1 {{attribute 'weight_decay' must be >= 0, got -1}}
  nn.sgd_update %w, %g velocity "w.velocity" {momentum = 0.9 : f64, weight_decay = -1.0 : f64} : tensor<4xf32>
  return
}

// -----

func.func @sgd_param(%w: tensor<4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'param' must be an nn.param}}
  nn.sgd_update %w, %g velocity "w.velocity" {momentum = 0.9 : f64, weight_decay = 0.0 : f64} : tensor<4xf32>
  return
}

// -----

// Fused training BN ops.
func.func @bn_train_relu(%x: tensor<2x8x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{operand 'scale' has 4 channels but dim 1 of 'input' has 8}}
  %y = nn.bn_train_relu %x, %s, %s, %s, %s : tensor<2x8x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_train_relu_momentum(%x: tensor<2x4x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{attribute 'momentum' must be in [0, 1], got 2}}
  %y = nn.bn_train_relu %x, %s, %s, %s, %s {momentum = 2.0 : f64} : tensor<2x4x4x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @bn_relu_grad_eps(%dy: tensor<2x4x4x4xf32>, %x: tensor<2x4x4x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{attribute 'eps' must be > 0, got 0}}
  %dx, %ds, %db = nn.bn_relu_grad %dy, %x, %x, %s {eps = 0.0 : f64} : tensor<2x4x4x4xf32>, tensor<4xf32>
  return
}
