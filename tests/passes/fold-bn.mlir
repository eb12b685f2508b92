// RUN: cardinal-opt %s -split-input-file --nn-fold-bn | FileCheck %s
// RUN: cardinal-opt %s -split-input-file --nn-fold-bn | cardinal-opt -split-input-file --nn-fold-bn | FileCheck %s --check-prefix=IDEM

// The bottleneck shape: conv -> BN -> relu, conv -> BN -> add -> relu.
// CHECK-LABEL: func.func @block
// CHECK: %[[X:.*]] = nn.input "x"
// CHECK: %[[A:.*]] = nn.conv2d_bn_act %[[X]], %{{.*}} bn(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 {relu} :
// CHECK: %{{.*}} = nn.conv2d_bn_act %[[A]], %{{.*}} bn(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) residual %[[X]] stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 {relu} :
// CHECK-NOT: nn.batch_norm
// CHECK-NOT: nn.relu
// CHECK-NOT: nn.add
// CHECK-NOT: nn.conv2d %
// IDEM-LABEL: func.func @block
// IDEM-COUNT-2: nn.conv2d_bn_act
func.func @block() -> tensor<2x4x5x5xf32> {
  %x = nn.input "x" : tensor<2x4x5x5xf32>
  %w1 = nn.param "c1.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %s1 = nn.param "b1.scale" init "ones" : tensor<4xf32>
  %t1 = nn.param "b1.shift" init "zeros" : tensor<4xf32>
  %m1 = nn.state "b1.running_mean" init "zeros" : tensor<4xf32>
  %v1 = nn.state "b1.running_var" init "ones" : tensor<4xf32>
  %c1 = nn.conv2d %x, %w1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %n1 = nn.batch_norm %c1, %s1, %t1, %m1, %v1 : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r1 = nn.relu %n1 : tensor<2x4x5x5xf32>
  %w2 = nn.param "c2.weight" init "he_normal" : tensor<4x2x3x3xf32>
  %s2 = nn.param "b2.scale" init "ones" : tensor<4xf32>
  %t2 = nn.param "b2.shift" init "zeros" : tensor<4xf32>
  %m2 = nn.state "b2.running_mean" init "zeros" : tensor<4xf32>
  %v2 = nn.state "b2.running_var" init "ones" : tensor<4xf32>
  %c2 = nn.conv2d %r1, %w2 stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x5x5xf32>
  %n2 = nn.batch_norm %c2, %s2, %t2, %m2, %v2 : tensor<2x4x5x5xf32>, tensor<4xf32>
  %a2 = nn.add %x, %n2 : tensor<2x4x5x5xf32>
  %r2 = nn.relu %a2 : tensor<2x4x5x5xf32>
  return %r2 : tensor<2x4x5x5xf32>
}

// -----

// conv -> BN alone (BN result returned), and eps is carried over.
// CHECK-LABEL: func.func @bn_only
// CHECK: nn.conv2d_bn_act %{{.*}} stride [2, 2] pad [0, 0] dilation [1, 1] groups 1 {eps = 1.000000e-03 : f64} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
// CHECK-NEXT: return
func.func @bn_only() -> tensor<1x3x2x2xf32> {
  %x = nn.input "x" : tensor<1x2x4x4xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<3x2x1x1xf32>
  %s = nn.param "b.scale" init "ones" : tensor<3xf32>
  %t = nn.param "b.shift" init "zeros" : tensor<3xf32>
  %m = nn.state "b.running_mean" init "zeros" : tensor<3xf32>
  %v = nn.state "b.running_var" init "ones" : tensor<3xf32>
  %c = nn.conv2d %x, %w stride [2, 2] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x2x2xf32>
  %n = nn.batch_norm %c, %s, %t, %m, %v {eps = 1.0e-3 : f64} : tensor<1x3x2x2xf32>, tensor<3xf32>
  return %n : tensor<1x3x2x2xf32>
}

// -----

