// RUN: cardinal-opt %s -split-input-file --nn-fuse-conv-bn-relu | FileCheck %s

// The pass alone on hand-written graphs (see fuse-conv-bn-relu.mlir for
// graphs from --nn-autodiff).

// Eval-mode BN is --nn-fold-bn's business: untouched.
// CHECK-LABEL: func.func @eval_mode()
// CHECK-NOT: nn.bn_train_relu
// CHECK: nn.batch_norm
// CHECK-NEXT: nn.relu
func.func @eval_mode() -> tensor<2x4x5x5xf32> {
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %x, %g, %b, %m, %v : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  return %r : tensor<2x4x5x5xf32>
}

// -----

// The forward pair fuses; the backward pair does not, because the relu_grad
// result is also returned (its value must survive). The unfused relu_grad
// then reads the fused op's output, and batch_norm_grad stays.
// CHECK-LABEL: func.func @relu_grad_two_users
// CHECK: %[[Y:.*]] = nn.bn_train_relu %[[X:[^,]*]], %[[S:[^,]*]],
// CHECK: %[[G:.*]] = nn.relu_grad %{{.*}}, %[[Y]]
// CHECK: nn.batch_norm_grad %[[G]], %[[X]], %[[S]]
// CHECK-NOT: nn.bn_relu_grad
func.func @relu_grad_two_users(%dy: tensor<2x4x5x5xf32>) -> (tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>) {
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %x, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %gr = nn.relu_grad %dy, %r : tensor<2x4x5x5xf32>
  %dx, %ds, %dt = nn.batch_norm_grad %gr, %x, %g : tensor<2x4x5x5xf32>, tensor<4xf32>
  return %r, %gr, %dx : tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>
}

// -----

// A batch_norm_grad with a different eps is not this BN's gradient: no
// backward fusion.
// CHECK-LABEL: func.func @eps_mismatch
// CHECK: nn.bn_train_relu
// CHECK: nn.relu_grad
// CHECK: nn.batch_norm_grad
// CHECK-NOT: nn.bn_relu_grad
func.func @eps_mismatch(%dy: tensor<2x4x5x5xf32>) -> (tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>) {
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %x, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %gr = nn.relu_grad %dy, %r : tensor<2x4x5x5xf32>
  %dx, %ds, %dt = nn.batch_norm_grad %gr, %x, %g {eps = 1.0e-3 : f64} : tensor<2x4x5x5xf32>, tensor<4xf32>
  return %r, %dx : tensor<2x4x5x5xf32>, tensor<2x4x5x5xf32>
}

// -----

// The conv-level fusion on a forward-only training graph (no backward):
// conv -> BN {training} -> relu -> conv.
// CHECK-LABEL: func.func @prologue_forward_only
// CHECK: %[[Y:[^,]*]], %[[M:[^,]*]], %[[I:[^ ]*]] = nn.conv2d_stats
// CHECK-NEXT: %[[Z:.*]] = nn.bn_relu_conv2d %[[Y]] bn(%[[M]], %[[I]],
// CHECK-NEXT: return %[[Z]]
func.func @prologue_forward_only() -> tensor<2x4x5x5xf32> {
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %z = nn.conv2d %r, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  return %z : tensor<2x4x5x5xf32>
}

// -----

// Eval-mode BN between two convs: untouched (no statistics to accumulate).
// CHECK-LABEL: func.func @prologue_eval_mode
// CHECK-NOT: nn.conv2d_stats
// CHECK-NOT: nn.bn_relu_conv2d
// CHECK: nn.batch_norm
func.func @prologue_eval_mode() -> tensor<2x4x5x5xf32> {
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %z = nn.conv2d %r, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  return %z : tensor<2x4x5x5xf32>
}
