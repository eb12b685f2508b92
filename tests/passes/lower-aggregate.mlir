// RUN: cardinal-opt %s -split-input-file --nn-lower-aggregate=form=a | FileCheck %s --check-prefix=A
// RUN: cardinal-opt %s -split-input-file --nn-lower-aggregate=form=b | FileCheck %s --check-prefix=B
// RUN: cardinal-opt %s -split-input-file --nn-lower-aggregate=form=c -verify-diagnostics | FileCheck %s --check-prefix=C
// RUN: cardinal-opt %s -split-input-file --nn-lower-aggregate=form=b -mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=BREMARK
// RUN: not cardinal-opt %s -split-input-file --nn-lower-aggregate=form=d 2>&1 | FileCheck %s --check-prefix=BADFORM

// The block of print-stats.mlir with C = 3 paths: 1x1 (8->2), BN, ReLU,
// 3x3 (2->2), BN, ReLU, 1x1 (2->8); bn3, the shortcut add and the ReLU stay
// outside the aggregate and are untouched by every form.

// BADFORM: unknown form 'd' (expected a, b or c)

// Form (a): three clones, params renamed pathParamName(N, i), summed by a
// chain ((p0 + p1) + p2); the map is the identity (the aggregate's params ARE
// the per-path ones).
// A:      module attributes {nn.param_map = [{axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path0.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}], shape = array<i64: 2, 8, 1, 1>, target = "stage2.block0.path0.conv1.weight"}
// A-SAME: {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 8 : i64, source = "stage2.block0.path2.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}], shape = array<i64: 8, 2, 1, 1>, target = "stage2.block0.path2.conv3.weight"}
// A-SAME: target = "stage2.block0.bn3.running_var"}]}
// A-LABEL: func.func @block
// A-NEXT:  %[[X:.*]] = nn.input "image" : tensor<1x8x4x4xf32>
// A-NEXT:  %[[W1:.*]] = nn.param "stage2.block0.path0.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
// A-NEXT:  %[[C1:.*]] = nn.conv2d %[[X]], %[[W1]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
// A-NEXT:  nn.param "stage2.block0.path0.bn1.scale" init "ones" : tensor<2xf32>
// A-NEXT:  nn.param "stage2.block0.path0.bn1.shift" init "zeros" : tensor<2xf32>
// A-NEXT:  nn.state "stage2.block0.path0.bn1.running_mean" init "zeros" : tensor<2xf32>
// A-NEXT:  nn.state "stage2.block0.path0.bn1.running_var" init "ones" : tensor<2xf32>
// A-NEXT:  nn.batch_norm %[[C1]],
// A-NEXT:  nn.relu
// A-NEXT:  nn.param "stage2.block0.path0.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
// A-NEXT:  nn.conv2d {{.*}} groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
// A-NEXT:  nn.param "stage2.block0.path0.bn2.scale"
// A-NEXT:  nn.param "stage2.block0.path0.bn2.shift"
// A-NEXT:  nn.state "stage2.block0.path0.bn2.running_mean"
// A-NEXT:  nn.state "stage2.block0.path0.bn2.running_var"
// A-NEXT:  nn.batch_norm
// A-NEXT:  nn.relu
// A-NEXT:  nn.param "stage2.block0.path0.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
// A-NEXT:  %[[P0:.*]] = nn.conv2d {{.*}} -> tensor<1x8x4x4xf32>
// A-NEXT:  nn.param "stage2.block0.path1.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
// A-NEXT:  nn.conv2d %[[X]],
// A:       nn.param "stage2.block0.path1.conv3.weight"
// A-NEXT:  %[[P1:.*]] = nn.conv2d {{.*}} -> tensor<1x8x4x4xf32>
// A-NEXT:  nn.param "stage2.block0.path2.conv1.weight"
// A-NEXT:  nn.conv2d %[[X]],
// A:       nn.state "stage2.block0.path2.bn2.running_var" init "ones" : tensor<2xf32>
// A:       nn.param "stage2.block0.path2.conv3.weight"
// A-NEXT:  %[[P2:.*]] = nn.conv2d {{.*}} -> tensor<1x8x4x4xf32>
// A-NEXT:  %[[S01:.*]] = nn.add %[[P0]], %[[P1]] : tensor<1x8x4x4xf32>
// A-NEXT:  %[[S:.*]] = nn.add %[[S01]], %[[P2]] : tensor<1x8x4x4xf32>
// A-NEXT:  nn.param "stage2.block0.bn3.scale" init "ones" : tensor<8xf32>
// A:       nn.batch_norm %[[S]],
// A-NOT:   nn.aggregate
// A-NOT:   path3
// A:       return

