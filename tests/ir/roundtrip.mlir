// RUN: cardinal-opt %s | cardinal-opt | FileCheck %s
// RUN: cardinal-opt %s --mlir-print-op-generic | cardinal-opt | FileCheck %s

// Round trip of every nn op through the custom printer/parser and through the
// generic form. The checks pin the printed syntax: keywords, attribute values
// and their order, and the types.

// CHECK-LABEL: func.func @graph_values()
// CHECK-NEXT:    %[[X:.*]] = nn.input "image" : tensor<8x3x32x32xf32>
// CHECK-NEXT:    %[[L:.*]] = nn.input "labels" : tensor<8xi64>
// CHECK-NEXT:    %[[W:.*]] = nn.param "conv1.weight" init "he_normal" : tensor<16x3x3x3xf32>
// CHECK-NEXT:    %[[FC:.*]] = nn.param "fc.weight" init "linear_uniform" : tensor<10x64xf32>
// CHECK-NEXT:    %[[G:.*]] = nn.param "bn1.scale" init "ones" : tensor<16xf32>
// CHECK-NEXT:    %[[B:.*]] = nn.param "bn1.shift" init "zeros" : tensor<16xf32>
// CHECK-NEXT:    %[[M:.*]] = nn.state "bn1.running_mean" init "zeros" : tensor<16xf32>
// CHECK-NEXT:    %[[V:.*]] = nn.state "bn1.running_var" init "ones" : tensor<16xf32>
// CHECK-NEXT:    %[[H:.*]] = nn.param "half.weight" init "he_normal" : tensor<4x4x1x1xf16>
// CHECK-NEXT:    return %[[X]], %[[L]], %[[W]], %[[FC]], %[[G]], %[[B]], %[[M]], %[[V]], %[[H]] :
func.func @graph_values() -> (tensor<8x3x32x32xf32>, tensor<8xi64>,
    tensor<16x3x3x3xf32>, tensor<10x64xf32>, tensor<16xf32>, tensor<16xf32>,
    tensor<16xf32>, tensor<16xf32>, tensor<4x4x1x1xf16>) {
  %x = nn.input "image" : tensor<8x3x32x32xf32>
  %l = nn.input "labels" : tensor<8xi64>
  %w = nn.param "conv1.weight" init "he_normal" : tensor<16x3x3x3xf32>
  %fc = nn.param "fc.weight" init "linear_uniform" : tensor<10x64xf32>
  %g = nn.param "bn1.scale" init "ones" : tensor<16xf32>
  %b = nn.param "bn1.shift" init "zeros" : tensor<16xf32>
  %m = nn.state "bn1.running_mean" init "zeros" : tensor<16xf32>
  %v = nn.state "bn1.running_var" init "ones" : tensor<16xf32>
  %h = nn.param "half.weight" init "he_normal" : tensor<4x4x1x1xf16>
  return %x, %l, %w, %fc, %g, %b, %m, %v, %h : tensor<8x3x32x32xf32>,
      tensor<8xi64>, tensor<16x3x3x3xf32>, tensor<10x64xf32>, tensor<16xf32>,
      tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<4x4x1x1xf16>
}

