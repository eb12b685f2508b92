// RUN: cardinal-opt %s -split-input-file --nn-autodiff --nn-fuse-conv-bn-relu | FileCheck %s
// RUN: cardinal-opt %s -split-input-file --nn-autodiff --nn-fuse-conv-bn-relu | cardinal-opt -split-input-file --nn-fuse-conv-bn-relu | FileCheck %s --check-prefix=IDEM
// conv-level=false (the CUDA target's fallback): BN+ReLU fusion only.
// RUN: cardinal-opt %s -split-input-file --nn-autodiff --nn-fuse-conv-bn-relu=conv-level=false | FileCheck %s --check-prefix=BNRELU
// BNRELU-LABEL: func.func @prologue()
// BNRELU-NOT: nn.conv2d_stats
// BNRELU-NOT: nn.bn_relu_conv2d
// BNRELU: nn.bn_train_relu
// BNRELU: nn.bn_relu_grad
// BNRELU-NOT: nn.conv2d_stats
// BNRELU-NOT: nn.conv2d_grad_input_bn_sums
// BNRELU-LABEL: func.func @grouped()
// grad-sums=false (a backend without the kernel): conv level, but the BN
// backward's reductions stay in nn.bn_relu_apply_grad.
// RUN: cardinal-opt %s -split-input-file --nn-autodiff --nn-fuse-conv-bn-relu=grad-sums=false | FileCheck %s --check-prefix=NOSUMS
// NOSUMS-LABEL: func.func @prologue()
// NOSUMS: nn.conv2d_stats
// NOSUMS: nn.bn_relu_conv2d
// NOSUMS: nn.conv2d_grad_input %
// NOSUMS: nn.bn_relu_apply_grad %
// NOSUMS-NOT: nn.conv2d_grad_input_bn_sums
// NOSUMS-LABEL: func.func @grouped()