// Form (b): the paths up to conv3's input, concat (path order), ONE conv3
// whose weight (template name) is the paths' weights along axis 1.
// B:      module attributes {nn.param_map = [{axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path0.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}], shape = array<i64: 2, 8, 1, 1>, target = "stage2.block0.path0.conv1.weight"}
// B-SAME: {axis = 1 : i64, pieces = [{axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path0.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}, {axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path1.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}, {axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path2.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}], shape = array<i64: 8, 6, 1, 1>, target = "stage2.block0.conv3.weight"}
// B-LABEL: func.func @block
// B:       nn.state "stage2.block0.path0.bn2.running_var"
// B-NEXT:  nn.batch_norm
// B-NEXT:  %[[R0:.*]] = nn.relu {{.*}} : tensor<1x2x4x4xf32>
// B-NEXT:  nn.param "stage2.block0.path1.conv1.weight"
// B:       nn.state "stage2.block0.path1.bn2.running_var"
// B-NEXT:  nn.batch_norm
// B-NEXT:  %[[R1:.*]] = nn.relu {{.*}} : tensor<1x2x4x4xf32>
// B-NEXT:  nn.param "stage2.block0.path2.conv1.weight"
// B:       nn.state "stage2.block0.path2.bn2.running_var"
// B-NEXT:  nn.batch_norm
// B-NEXT:  %[[R2:.*]] = nn.relu {{.*}} : tensor<1x2x4x4xf32>
// B-NEXT:  %[[CAT:.*]] = nn.concat %[[R0]], %[[R1]], %[[R2]] axis 1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x6x4x4xf32>
// B-NEXT:  %[[W3:.*]] = nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x6x1x1xf32>
// B-NEXT:  %[[Y:.*]] = nn.conv2d %[[CAT]], %[[W3]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x6x4x4xf32>, tensor<8x6x1x1xf32>) -> tensor<1x8x4x4xf32>
// B-NEXT:  nn.param "stage2.block0.bn3.scale" init "ones" : tensor<8xf32>
// B:       nn.batch_norm %[[Y]],
// B-NOT:   path{{[0-9]}}.conv3
// B-NOT:   nn.aggregate
// B:       return