// Must NOT fuse: the conv output has another consumer (returned too).
// CHECK-LABEL: func.func @conv_two_users
// CHECK-NOT: nn.conv2d_bn_act
// CHECK: nn.conv2d %
// CHECK-NEXT: nn.batch_norm
// CHECK-NEXT: nn.relu
func.func @conv_two_users() -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %x = nn.input "x" : tensor<1x2x3x3xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<2x2x1x1xf32>
  %s = nn.param "b.scale" init "ones" : tensor<2xf32>
  %t = nn.param "b.shift" init "zeros" : tensor<2xf32>
  %m = nn.state "b.running_mean" init "zeros" : tensor<2xf32>
  %v = nn.state "b.running_var" init "ones" : tensor<2xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %n = nn.batch_norm %c, %s, %t, %m, %v : tensor<1x2x3x3xf32>, tensor<2xf32>
  %r = nn.relu %n : tensor<1x2x3x3xf32>
  return %r, %c : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// Must NOT fuse: one conv feeding two BNs.
// CHECK-LABEL: func.func @conv_two_bns
// CHECK-NOT: nn.conv2d_bn_act
// CHECK: nn.conv2d %
// CHECK-COUNT-2: nn.batch_norm
func.func @conv_two_bns() -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %x = nn.input "x" : tensor<1x2x3x3xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<2x2x1x1xf32>
  %s = nn.param "b.scale" init "ones" : tensor<2xf32>
  %t = nn.param "b.shift" init "zeros" : tensor<2xf32>
  %m = nn.state "b.running_mean" init "zeros" : tensor<2xf32>
  %v = nn.state "b.running_var" init "ones" : tensor<2xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %n1 = nn.batch_norm %c, %s, %t, %m, %v : tensor<1x2x3x3xf32>, tensor<2xf32>
  %n2 = nn.batch_norm %c, %s, %t, %m, %v {eps = 1.0e-3 : f64} : tensor<1x2x3x3xf32>, tensor<2xf32>
  return %n1, %n2 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// The BN output has a second consumer: conv+BN fuse, but the add and the
// relu stay (the BN value must survive); likewise the add's result is used
// twice, so the relu after it is not absorbed.
// CHECK-LABEL: func.func @bn_two_users
// CHECK: %[[F:.*]] = nn.conv2d_bn_act %{{.*}} groups 1 : (
// CHECK-NEXT: %[[A:.*]] = nn.add %[[F]], %[[F]]
// CHECK-NEXT: %[[G:.*]] = nn.conv2d_bn_act %{{.*}} residual %[[A]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[G]]
// CHECK-NEXT: return %[[R]], %[[G]]
func.func @bn_two_users() -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %x = nn.input "x" : tensor<1x2x3x3xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<2x2x1x1xf32>
  %s = nn.param "b.scale" init "ones" : tensor<2xf32>
  %t = nn.param "b.shift" init "zeros" : tensor<2xf32>
  %m = nn.state "b.running_mean" init "zeros" : tensor<2xf32>
  %v = nn.state "b.running_var" init "ones" : tensor<2xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %n = nn.batch_norm %c, %s, %t, %m, %v : tensor<1x2x3x3xf32>, tensor<2xf32>
  %a = nn.add %n, %n : tensor<1x2x3x3xf32>
  %c2 = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %n2 = nn.batch_norm %c2, %s, %t, %m, %v : tensor<1x2x3x3xf32>, tensor<2xf32>
  %a2 = nn.add %n2, %a : tensor<1x2x3x3xf32>
  %r2 = nn.relu %a2 : tensor<1x2x3x3xf32>
  return %r2, %a2 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}

// -----

// Must NOT fuse: training-mode BN (batch statistics), and a conv with bias.
// CHECK-LABEL: func.func @training_and_bias
// CHECK-NOT: nn.conv2d_bn_act
// CHECK: nn.batch_norm %{{.*}} {training}
// CHECK: nn.batch_norm
// CHECK: return
func.func @training_and_bias() -> (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) {
  %x = nn.input "x" : tensor<1x2x3x3xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<2x2x1x1xf32>
  %b = nn.param "c.bias" init "zeros" : tensor<2xf32>
  %s = nn.param "b.scale" init "ones" : tensor<2xf32>
  %t = nn.param "b.shift" init "zeros" : tensor<2xf32>
  %m = nn.state "b.running_mean" init "zeros" : tensor<2xf32>
  %v = nn.state "b.running_var" init "ones" : tensor<2xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %n = nn.batch_norm %c, %s, %t, %m, %v {training} : tensor<1x2x3x3xf32>, tensor<2xf32>
  %c2 = nn.conv2d %x, %w, %b stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %n2 = nn.batch_norm %c2, %s, %t, %m, %v : tensor<1x2x3x3xf32>, tensor<2xf32>
  return %n, %n2 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>
}