// The conv-level training fusion on graphs from --nn-autodiff:
// conv -> BN {training} -> relu -> conv. The first conv accumulates the
// statistics (nn.conv2d_stats), the second reads relu(BN(x)) in its
// prologue; the backward recomputes the activation from the first conv's
// output (weight gradient, dReLU + dBN): no nn.relu, nn.batch_norm,
// nn.relu_grad or nn.batch_norm_grad is left. The relu's gradient is the
// second conv's backward-data alone, so the BN backward's reductions fuse
// into it (nn.conv2d_grad_input_bn_sums, whose sums are the BN's dscale and
// dshift) and nn.bn_relu_apply_grad_input makes the dx pass.
// CHECK-LABEL: func.func @prologue()
// CHECK: %[[Y:[^,]*]], %[[M:[^,]*]], %[[I:[^ ]*]] = nn.conv2d_stats %{{.*}}, %{{.*}} bn(%[[S:[^,]*]], %[[B:[^,]*]], %{{[^,]*}}, %{{[^)]*}}) stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 {eps = 1.000000e-03 : f64, momentum = 2.000000e-01 : f64}
// CHECK: %[[Z:.*]] = nn.bn_relu_conv2d %[[Y]] bn(%[[M]], %[[I]], %[[S]], %[[B]]), %{{.*}} stride [1, 1] pad [1, 1] dilation [1, 1] groups 1
// CHECK-NEXT: nn.global_avg_pool %[[Z]]
// CHECK: nn.bn_relu_conv2d_grad_weight %[[Y]] bn(%[[M]], %[[I]], %[[S]], %[[B]]), %{{.*}} stride [1, 1] pad [1, 1]
// CHECK: %[[DY:[^,]*]], %[[DS:[^,]*]], %[[DT:[^ ]*]] = nn.conv2d_grad_input_bn_sums %{{[^,]*}}, %{{[^ ]*}} bn(%[[Y]], %[[M]], %[[I]], %[[S]], %[[B]]) stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : tensor<2x6x5x5xf32>, tensor<6x4x3x3xf32>, tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK-NEXT: %[[DX:.*]] = nn.bn_relu_apply_grad_input %[[DY]], %[[Y]] bn(%[[M]], %[[I]], %[[S]], %[[B]]) sums(%[[DS]], %[[DT]]) : tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK-NEXT: nn.conv2d_grad_weight %{{.*}}, %[[DX]]
// CHECK-NOT: nn.relu
// CHECK-NOT: nn.batch_norm
// CHECK-NOT: nn.conv2d_grad_input %
// CHECK-NOT: nn.bn_relu_apply_grad %
// CHECK: return %{{.*}}, %[[DS]], %[[DT]],
// IDEM-LABEL: func.func @prologue()
// IDEM: nn.conv2d_stats
// IDEM: nn.bn_relu_conv2d
// IDEM: nn.conv2d_grad_input_bn_sums
// IDEM-NEXT: nn.bn_relu_apply_grad_input
func.func @prologue() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x3x5x5xf32>
  %w = nn.param "c1.weight" init "he_normal" : tensor<4x3x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x5x5xf32>, tensor<4x3x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training, eps = 1.0e-3 : f64, momentum = 0.2 : f64} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %w2 = nn.param "c2.weight" init "he_normal" : tensor<6x4x3x3xf32>
  %z = nn.conv2d %r, %w2 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<6x4x3x3xf32>) -> tensor<2x6x5x5xf32>
  %p = nn.global_avg_pool %z : tensor<2x6x5x5xf32> -> tensor<2x6xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x6xf32>
  %l = nn.linear %p, %fw : (tensor<2x6xf32>, tensor<3x6xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// The grouped 3x3 conv reads relu(BN(x)) in its prologue as the dense one.
// CHECK-LABEL: func.func @grouped()
// CHECK: nn.conv2d_stats
// CHECK: nn.bn_relu_conv2d %{{.*}} stride [2, 2] pad [1, 1] dilation [1, 1] groups 2
// CHECK: nn.bn_relu_conv2d_grad_weight %{{.*}} groups 2
// CHECK: nn.conv2d_grad_input_bn_sums %{{.*}} stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : tensor<2x4x3x3xf32>, tensor<4x2x3x3xf32>, tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK-NEXT: nn.bn_relu_apply_grad_input
// CHECK-NOT: nn.batch_norm
func.func @grouped() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x3x5x5xf32>
  %w = nn.param "c1.weight" init "he_normal" : tensor<4x3x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x5x5xf32>, tensor<4x3x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %w2 = nn.param "c2.weight" init "he_normal" : tensor<4x2x3x3xf32>
  %z = nn.conv2d %r, %w2 stride [2, 2] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x3x3xf32>
  %p = nn.global_avg_pool %z : tensor<2x4x3x3xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A block's output: conv -> BN -> add(shortcut) -> relu is nn.conv2d_stats +
// nn.bn_add_relu; the backward's relu_grad -> batch_norm_grad is one
// nn.bn_add_relu_grad whose dresidual is the shortcut's gradient (summed
// into the input's gradient by nn.add).
// CHECK-LABEL: func.func @block_output()
// CHECK: %[[Y:[^,]*]], %[[M:[^,]*]], %[[I:[^ ]*]] = nn.conv2d_stats %[[X:[^,]*]], %{{.*}} bn(%[[S:[^,]*]], %[[B:[^,]*]],
// CHECK: %[[O:.*]] = nn.bn_add_relu %[[Y]] bn(%[[M]], %[[I]], %[[S]], %[[B]]) residual %[[X]] : tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK: %[[DX:[^,]*]], %[[DR:[^,]*]], %[[DS:[^,]*]], %[[DT:[^ ]*]] = nn.bn_add_relu_grad %{{.*}}, %[[O]], %[[Y]] bn(%[[M]], %[[I]], %[[S]]) : tensor<2x4x5x5xf32>, tensor<4xf32>
// CHECK-NOT: nn.relu_grad
// CHECK-NOT: nn.batch_norm
// CHECK: return
func.func @block_output() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %a = nn.add %n, %x : tensor<2x4x5x5xf32>
  %r = nn.relu %a : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %r : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Must NOT fuse at conv level: one conv feeds two BNs (neither BN owns the
// conv's epilogue). Each BN -> relu still becomes nn.bn_train_relu.
// CHECK-LABEL: func.func @conv_two_bns()
// CHECK-NOT: nn.conv2d_stats
// CHECK-NOT: nn.bn_relu_conv2d
// CHECK: nn.bn_train_relu
// CHECK: nn.bn_train_relu
// CHECK-NOT: nn.conv2d_stats
// CHECK: return
func.func @conv_two_bns() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn1.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn1.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn1.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn1.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %g2 = nn.param "bn2.scale" init "ones" : tensor<4xf32>
  %b2 = nn.param "bn2.shift" init "zeros" : tensor<4xf32>
  %m2 = nn.state "bn2.running_mean" init "zeros" : tensor<4xf32>
  %v2 = nn.state "bn2.running_var" init "ones" : tensor<4xf32>
  %n2 = nn.batch_norm %c, %g2, %b2, %m2, %v2 {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r2 = nn.relu %n2 : tensor<2x4x5x5xf32>
  %w3 = nn.param "c3.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %z = nn.conv2d %r, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %z2 = nn.conv2d %r2, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %s = nn.add %z, %z2 : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %s : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Must NOT fuse at conv level: the BN's input (the conv output) has another
// consumer (the add), which needs it as stored; and the relu's output also
// feeds a pool, which needs the activation itself.
// CHECK-LABEL: func.func @bn_input_other_consumer()
// CHECK-NOT: nn.conv2d_stats
// CHECK-NOT: nn.bn_relu_conv2d
// CHECK: nn.bn_train_relu
// CHECK: return
func.func @bn_input_other_consumer() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %w3 = nn.param "c3.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %z = nn.conv2d %r, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %s = nn.add %z, %c : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %s : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Must NOT fuse at conv level: the relu's output is also read by a pool
// (it must exist as a tensor); BN -> relu alone still fuses.
// CHECK-LABEL: func.func @relu_other_reader()
// CHECK-NOT: nn.conv2d_stats
// CHECK-NOT: nn.bn_relu_conv2d
// CHECK: nn.bn_train_relu
// CHECK: nn.bn_relu_grad
// CHECK: return
func.func @relu_other_reader() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %w3 = nn.param "c3.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %z = nn.conv2d %r, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %s = nn.add %z, %r : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %s : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// A conv between two training BNs (ResNeXt's grouped 3x3): prologue of the
// first BN and statistics of the second in one nn.bn_relu_conv2d_stats; the
// last conv reads the second BN in its prologue.
// CHECK-LABEL: func.func @chain()
// CHECK: %[[Y1:[^,]*]], %[[M1:[^,]*]], %[[I1:[^ ]*]] = nn.conv2d_stats
// CHECK: %[[Y2:[^,]*]], %[[M2:[^,]*]], %[[I2:[^ ]*]] = nn.bn_relu_conv2d_stats %[[Y1]] bn(%[[M1]], %[[I1]], %{{[^,]*}}, %{{[^)]*}}), %{{[^ ]*}} bn(%[[S2:[^,]*]], {{.*}} groups 2
// CHECK: nn.bn_relu_conv2d %[[Y2]] bn(%[[M2]], %[[I2]], %[[S2]],
// CHECK: nn.bn_relu_conv2d_grad_weight %[[Y2]]
// CHECK: nn.conv2d_grad_input_bn_sums %{{[^,]*}}, %{{[^ ]*}} bn(%[[Y2]],
// CHECK-NEXT: nn.bn_relu_apply_grad_input %{{.*}}, %[[Y2]]
// CHECK: nn.bn_relu_conv2d_grad_weight %[[Y1]]
// CHECK: nn.conv2d_grad_input_bn_sums %{{[^,]*}}, %{{[^ ]*}} bn(%[[Y1]],
// CHECK-NEXT: nn.bn_relu_apply_grad_input %{{.*}}, %[[Y1]]
// CHECK-NOT: nn.batch_norm
// CHECK-NOT: nn.relu
func.func @chain() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x4x5x5xf32>
  %w = nn.param "c1.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn1.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn1.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn1.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn1.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %w2 = nn.param "c2.weight" init "he_normal" : tensor<4x2x3x3xf32>
  %c2 = nn.conv2d %r, %w2 stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<2x4x5x5xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x5x5xf32>
  %g2 = nn.param "bn2.scale" init "ones" : tensor<4xf32>
  %b2 = nn.param "bn2.shift" init "zeros" : tensor<4xf32>
  %m2 = nn.state "bn2.running_mean" init "zeros" : tensor<4xf32>
  %v2 = nn.state "bn2.running_var" init "ones" : tensor<4xf32>
  %n2 = nn.batch_norm %c2, %g2, %b2, %m2, %v2 {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r2 = nn.relu %n2 : tensor<2x4x5x5xf32>
  %w3 = nn.param "c3.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %z = nn.conv2d %r2, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %z : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// The relu's output feeds two convs: its gradient is the sum (nn.add) of
// their two backward-data results, so no conv owns dy and the BN
// backward's reductions stay in nn.bn_relu_apply_grad (both convs still
// read relu(BN(x)) in their prologues).
// CHECK-LABEL: func.func @two_contributions()
// CHECK: %[[Y:[^,]*]], %{{[^,]*}}, %{{[^ ]*}} = nn.conv2d_stats
// CHECK: nn.bn_relu_conv2d %[[Y]]
// CHECK: nn.bn_relu_conv2d %[[Y]]
// CHECK-NOT: nn.conv2d_grad_input_bn_sums
// CHECK-NOT: nn.bn_relu_apply_grad_input
// CHECK: %[[G1:.*]] = nn.conv2d_grad_input
// CHECK: %[[G2:.*]] = nn.conv2d_grad_input
// CHECK: %[[D:.*]] = nn.add
// CHECK: nn.bn_relu_apply_grad %[[D]], %[[Y]]
// CHECK-NOT: nn.conv2d_grad_input_bn_sums
// CHECK: return
func.func @two_contributions() -> (tensor<f32>) {
  %labels = nn.input "labels" : tensor<2xi32>
  %x = nn.input "image" : tensor<2x3x5x5xf32>
  %w = nn.param "c1.weight" init "he_normal" : tensor<4x3x1x1xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x5x5xf32>, tensor<4x3x1x1xf32>) -> tensor<2x4x5x5xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v {training} : tensor<2x4x5x5xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<2x4x5x5xf32>
  %w2 = nn.param "c2.weight" init "he_normal" : tensor<4x4x3x3xf32>
  %z = nn.conv2d %r, %w2 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x5x5xf32>
  %w3 = nn.param "c3.weight" init "he_normal" : tensor<4x4x1x1xf32>
  %z2 = nn.conv2d %r, %w3 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<2x4x5x5xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x5x5xf32>
  %s = nn.add %z, %z2 : tensor<2x4x5x5xf32>
  %p = nn.global_avg_pool %s : tensor<2x4x5x5xf32> -> tensor<2x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %loss = nn.softmax_cross_entropy %l, %labels : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