// Form (c): conv1x1 8 -> C*d = 6, BN, ReLU, grouped 3x3 (groups C = 3), BN,
// ReLU, conv1x1 6 -> 8. Merged params carry the template names.
// C:      module attributes {nn.param_map = [{axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path0.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}, {axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path1.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}, {axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path2.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}], shape = array<i64: 6, 8, 1, 1>, target = "stage2.block0.conv1.weight"}
// C-SAME: {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path0.bn1.running_mean", source_shape = array<i64: 2>, start = 0 : i64}, {axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path1.bn1.running_mean", {{[^}]*}}}, {axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path2.bn1.running_mean", {{[^}]*}}}], shape = array<i64: 6>, target = "stage2.block0.bn1.running_mean"}
// C-SAME: {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path0.conv2.weight", source_shape = array<i64: 2, 2, 3, 3>, start = 0 : i64}, {{[^]]*}}], shape = array<i64: 6, 2, 3, 3>, target = "stage2.block0.conv2.weight"}
// C-SAME: {axis = 1 : i64, pieces = [{axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path0.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}, {axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path1.conv3.weight", {{[^}]*}}}, {axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path2.conv3.weight", {{[^}]*}}}], shape = array<i64: 8, 6, 1, 1>, target = "stage2.block0.conv3.weight"}
// C-SAME: {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 8 : i64, source = "stage2.block0.bn3.scale", source_shape = array<i64: 8>, start = 0 : i64}], shape = array<i64: 8>, target = "stage2.block0.bn3.scale"}
// C-LABEL: func.func @block
// C-NEXT:  %[[X:.*]] = nn.input "image" : tensor<1x8x4x4xf32>
// C-NEXT:  %[[W1:.*]] = nn.param "stage2.block0.conv1.weight" init "he_normal" : tensor<6x8x1x1xf32>
// C-NEXT:  %[[C1:.*]] = nn.conv2d %[[X]], %[[W1]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<6x8x1x1xf32>) -> tensor<1x6x4x4xf32>
// C-NEXT:  %[[G1:.*]] = nn.param "stage2.block0.bn1.scale" init "ones" : tensor<6xf32>
// C-NEXT:  %[[B1:.*]] = nn.param "stage2.block0.bn1.shift" init "zeros" : tensor<6xf32>
// C-NEXT:  %[[M1:.*]] = nn.state "stage2.block0.bn1.running_mean" init "zeros" : tensor<6xf32>
// C-NEXT:  %[[V1:.*]] = nn.state "stage2.block0.bn1.running_var" init "ones" : tensor<6xf32>
// C-NEXT:  %[[N1:.*]] = nn.batch_norm %[[C1]], %[[G1]], %[[B1]], %[[M1]], %[[V1]] : tensor<1x6x4x4xf32>, tensor<6xf32>
// C-NEXT:  %[[R1:.*]] = nn.relu %[[N1]] : tensor<1x6x4x4xf32>
// C-NEXT:  %[[W2:.*]] = nn.param "stage2.block0.conv2.weight" init "he_normal" : tensor<6x2x3x3xf32>
// C-NEXT:  %[[C2:.*]] = nn.conv2d %[[R1]], %[[W2]] stride [1, 1] pad [1, 1] dilation [1, 1] groups 3 : (tensor<1x6x4x4xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x4x4xf32>
// C-NEXT:  nn.param "stage2.block0.bn2.scale" init "ones" : tensor<6xf32>
// C-NEXT:  nn.param "stage2.block0.bn2.shift" init "zeros" : tensor<6xf32>
// C-NEXT:  nn.state "stage2.block0.bn2.running_mean" init "zeros" : tensor<6xf32>
// C-NEXT:  nn.state "stage2.block0.bn2.running_var" init "ones" : tensor<6xf32>
// C-NEXT:  %[[N2:.*]] = nn.batch_norm %[[C2]], {{.*}} : tensor<1x6x4x4xf32>, tensor<6xf32>
// C-NEXT:  %[[R2:.*]] = nn.relu %[[N2]] : tensor<1x6x4x4xf32>
// C-NEXT:  %[[W3:.*]] = nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x6x1x1xf32>
// C-NEXT:  %[[Y:.*]] = nn.conv2d %[[R2]], %[[W3]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x6x4x4xf32>, tensor<8x6x1x1xf32>) -> tensor<1x8x4x4xf32>
// C-NEXT:  nn.param "stage2.block0.bn3.scale" init "ones" : tensor<8xf32>
// C-NEXT:  nn.param "stage2.block0.bn3.shift" init "zeros" : tensor<8xf32>
// C-NEXT:  nn.state "stage2.block0.bn3.running_mean" init "zeros" : tensor<8xf32>
// C-NEXT:  nn.state "stage2.block0.bn3.running_var" init "ones" : tensor<8xf32>
// C-NEXT:  %[[N3:.*]] = nn.batch_norm %[[Y]],
// C-NEXT:  %[[SUM:.*]] = nn.add %[[N3]], %[[X]] : tensor<1x8x4x4xf32>
// C-NEXT:  %[[OUT:.*]] = nn.relu %[[SUM]] : tensor<1x8x4x4xf32>
// C-NEXT:  return %[[OUT]] : tensor<1x8x4x4xf32>

