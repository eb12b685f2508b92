// RUN: cardinal-opt %s | cardinal-opt | FileCheck %s
// RUN: cardinal-opt %s --mlir-print-op-generic | cardinal-opt | FileCheck %s

// Backward, optimizer and fused ops print and parse back unchanged.
// CHECK-LABEL: func.func @grads
func.func @grads(%x: tensor<2x8x6x6xf32>, %w: tensor<8x4x3x3xf32>, %dy: tensor<2x8x3x3xf32>,
                 %s: tensor<8xf32>, %bx: tensor<2x8x3x3xf32>, %fx: tensor<2x4xf32>,
                 %fw: tensor<3x4xf32>, %fdy: tensor<2x3xf32>, %l: tensor<2xi32>) {
  // CHECK: nn.conv2d_grad_input %{{.*}}, %{{.*}} stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x3x3xf32>, tensor<8x4x3x3xf32>) -> tensor<2x8x6x6xf32>
  %0 = nn.conv2d_grad_input %dy, %w stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x3x3xf32>, tensor<8x4x3x3xf32>) -> tensor<2x8x6x6xf32>
  // CHECK: nn.conv2d_grad_weight %{{.*}}, %{{.*}} stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x6x6xf32>, tensor<2x8x3x3xf32>) -> tensor<8x4x3x3xf32>
  %1 = nn.conv2d_grad_weight %x, %dy stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x8x6x6xf32>, tensor<2x8x3x3xf32>) -> tensor<8x4x3x3xf32>
  // CHECK: nn.bias_grad %{{.*}} : tensor<2x8x3x3xf32> -> tensor<8xf32>
  %2 = nn.bias_grad %dy : tensor<2x8x3x3xf32> -> tensor<8xf32>
  // CHECK: nn.batch_norm_grad %{{.*}}, %{{.*}}, %{{.*}} {eps = 1.000000e-03 : f64} : tensor<2x8x3x3xf32>, tensor<8xf32>
  %3:3 = nn.batch_norm_grad %dy, %bx, %s {eps = 1.0e-3 : f64} : tensor<2x8x3x3xf32>, tensor<8xf32>
  // CHECK: nn.relu_grad %{{.*}}, %{{.*}} : tensor<2x8x3x3xf32>
  %4 = nn.relu_grad %dy, %bx : tensor<2x8x3x3xf32>
  // CHECK: nn.slice_grad %{{.*}} axis 1 start 4 : tensor<2x4xf32> -> tensor<2x8xf32>
  %5 = nn.slice_grad %fx axis 1 start 4 : tensor<2x4xf32> -> tensor<2x8xf32>
  // CHECK: nn.max_pool2d_grad %{{.*}}, %{{.*}} kernel [3, 3] stride [2, 2] pad [1, 1] : tensor<2x8x3x3xf32>, tensor<2x8x6x6xf32> -> tensor<2x8x6x6xf32>
  %6 = nn.max_pool2d_grad %dy, %x kernel [3, 3] stride [2, 2] pad [1, 1] : tensor<2x8x3x3xf32>, tensor<2x8x6x6xf32> -> tensor<2x8x6x6xf32>
  // CHECK: nn.global_avg_pool_grad %{{.*}} : tensor<2x4xf32> -> tensor<2x4x5x5xf32>
  %7 = nn.global_avg_pool_grad %fx : tensor<2x4xf32> -> tensor<2x4x5x5xf32>
  // CHECK: nn.linear_grad_input %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %8 = nn.linear_grad_input %fdy, %fw : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  // CHECK: nn.linear_grad_weight %{{.*}}, %{{.*}} : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<3x4xf32>
  %9 = nn.linear_grad_weight %fx, %fdy : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<3x4xf32>
  // CHECK: nn.softmax_cross_entropy_grad %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2xi32> -> tensor<2x3xf32>
  %10 = nn.softmax_cross_entropy_grad %fdy, %l : tensor<2x3xf32>, tensor<2xi32> -> tensor<2x3xf32>
  // CHECK: nn.bn_train_relu %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {momentum = 2.000000e-01 : f64} : tensor<2x8x3x3xf32>, tensor<8xf32>
  %11 = nn.bn_train_relu %bx, %s, %s, %s, %s {momentum = 0.2 : f64} : tensor<2x8x3x3xf32>, tensor<8xf32>
  // CHECK: nn.bn_relu_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8x3x3xf32>, tensor<8xf32>
  %12:3 = nn.bn_relu_grad %dy, %11, %bx, %s : tensor<2x8x3x3xf32>, tensor<8xf32>
  %p = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  // CHECK: nn.sgd_update %{{.*}}, %{{.*}} velocity "fc.weight.velocity" {momentum = 9.000000e-01 : f64, weight_decay = 1.000000e-04 : f64} : tensor<3x4xf32>
  nn.sgd_update %p, %9 velocity "fc.weight.velocity" {momentum = 0.9 : f64, weight_decay = 1.0e-4 : f64} : tensor<3x4xf32>
  return
}
