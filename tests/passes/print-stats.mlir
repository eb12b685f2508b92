// RUN: cardinal-opt %s --nn-print-stats | FileCheck %s
// RUN: cardinal-opt %s --nn-print-stats=json=true | FileCheck %s --check-prefix=JSON

// One block, C=2 paths of 1x1(8->2), 3x3(2->2), 1x1(2->8) at 4x4; the
// template's parameters count twice. conv: 2*(8*2 + 9*2*2 + 2*8) = 136
// weights, BN: 2*(2+2)*2 + 2*8 = 32 -> 168 params; mult-adds 136 * 16 = 2176.

// CHECK: model tiny
// CHECK: stage{{ +}}output{{ +}}template{{ +}}blocks{{ +}}params{{ +}}mult-adds
// CHECK-NEXT: stage2{{ +}}4x4{{ +}}[1x1, 4; 3x3, 4, C=2; 1x1, 8]{{ +}}x1{{ +}}168{{ +}}2,176
// CHECK-NEXT: total{{ +}}168{{ +}}2,176
// JSON: {"model":"tiny","input":[1,8,4,4],"params":168,"macs":2176,"stages":[{"name":"stage2","output":[8,4,4],"template":"[1x1, 4; 3x3, 4, C=2; 1x1, 8]","blocks":1,"params":168,"macs":2176}]}

func.func @tiny() -> tensor<1x8x4x4xf32> {
  %x = nn.input "image" : tensor<1x8x4x4xf32>
  %a = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %w1 = nn.param "stage2.block0.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
    %c1 = nn.conv2d %in, %w1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
    %g1 = nn.param "stage2.block0.bn1.scale" init "ones" : tensor<2xf32>
    %b1 = nn.param "stage2.block0.bn1.shift" init "zeros" : tensor<2xf32>
    %m1 = nn.state "stage2.block0.bn1.running_mean" init "zeros" : tensor<2xf32>
    %v1 = nn.state "stage2.block0.bn1.running_var" init "ones" : tensor<2xf32>
    %n1 = nn.batch_norm %c1, %g1, %b1, %m1, %v1 : tensor<1x2x4x4xf32>, tensor<2xf32>
    %r1 = nn.relu %n1 : tensor<1x2x4x4xf32>
    %w2 = nn.param "stage2.block0.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
    %c2 = nn.conv2d %r1, %w2 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
    %g2 = nn.param "stage2.block0.bn2.scale" init "ones" : tensor<2xf32>
    %b2 = nn.param "stage2.block0.bn2.shift" init "zeros" : tensor<2xf32>
    %m2 = nn.state "stage2.block0.bn2.running_mean" init "zeros" : tensor<2xf32>
    %v2 = nn.state "stage2.block0.bn2.running_var" init "ones" : tensor<2xf32>
    %n2 = nn.batch_norm %c2, %g2, %b2, %m2, %v2 : tensor<1x2x4x4xf32>, tensor<2xf32>
    %r2 = nn.relu %n2 : tensor<1x2x4x4xf32>
    %w3 = nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
    %c3 = nn.conv2d %r2, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %c3 : tensor<1x8x4x4xf32>
  }
  %g3 = nn.param "stage2.block0.bn3.scale" init "ones" : tensor<8xf32>
  %b3 = nn.param "stage2.block0.bn3.shift" init "zeros" : tensor<8xf32>
  %m3 = nn.state "stage2.block0.bn3.running_mean" init "zeros" : tensor<8xf32>
  %v3 = nn.state "stage2.block0.bn3.running_var" init "ones" : tensor<8xf32>
  %n3 = nn.batch_norm %a, %g3, %b3, %m3, %v3 : tensor<1x8x4x4xf32>, tensor<8xf32>
  %s = nn.add %n3, %x : tensor<1x8x4x4xf32>
  %y = nn.relu %s : tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}
