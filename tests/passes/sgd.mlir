// RUN: cardinal-opt %s -split-input-file -verify-diagnostics --nn-sgd="momentum=0.9 weight-decay=5e-4 no-bn-decay=true" | FileCheck %s

// Each gradient feeds an in-place update and leaves the results; BN's
// affine parameters get no weight decay with no-bn-decay.
// CHECK-LABEL: func.func @step() -> tensor<f32>
// CHECK-SAME: nn.optimizer = "sgd"
// CHECK: nn.sgd_update %[[W:.*]], %[[DW:.*]] velocity "fc.weight.velocity" {momentum = 9.000000e-01 : f64, weight_decay = 5.000000e-04 : f64} : tensor<3x4xf32>
// CHECK-NEXT: nn.sgd_update %{{.*}}, %{{.*}} velocity "bn.scale.velocity" {momentum = 9.000000e-01 : f64, weight_decay = 0.000000e+00 : f64} : tensor<4xf32>
// CHECK-NEXT: return %{{.*}} : tensor<f32>
func.func @step() -> (tensor<f32>, tensor<3x4xf32>, tensor<4xf32>) attributes {nn.grads = ["fc.weight", "bn.scale"]} {
  %labels = nn.input "labels" : tensor<2xi32>
  %w = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %s = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %x = nn.input "x" : tensor<2x4xf32>
  %l = nn.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  %dl = nn.softmax_cross_entropy_grad %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<2x3xf32>
  %dw = nn.linear_grad_weight %x, %dl : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<3x4xf32>
  return %loss, %dw, %s : tensor<f32>, tensor<3x4xf32>, tensor<4xf32>
}

// -----

// expected-error @+1 {{nn-sgd: 'no_grads' has no gradients (run --nn-autodiff first)}}
func.func @no_grads() -> tensor<2x4xf32> {
  %x = nn.input "x" : tensor<2x4xf32>
  return %x : tensor<2x4xf32>
}