// CHECK-LABEL: func.func @conv2d(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<2x64x16x16xf32>, %[[W:[^:]*]]: tensor<128x64x1x1xf32>, %[[B:[^:]*]]: tensor<128xf32>,
// CHECK-SAME:      %[[GW:[^:]*]]: tensor<128x2x3x3xf32>, %[[DW:[^:]*]]: tensor<32x64x3x3xf32>, %[[H:[^:]*]]: tensor<1x4x5x5xf16>, %[[HW:[^:]*]]: tensor<4x4x1x1xf16>)
// Plain 1x1 convolution, no bias.
// CHECK-NEXT:    nn.conv2d %[[X]], %[[W]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
// CHECK-SAME:      : (tensor<2x64x16x16xf32>, tensor<128x64x1x1xf32>) -> tensor<2x128x16x16xf32>
// With bias.
// CHECK-NEXT:    nn.conv2d %[[X]], %[[W]], %[[B]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
// CHECK-SAME:      : (tensor<2x64x16x16xf32>, tensor<128x64x1x1xf32>, tensor<128xf32>) -> tensor<2x128x16x16xf32>
// Grouped 3x3 (form (c) of the paper: 32 groups of 2 channels).
// CHECK-NEXT:    nn.conv2d %[[X]], %[[GW]] stride [1, 1] pad [1, 1] dilation [1, 1] groups 32
// CHECK-SAME:      : (tensor<2x64x16x16xf32>, tensor<128x2x3x3xf32>) -> tensor<2x128x16x16xf32>
// Strided, grouped, with bias.
// CHECK-NEXT:    nn.conv2d %[[X]], %[[GW]], %[[B]] stride [2, 2] pad [1, 1] dilation [1, 1] groups 32
// CHECK-SAME:      : (tensor<2x64x16x16xf32>, tensor<128x2x3x3xf32>, tensor<128xf32>) -> tensor<2x128x8x8xf32>
// Dilated.
// CHECK-NEXT:    nn.conv2d %[[X]], %[[DW]] stride [1, 1] pad [2, 2] dilation [2, 2] groups 1
// CHECK-SAME:      : (tensor<2x64x16x16xf32>, tensor<32x64x3x3xf32>) -> tensor<2x32x16x16xf32>
// Asymmetric H/W attributes keep their order.
// CHECK-NEXT:    nn.conv2d %[[X]], %[[DW]] stride [1, 2] pad [0, 1] dilation [3, 1] groups 1
// CHECK-SAME:      : (tensor<2x64x16x16xf32>, tensor<32x64x3x3xf32>) -> tensor<2x32x10x8xf32>
// A non-f32 float type.
// CHECK-NEXT:    nn.conv2d %[[H]], %[[HW]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
// CHECK-SAME:      : (tensor<1x4x5x5xf16>, tensor<4x4x1x1xf16>) -> tensor<1x4x5x5xf16>
func.func @conv2d(%x: tensor<2x64x16x16xf32>, %w: tensor<128x64x1x1xf32>,
                  %b: tensor<128xf32>, %gw: tensor<128x2x3x3xf32>,
                  %dw: tensor<32x64x3x3xf32>, %h: tensor<1x4x5x5xf16>,
                  %hw: tensor<4x4x1x1xf16>) {
  %0 = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
      : (tensor<2x64x16x16xf32>, tensor<128x64x1x1xf32>) -> tensor<2x128x16x16xf32>
  %1 = nn.conv2d %x, %w, %b stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
      : (tensor<2x64x16x16xf32>, tensor<128x64x1x1xf32>, tensor<128xf32>) -> tensor<2x128x16x16xf32>
  %2 = nn.conv2d %x, %gw stride [1, 1] pad [1, 1] dilation [1, 1] groups 32
      : (tensor<2x64x16x16xf32>, tensor<128x2x3x3xf32>) -> tensor<2x128x16x16xf32>
  %3 = nn.conv2d %x, %gw, %b stride [2, 2] pad [1, 1] dilation [1, 1] groups 32
      : (tensor<2x64x16x16xf32>, tensor<128x2x3x3xf32>, tensor<128xf32>) -> tensor<2x128x8x8xf32>
  %4 = nn.conv2d %x, %dw stride [1, 1] pad [2, 2] dilation [2, 2] groups 1
      : (tensor<2x64x16x16xf32>, tensor<32x64x3x3xf32>) -> tensor<2x32x16x16xf32>
  %5 = nn.conv2d %x, %dw stride [1, 2] pad [0, 1] dilation [3, 1] groups 1
      : (tensor<2x64x16x16xf32>, tensor<32x64x3x3xf32>) -> tensor<2x32x10x8xf32>
  %6 = nn.conv2d %h, %hw stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
      : (tensor<1x4x5x5xf16>, tensor<4x4x1x1xf16>) -> tensor<1x4x5x5xf16>
  return
}

