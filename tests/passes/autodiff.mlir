// RUN: cardinal-opt %s -split-input-file -verify-diagnostics --nn-autodiff | FileCheck %s

// One VJP per op, in reverse order; a value used twice (the residual input)
// gets the sum of both gradients; inputs get none.
// CHECK-LABEL: func.func @block()
// CHECK-SAME: -> (tensor<f32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3x4xf32>)
// CHECK-SAME: attributes {nn.grads = ["c.weight", "bn.scale", "bn.shift", "fc.weight"]}
// CHECK: %[[LOSS:.*]] = nn.softmax_cross_entropy
// CHECK-NEXT: %[[DL:.*]] = nn.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DP:.*]] = nn.linear_grad_input %[[DL]], %{{.*}} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[DFW:.*]] = nn.linear_grad_weight %{{.*}}, %[[DL]] : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<3x4xf32>
// CHECK-NEXT: %[[DR:.*]] = nn.global_avg_pool_grad %[[DP]] : tensor<2x4xf32> -> tensor<2x4x5x5xf32>
// CHECK-NEXT: %[[DS:.*]] = nn.relu_grad %[[DR]], %{{.*}} : tensor<2x4x5x5xf32>
// CHECK-NEXT: %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = nn.batch_norm_grad %[[DS]], %{{.*}}, %{{.*}} : tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK-NEXT: %[[DW:.*]] = nn.conv2d_grad_weight %{{.*}}, %[[DX]] stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x9x9xf32>, tensor<2x4x5x5xf32>) -> tensor<4x4x3x3xf32>
// CHECK-NOT: conv2d_grad_input
// CHECK: return %[[LOSS]], %[[DW]], %[[DG]], %[[DB]], %[[DFW]]
func.func @block() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x8x9x9xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x3x3xf32>
  %c = nn.conv2d %x, %w stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x9x9xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %r : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A value with two uses: its gradient is the sum of both contributions.
// CHECK-LABEL: func.func @residual()
// CHECK: %[[DY:.*]] = nn.softmax_cross_entropy_grad
// CHECK: %[[DA:.*]] = nn.relu_grad %[[DY]]
// CHECK: %[[SUM:.*]] = nn.add %[[DY]], %[[DA]] : tensor<2x3xf32>
// CHECK: nn.linear_grad_weight %{{.*}}, %[[SUM]]
func.func @residual() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "x" : tensor<2x4xf32>
  %w = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %h = nn.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %r = nn.relu %h : tensor<2x3xf32>
  %s = nn.add %h, %r : tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %s, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// expected-error @+1 {{nn-autodiff: the first result of 'no_loss' must be an nn.softmax_cross_entropy loss}}
func.func @no_loss() -> (tensor<2x3xf32>) {
  %x = nn.input "x" : tensor<2x4xf32>
  %w = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %h = nn.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return %h : tensor<2x3xf32>
}

// -----

func.func @eval_bn() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "x" : tensor<2x3xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<3xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<3xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<3xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<3xf32>
  // expected-error @+1 {{nn-autodiff: batch norm in eval mode}}
  %n = nn.batch_norm %x, %g, %b, %m, %v : tensor<2x3xf32>, tensor<3xf32>
  %loss = nn.softmax_cross_entropy %n, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

func.func @aggregate() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "x" : tensor<2x3xf32>
  // expected-error @+1 {{nn-autodiff: lower nn.aggregate first}}
  %a = nn.aggregate %x cardinality 2 : tensor<2x3xf32> -> tensor<2x3xf32> {
  ^bb0(%in: tensor<2x3xf32>):
    %r = nn.relu %in : tensor<2x3xf32>
    nn.yield %r : tensor<2x3xf32>
  }
  %loss = nn.softmax_cross_entropy %a, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