func.func @block() -> tensor<1x8x4x4xf32> {
  %x = nn.input "image" : tensor<1x8x4x4xf32>
  %a = nn.aggregate %x cardinality 3 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
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

// -----

// A BN on the block input (a shared value): forms (a) and (b) exist, (c) does
// not (a BN would have to normalize C copies of x).
// A-LABEL: func.func @shared_bn
// A:       nn.batch_norm %arg0,
// A:       nn.batch_norm %arg0,
// A:       nn.add
// B-LABEL: func.func @shared_bn
// B:       %[[N0:.*]] = nn.batch_norm %arg0,
// B:       %[[N1:.*]] = nn.batch_norm %arg0,
// B-NEXT:  nn.concat %[[N0]], %[[N1]] axis 1 : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x16x4x4xf32>
// B-NEXT:  nn.param "s.b.conv1.weight" init "he_normal" : tensor<8x16x1x1xf32>
// C-LABEL: func.func @shared_bn
// C-NEXT:  nn.aggregate %arg0 cardinality 2
// C:       nn.param "s.b.bn0.scale" init "ones" : tensor<8xf32>
func.func @shared_bn(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  // expected-remark @+1 {{no form (c) for this nn.aggregate: 'nn.batch_norm' (s.b.bn0) normalizes a shared value (rule: nn.batch_norm widens only per-path values)}}
  %a = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %g = nn.param "s.b.bn0.scale" init "ones" : tensor<8xf32>
    %b = nn.param "s.b.bn0.shift" init "zeros" : tensor<8xf32>
    %m = nn.state "s.b.bn0.running_mean" init "zeros" : tensor<8xf32>
    %v = nn.state "s.b.bn0.running_var" init "ones" : tensor<8xf32>
    %n = nn.batch_norm %in, %g, %b, %m, %v : tensor<1x8x4x4xf32>, tensor<8xf32>
    %w = nn.param "s.b.conv1.weight" init "he_normal" : tensor<8x8x1x1xf32>
    %c = nn.conv2d %n, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %c : tensor<1x8x4x4xf32>
  }
  return %a : tensor<1x8x4x4xf32>
}

// -----

// The template yields a BN: only form (a).
// A-LABEL: func.func @yield_bn
// A:       %[[N0:.*]] = nn.batch_norm
// A:       %[[N1:.*]] = nn.batch_norm
// A-NEXT:  nn.add %[[N0]], %[[N1]]
// B-LABEL: func.func @yield_bn
// B-NEXT:  nn.aggregate
// BREMARK: remark: no form (b) for this nn.aggregate: the yielded value comes from 'nn.batch_norm' (s.b.bn1), not from 'nn.conv2d' (rule: form (b) needs the yielded value to be a groups-1 conv without bias whose input depends on the path: concat-then-conv)
// C-LABEL: func.func @yield_bn
// C-NEXT:  nn.aggregate
func.func @yield_bn(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  // expected-remark @+1 {{no form (c) for this nn.aggregate: the yielded value comes from 'nn.batch_norm' (s.b.bn1) (rule: the yielded value must be produced by a groups-1 conv without bias on a per-path value: sum-of-convs -> conv-of-concat)}}
  %a = nn.aggregate %x cardinality 2 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32> {
  ^bb0(%in: tensor<1x4x4x4xf32>):
    %w = nn.param "s.b.conv1.weight" init "he_normal" : tensor<4x4x1x1xf32>
    %c = nn.conv2d %in, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
    %g = nn.param "s.b.bn1.scale" init "ones" : tensor<4xf32>
    %b = nn.param "s.b.bn1.shift" init "zeros" : tensor<4xf32>
    %m = nn.state "s.b.bn1.running_mean" init "zeros" : tensor<4xf32>
    %v = nn.state "s.b.bn1.running_var" init "ones" : tensor<4xf32>
    %n = nn.batch_norm %c, %g, %b, %m, %v : tensor<1x4x4x4xf32>, tensor<4xf32>
    nn.yield %n : tensor<1x4x4x4xf32>
  }
  return %a : tensor<1x4x4x4xf32>
}

