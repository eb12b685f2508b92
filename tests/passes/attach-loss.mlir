// RUN: cardinal-opt %s -split-input-file -verify-diagnostics --nn-attach-loss | FileCheck %s

// The logits gain a labels input and a loss; BN switches to batch statistics.
// CHECK-LABEL: func.func @m() -> (tensor<f32>, tensor<2x3xf32>)
// CHECK-NEXT: %[[LABELS:.*]] = nn.input "labels" : tensor<2xi32>
// CHECK: nn.batch_norm {{.*}} {training}
// CHECK: %[[LOGITS:.*]] = nn.linear
// CHECK-NEXT: %[[LOSS:.*]] = nn.softmax_cross_entropy %[[LOGITS]], %[[LABELS]] : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
// CHECK-NEXT: return %[[LOSS]], %[[LOGITS]] : tensor<f32>, tensor<2x3xf32>
func.func @m() -> tensor<2x3xf32> {
  %x = nn.input "image" : tensor<2x4xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %x, %g, %b, %m, %v : tensor<2x4xf32>, tensor<4xf32>
  %w = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %n, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return %l : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{nn-attach-loss: 'not_logits' must return exactly one NxK logits tensor}}
func.func @not_logits() -> tensor<2x4x3x3xf32> {
  %x = nn.input "image" : tensor<2x4x3x3xf32>
  return %x : tensor<2x4x3x3xf32>
}
