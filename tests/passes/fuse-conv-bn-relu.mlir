// RUN: cardinal-opt %s -split-input-file --nn-autodiff --nn-fuse-conv-bn-relu | FileCheck %s
// RUN: cardinal-opt %s -split-input-file --nn-autodiff --nn-fuse-conv-bn-relu | cardinal-opt -split-input-file --nn-fuse-conv-bn-relu | FileCheck %s --check-prefix=IDEM

// conv -> BN {training} -> relu: the forward pair becomes nn.bn_train_relu
// (where the relu was) and the backward pair relu_grad -> batch_norm_grad
// becomes nn.bn_relu_grad on dy, the fused output, the BN input and scale.
// CHECK-LABEL: func.func @fuses()
// CHECK: %[[C:.*]] = nn.conv2d
// CHECK: %[[Y:.*]] = nn.bn_train_relu %[[C]], %[[S:[^,]*]], %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} {eps = 1.000000e-03 : f64, momentum = 2.000000e-01 : f64} : tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK-NEXT: nn.global_avg_pool %[[Y]]
// CHECK: %[[DR:.*]] = nn.global_avg_pool_grad
// CHECK-NEXT: %[[DX:[^,]*]], %[[DS:[^,]*]], %[[DT:[^ ]*]] = nn.bn_relu_grad %[[DR]], %[[Y]], %[[C]], %[[S]] {eps = 1.000000e-03 : f64} : tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK-NEXT: nn.conv2d_grad_weight %{{.*}}, %[[DX]]
// CHECK-NOT: nn.batch_norm
// CHECK-NOT: nn.relu
// CHECK: return %{{.*}}, %{{.*}}, %[[DS]], %[[DT]]
// IDEM-LABEL: func.func @fuses()
// IDEM: nn.bn_train_relu
// IDEM: nn.bn_relu_grad
func.func @fuses() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x8x9x9xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x3x3xf32>
  %c = nn.conv2d %x, %w stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x9x9xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training, eps = 1.0e-3 : f64, momentum = 0.2 : f64} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %r : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Must NOT fuse: the BN output has another consumer (the add) besides the
// relu; nothing of the backward fuses either.
// CHECK-LABEL: func.func @bn_two_users()
// CHECK-NOT: nn.bn_train_relu
// CHECK-NOT: nn.bn_relu_grad
// CHECK: nn.batch_norm %{{.*}} {training}
// CHECK: nn.relu_grad
// CHECK: nn.batch_norm_grad
// CHECK: return
func.func @bn_two_users() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %x, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %a = nn.add %r, %n : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %a : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// BN -> add (residual) -> relu is not BN -> relu (no nn.bn_train_relu), but
// with the conv before it it is a block output: nn.conv2d_stats +
// nn.bn_add_relu and nn.bn_add_relu_grad (fuse-conv-bn-relu-conv.mlir).
// CHECK-LABEL: func.func @bn_add_relu()
// CHECK-NOT: nn.bn_train_relu
// CHECK-NOT: nn.bn_relu_grad
// CHECK: nn.conv2d_stats
// CHECK: nn.bn_add_relu
// CHECK: nn.bn_add_relu_grad
// CHECK: return
func.func @bn_add_relu() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %a = nn.add %x, %n : tensor<2x4x5x5xf32>
  %r = nn.relu %a : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %r : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