// -----

// A grouped conv on the block input: (b) exists, (c) does not.
// B-LABEL: func.func @shared_grouped
// B:       nn.concat
// B-NEXT:  nn.param "s.b.conv2.weight" init "he_normal" : tensor<8x8x1x1xf32>
// C-LABEL: func.func @shared_grouped
// C-NEXT:  nn.aggregate
func.func @shared_grouped(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  // expected-remark @+1 {{no form (c) for this nn.aggregate: 'nn.conv2d' (s.b.conv1) reads a shared value with groups 2 (rule: a conv on a shared value widens only with groups 1)}}
  %a = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %w1 = nn.param "s.b.conv1.weight" init "he_normal" : tensor<4x4x3x3xf32>
    %c1 = nn.conv2d %in, %w1 stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<1x8x4x4xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32>
    %r = nn.relu %c1 : tensor<1x4x4x4xf32>
    %w2 = nn.param "s.b.conv2.weight" init "he_normal" : tensor<8x4x1x1xf32>
    %c2 = nn.conv2d %r, %w2 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %c2 : tensor<1x8x4x4xf32>
  }
  return %a : tensor<1x8x4x4xf32>
}

// -----

// A bias on the yielded conv: neither (b) nor (c).
// A-LABEL: func.func @final_bias
// A:       nn.param "s.b.path1.conv2.bias" init "zeros" : tensor<8xf32>
// B-LABEL: func.func @final_bias
// B-NEXT:  nn.aggregate
// BREMARK: remark: no form (b) for this nn.aggregate: the yielded 'nn.conv2d' (s.b.conv2) has a bias
// C-LABEL: func.func @final_bias
// C-NEXT:  nn.aggregate
func.func @final_bias(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  // expected-remark @+1 {{no form (c) for this nn.aggregate: the yielded 'nn.conv2d' (s.b.conv2) has a bias (rule: the yielded value must be a groups-1 conv without bias on a per-path value: sum-of-convs -> conv-of-concat)}}
  %a = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %w1 = nn.param "s.b.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
    %c1 = nn.conv2d %in, %w1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
    %w2 = nn.param "s.b.conv2.weight" init "he_normal" : tensor<8x2x1x1xf32>
    %b2 = nn.param "s.b.conv2.bias" init "zeros" : tensor<8xf32>
    %c2 = nn.conv2d %c1, %w2, %b2 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %c2 : tensor<1x8x4x4xf32>
  }
  return %a : tensor<1x8x4x4xf32>
}

// -----

