// RUN: cardinal-opt %s -split-input-file -verify-diagnostics

// The verifier of nn.conv2d_bn_act: the conv rule, the BN rule, the
// residual's type, eps.

func.func @bad_conv(%x: tensor<1x3x4x4xf32>, %w: tensor<2x2x1x1xf32>, %s: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @+1 {{'nn.conv2d_bn_act' op}}
  %y = nn.conv2d_bn_act %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @bad_bn(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %s: tensor<3xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @+1 {{'nn.conv2d_bn_act' op}}
  %y = nn.conv2d_bn_act %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @bad_result(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %s: tensor<2xf32>) -> tensor<1x2x2x2xf32> {
  // expected-error @+1 {{result type 'tensor<1x2x2x2xf32>' does not match the inferred type 'tensor<1x2x4x4xf32>'}}
  %y = nn.conv2d_bn_act %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

func.func @bad_residual(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %s: tensor<2xf32>, %r: tensor<1x2x2x2xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @+1 {{'residual' has type 'tensor<1x2x2x2xf32>' but the result has type 'tensor<1x2x4x4xf32>'}}
  %y = nn.conv2d_bn_act %x, %w bn(%s, %s, %s, %s) residual %r stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @bad_eps(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %s: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @+1 {{attribute 'eps' must be > 0, got 0}}
  %y = nn.conv2d_bn_act %x, %w bn(%s, %s, %s, %s) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 {eps = 0.0 : f64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