// The defaults (eps 1e-5, momentum 0.1, eval mode) are not printed; an
// explicit default is elided too.
// CHECK-LABEL: func.func @batch_norm(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<2x4x8x8xf32>, %[[S:[^:]*]]: tensor<4xf32>, %[[Y:[^:]*]]: tensor<2x4xf32>)
// CHECK-NEXT:    nn.batch_norm %[[X]], %[[S]], %[[S]], %[[S]], %[[S]] : tensor<2x4x8x8xf32>, tensor<4xf32>{{$}}
// CHECK-NEXT:    nn.batch_norm %[[X]], %[[S]], %[[S]], %[[S]], %[[S]] : tensor<2x4x8x8xf32>, tensor<4xf32>{{$}}
// CHECK-NEXT:    nn.batch_norm %[[X]], %[[S]], %[[S]], %[[S]], %[[S]] {training} : tensor<2x4x8x8xf32>, tensor<4xf32>{{$}}
// CHECK-NEXT:    nn.batch_norm %[[X]], %[[S]], %[[S]], %[[S]], %[[S]]
// CHECK-SAME:      {eps = 1.000000e-03 : f64, momentum = 1.000000e-02 : f64, training} : tensor<2x4x8x8xf32>, tensor<4xf32>{{$}}
// CHECK-NEXT:    nn.batch_norm %[[X]], %[[S]], %[[S]], %[[S]], %[[S]]
// CHECK-SAME:      {eps = 2.000000e-05 : f64, momentum = 0.000000e+00 : f64} : tensor<2x4x8x8xf32>, tensor<4xf32>{{$}}
// CHECK-NEXT:    nn.batch_norm %[[Y]], %[[S]], %[[S]], %[[S]], %[[S]]
// CHECK-SAME:      {momentum = 1.000000e+00 : f64, training} : tensor<2x4xf32>, tensor<4xf32>{{$}}
func.func @batch_norm(%x: tensor<2x4x8x8xf32>, %s: tensor<4xf32>,
                      %y: tensor<2x4xf32>) {
  %0 = nn.batch_norm %x, %s, %s, %s, %s : tensor<2x4x8x8xf32>, tensor<4xf32>
  %1 = nn.batch_norm %x, %s, %s, %s, %s {eps = 1.0e-5 : f64, momentum = 0.1 : f64}
      : tensor<2x4x8x8xf32>, tensor<4xf32>
  %2 = nn.batch_norm %x, %s, %s, %s, %s {training} : tensor<2x4x8x8xf32>, tensor<4xf32>
  %3 = nn.batch_norm %x, %s, %s, %s, %s {eps = 1.0e-3 : f64, momentum = 0.01 : f64, training}
      : tensor<2x4x8x8xf32>, tensor<4xf32>
  %4 = nn.batch_norm %x, %s, %s, %s, %s {momentum = 0.0 : f64, eps = 2.0e-5 : f64}
      : tensor<2x4x8x8xf32>, tensor<4xf32>
  %5 = nn.batch_norm %y, %s, %s, %s, %s {training, momentum = 1.0 : f64}
      : tensor<2x4xf32>, tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @elementwise(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<2x4x8x8xf32>, %[[B:[^:]*]]: tensor<2x4x8x8xf32>)
// CHECK-NEXT:    %[[R:.*]] = nn.relu %[[A]] : tensor<2x4x8x8xf32>
// CHECK-NEXT:    %[[S:.*]] = nn.add %[[R]], %[[B]] : tensor<2x4x8x8xf32>
// CHECK-NEXT:    return %[[S]] : tensor<2x4x8x8xf32>
func.func @elementwise(%a: tensor<2x4x8x8xf32>, %b: tensor<2x4x8x8xf32>)
    -> tensor<2x4x8x8xf32> {
  %r = nn.relu %a : tensor<2x4x8x8xf32>
  %s = nn.add %r, %b : tensor<2x4x8x8xf32>
  return %s : tensor<2x4x8x8xf32>
}

// CHECK-LABEL: func.func @concat_slice(
// CHECK-SAME:      %[[A:[^:]*]]: tensor<2x4x8x8xf32>, %[[B:[^:]*]]: tensor<2x12x8x8xf32>)
// CHECK-NEXT:    nn.concat %[[A]], %[[B]], %[[A]] axis 1
// CHECK-SAME:      : (tensor<2x4x8x8xf32>, tensor<2x12x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x20x8x8xf32>
// CHECK-NEXT:    nn.concat %[[A]], %[[A]] axis 0
// CHECK-SAME:      : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<4x4x8x8xf32>
// CHECK-NEXT:    nn.concat %[[A]] axis 3 : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
// CHECK-NEXT:    nn.slice %[[B]] axis 1 start 4 size 8 : tensor<2x12x8x8xf32> -> tensor<2x8x8x8xf32>
// CHECK-NEXT:    nn.slice %[[B]] axis 3 start 0 size 1 : tensor<2x12x8x8xf32> -> tensor<2x12x8x1xf32>
func.func @concat_slice(%a: tensor<2x4x8x8xf32>, %b: tensor<2x12x8x8xf32>) {
  %0 = nn.concat %a, %b, %a axis 1
      : (tensor<2x4x8x8xf32>, tensor<2x12x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x20x8x8xf32>
  %1 = nn.concat %a, %a axis 0
      : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<4x4x8x8xf32>
  %2 = nn.concat %a axis 3 : (tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %3 = nn.slice %b axis 1 start 4 size 8 : tensor<2x12x8x8xf32> -> tensor<2x8x8x8xf32>
  %4 = nn.slice %b axis 3 start 0 size 1 : tensor<2x12x8x8xf32> -> tensor<2x12x8x1xf32>
  return
}

// CHECK-LABEL: func.func @pooling(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<2x64x112x112xf32>, %[[Y:[^:]*]]: tensor<2x64x7x7xf32>)
// CHECK-NEXT:    nn.max_pool2d %[[X]] kernel [3, 3] stride [2, 2] pad [1, 1]
// CHECK-SAME:      : tensor<2x64x112x112xf32> -> tensor<2x64x56x56xf32>
// CHECK-NEXT:    nn.max_pool2d %[[X]] kernel [2, 4] stride [1, 4] pad [0, 2]
// CHECK-SAME:      : tensor<2x64x112x112xf32> -> tensor<2x64x111x29xf32>
// CHECK-NEXT:    nn.global_avg_pool %[[Y]] : tensor<2x64x7x7xf32> -> tensor<2x64xf32>
func.func @pooling(%x: tensor<2x64x112x112xf32>, %y: tensor<2x64x7x7xf32>) {
  %0 = nn.max_pool2d %x kernel [3, 3] stride [2, 2] pad [1, 1]
      : tensor<2x64x112x112xf32> -> tensor<2x64x56x56xf32>
  %1 = nn.max_pool2d %x kernel [2, 4] stride [1, 4] pad [0, 2]
      : tensor<2x64x112x112xf32> -> tensor<2x64x111x29xf32>
  %2 = nn.global_avg_pool %y : tensor<2x64x7x7xf32> -> tensor<2x64xf32>
  return
}

// CHECK-LABEL: func.func @classifier(
// CHECK-SAME:      %[[F:[^:]*]]: tensor<8x64xf32>)
// CHECK-NEXT:    %[[L:.*]] = nn.input "labels" : tensor<8xi32>
// CHECK-NEXT:    %[[W:.*]] = nn.param "fc.weight" init "linear_uniform" : tensor<10x64xf32>
// CHECK-NEXT:    %[[B:.*]] = nn.param "fc.bias" init "zeros" : tensor<10xf32>
// CHECK-NEXT:    %[[Y:.*]] = nn.linear %[[F]], %[[W]], %[[B]] : (tensor<8x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<8x10xf32>
// CHECK-NEXT:    %[[Z:.*]] = nn.linear %[[F]], %[[W]] : (tensor<8x64xf32>, tensor<10x64xf32>) -> tensor<8x10xf32>
// CHECK-NEXT:    %[[LOSS:.*]] = nn.softmax_cross_entropy %[[Y]], %[[L]] : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
// CHECK-NEXT:    return %[[LOSS]], %[[Z]] : tensor<f32>, tensor<8x10xf32>
func.func @classifier(%f: tensor<8x64xf32>) -> (tensor<f32>, tensor<8x10xf32>) {
  %l = nn.input "labels" : tensor<8xi32>
  %w = nn.param "fc.weight" init "linear_uniform" : tensor<10x64xf32>
  %b = nn.param "fc.bias" init "zeros" : tensor<10xf32>
  %y = nn.linear %f, %w, %b : (tensor<8x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<8x10xf32>
  %z = nn.linear %f, %w : (tensor<8x64xf32>, tensor<10x64xf32>) -> tensor<8x10xf32>
  %loss = nn.softmax_cross_entropy %y, %l : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return %loss, %z : tensor<f32>, tensor<8x10xf32>
}

// One ResNeXt-style block: an aggregate of C=32 paths whose template itself
// holds an aggregate (C=2) and changes the shape of its input.
// CHECK-LABEL: func.func @aggregate(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
// CHECK-NEXT:    %[[A:.*]] = nn.aggregate %[[X]] cardinality 32 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: tensor<1x8x4x4xf32>):
// CHECK-NEXT:      %[[W1:.*]] = nn.param "block.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
// CHECK-NEXT:      %[[C1:.*]] = nn.conv2d %[[IN]], %[[W1]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT:      %[[INNER:.*]] = nn.aggregate %[[C1]] cardinality 2 : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32> {
// CHECK-NEXT:      ^bb0(%[[IN2:.*]]: tensor<1x2x4x4xf32>):
// CHECK-NEXT:        %[[W2:.*]] = nn.param "block.inner.weight" init "he_normal" : tensor<2x2x3x3xf32>
// CHECK-NEXT:        %[[C2:.*]] = nn.conv2d %[[IN2]], %[[W2]] stride [2, 2] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:        nn.yield %[[C2]] : tensor<1x2x2x2xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      %[[W3:.*]] = nn.param "block.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
// CHECK-NEXT:      %[[C3:.*]] = nn.conv2d %[[INNER]], %[[W3]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x2x2xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x2x2xf32>
// CHECK-NEXT:      %[[U:.*]] = nn.slice %[[C3]] axis 2 start 0 size 1 : tensor<1x8x2x2xf32> -> tensor<1x8x1x2xf32>
// CHECK-NEXT:      %[[V:.*]] = nn.concat %[[U]], %[[U]], %[[U]], %[[U]] axis 2 : (tensor<1x8x1x2xf32>, tensor<1x8x1x2xf32>, tensor<1x8x1x2xf32>, tensor<1x8x1x2xf32>) -> tensor<1x8x4x2xf32>
// CHECK-NEXT:      %[[P:.*]] = nn.concat %[[V]], %[[V]] axis 3 : (tensor<1x8x4x2xf32>, tensor<1x8x4x2xf32>) -> tensor<1x8x4x4xf32>
// CHECK-NEXT:      nn.yield %[[P]] : tensor<1x8x4x4xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[S:.*]] = nn.add %[[A]], %[[X]] : tensor<1x8x4x4xf32>
// CHECK-NEXT:    return %[[S]] : tensor<1x8x4x4xf32>
func.func @aggregate(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %a = nn.aggregate %x cardinality 32 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %w1 = nn.param "block.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
    %c1 = nn.conv2d %in, %w1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
        : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
    %inner = nn.aggregate %c1 cardinality 2 : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32> {
    ^bb0(%in2: tensor<1x2x4x4xf32>):
      %w2 = nn.param "block.inner.weight" init "he_normal" : tensor<2x2x3x3xf32>
      %c2 = nn.conv2d %in2, %w2 stride [2, 2] pad [1, 1] dilation [1, 1] groups 1
          : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x2x2xf32>
      nn.yield %c2 : tensor<1x2x2x2xf32>
    }
    %w3 = nn.param "block.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
    %c3 = nn.conv2d %inner, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
        : (tensor<1x2x2x2xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x2x2xf32>
    %u = nn.slice %c3 axis 2 start 0 size 1 : tensor<1x8x2x2xf32> -> tensor<1x8x1x2xf32>
    %v = nn.concat %u, %u, %u, %u axis 2
        : (tensor<1x8x1x2xf32>, tensor<1x8x1x2xf32>, tensor<1x8x1x2xf32>, tensor<1x8x1x2xf32>) -> tensor<1x8x4x2xf32>
    %p = nn.concat %v, %v axis 3
        : (tensor<1x8x4x2xf32>, tensor<1x8x4x2xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %p : tensor<1x8x4x4xf32>
  }
  %s = nn.add %a, %x : tensor<1x8x4x4xf32>
  return %s : tensor<1x8x4x4xf32>
}