// A param-free op of the block input is shared: (c) computes it once, (a)
// and (b) once per path. A bias on a widened conv concatenates along axis 0;
// an nn.add of two per-path values stays an nn.add.
// A-LABEL: func.func @shared_relu
// A-NEXT:  nn.relu %arg0
// A:       nn.relu %arg0
// C:       target = "s.b.conv1.bias"
// C-LABEL: func.func @shared_relu
// C-NEXT:  %[[R:.*]] = nn.relu %arg0 : tensor<1x8x4x4xf32>
// C-NEXT:  %[[W1:.*]] = nn.param "s.b.conv1.weight" init "he_normal" : tensor<4x8x1x1xf32>
// C-NEXT:  %[[B1:.*]] = nn.param "s.b.conv1.bias" init "zeros" : tensor<4xf32>
// C-NEXT:  %[[C1:.*]] = nn.conv2d %[[R]], %[[W1]], %[[B1]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<4x8x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// C-NEXT:  %[[W2:.*]] = nn.param "s.b.conv2.weight" init "he_normal" : tensor<4x2x3x3xf32>
// C-NEXT:  %[[C2:.*]] = nn.conv2d %[[C1]], %[[W2]] stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32>
// C-NEXT:  %[[S:.*]] = nn.add %[[C1]], %[[C2]] : tensor<1x4x4x4xf32>
// C-NEXT:  %[[W3:.*]] = nn.param "s.b.conv3.weight" init "he_normal" : tensor<8x4x1x1xf32>
// C-NEXT:  nn.conv2d %[[S]], %[[W3]] {{.*}} groups 1
// C-NOT:   nn.relu
// C:       return
func.func @shared_relu(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %a = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %r = nn.relu %in : tensor<1x8x4x4xf32>
    %w1 = nn.param "s.b.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
    %b1 = nn.param "s.b.conv1.bias" init "zeros" : tensor<2xf32>
    %c1 = nn.conv2d %r, %w1, %b1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
    %w2 = nn.param "s.b.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
    %c2 = nn.conv2d %c1, %w2 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
    %s = nn.add %c1, %c2 : tensor<1x2x4x4xf32>
    %w3 = nn.param "s.b.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
    %c3 = nn.conv2d %s, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %c3 : tensor<1x8x4x4xf32>
  }
  return %a : tensor<1x8x4x4xf32>
}

// -----

// Nested aggregates: (a) lowers both, outermost first, so names carry the
// outer tag first (PathNames.h); (b) and (c) leave both with a remark.
// A-LABEL: func.func @nested
// A-NEXT:  %[[W00:.*]] = nn.param "s.b.path0.path0.conv1.weight"
// A-NEXT:  %[[Y00:.*]] = nn.conv2d %arg0, %[[W00]]
// A-NEXT:  %[[W01:.*]] = nn.param "s.b.path0.path1.conv1.weight"
// A-NEXT:  %[[Y01:.*]] = nn.conv2d %arg0, %[[W01]]
// A-NEXT:  %[[S0:.*]] = nn.add %[[Y00]], %[[Y01]]
// A-NEXT:  nn.param "s.b.path1.path0.conv1.weight"
// A-NEXT:  nn.conv2d
// A-NEXT:  nn.param "s.b.path1.path1.conv1.weight"
// A-NEXT:  nn.conv2d
// A-NEXT:  %[[S1:.*]] = nn.add
// A-NEXT:  nn.add %[[S0]], %[[S1]]
// BREMARK: remark: no form (b) for this nn.aggregate: it is nested in another nn.aggregate; forms (b) and (c) lower un-nested aggregates only (lower to (a) first)
// BREMARK: remark: no form (b) for this nn.aggregate: its template holds a nested region op
// C-LABEL: func.func @nested
// C-NEXT:  nn.aggregate %arg0 cardinality 2
// C-NEXT:  ^bb0
// C-NEXT:  nn.aggregate
func.func @nested(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  // expected-remark @+1 {{no form (c) for this nn.aggregate: its template holds a nested region op}}
  %a = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    // expected-remark @+1 {{no form (c) for this nn.aggregate: it is nested in another nn.aggregate}}
    %i = nn.aggregate %in cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
    ^bb0(%in2: tensor<1x8x4x4xf32>):
      %w = nn.param "s.b.conv1.weight" init "he_normal" : tensor<8x8x1x1xf32>
      %c = nn.conv2d %in2, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
      nn.yield %c : tensor<1x8x4x4xf32>
    }
    nn.yield %i : tensor<1x8x4x4xf32>
  }
  return %a : tensor<1x8x4x4xf32>
}
