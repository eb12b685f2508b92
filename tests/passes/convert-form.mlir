// RUN: cardinal-opt %s -split-input-file --nn-convert-form=form=a -verify-diagnostics | FileCheck %s --check-prefix=A
// RUN: cardinal-opt %s -split-input-file --nn-convert-form=form=b -verify-diagnostics | FileCheck %s --check-prefix=B
// RUN: cardinal-opt %s -split-input-file --nn-convert-form=form=c -verify-diagnostics | FileCheck %s --check-prefix=C
// RUN: cardinal-opt %s -split-input-file --nn-convert-form=form=c --nn-convert-form=form=a -mlir-print-op-on-diagnostic=false 2>/dev/null | FileCheck %s --check-prefix=CA

// Each block below is written in one form; every form converts to every
// form. The map in nn.param_map says how each output parameter is made from
// the input's (identity entries for untouched ones). Converting (a) -> (c) ->
// (a) composes to the identity and gives the (a) text back.

// -----

// Form (a): C = 2 explicit paths summed by nn.add, then bn3, shortcut, ReLU.
// Converted to (a) it stays as it is and its map is the identity: every entry
// one whole piece of the same name.
// A:       module attributes {nn.param_map = [{{(\{axis = 0 : i64, pieces = \[\{axis = 0 : i64, size = [0-9]+ : i64, source = "([^"]+)", source_shape = array<i64: [0-9, ]+>, start = 0 : i64\}\], shape = array<i64: [0-9, ]+>, target = "([^"]+)"\}(, )?)+}}]} {
// A-LABEL: func.func @form_a
// A:       %[[P0:.*]] = nn.conv2d {{.*}} -> tensor<1x8x4x4xf32>
// A-NEXT:  nn.param "stage2.block0.path1.conv1.weight"
// A:       %[[P1:.*]] = nn.conv2d {{.*}} -> tensor<1x8x4x4xf32>
// A-NEXT:  nn.add %[[P0]], %[[P1]] : tensor<1x8x4x4xf32>
// A-NOT:   nn.concat
// B:       {axis = 1 : i64, pieces = [{axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path0.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}, {axis = 1 : i64, size = 2 : i64, source = "stage2.block0.path1.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}], shape = array<i64: 8, 4, 1, 1>, target = "stage2.block0.conv3.weight"}
// B-LABEL: func.func @form_a
// B:       nn.state "stage2.block0.path0.bn2.running_var"
// B-NEXT:  nn.batch_norm
// B-NEXT:  %[[R0:.*]] = nn.relu {{.*}} : tensor<1x2x4x4xf32>
// B-NEXT:  nn.param "stage2.block0.path1.conv1.weight"
// B:       nn.state "stage2.block0.path1.bn2.running_var"
// B-NEXT:  nn.batch_norm
// B-NEXT:  %[[R1:.*]] = nn.relu {{.*}} : tensor<1x2x4x4xf32>
// B-NEXT:  %[[CAT:.*]] = nn.concat %[[R0]], %[[R1]] axis 1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
// B-NEXT:  %[[W:.*]] = nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x4x1x1xf32>
// B-NEXT:  nn.conv2d %[[CAT]], %[[W]] stride [1, 1] pad [0, 0] dilation [1, 1] groups 1
// B-NEXT:  nn.param "stage2.block0.bn3.scale"
// C:       {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path0.conv2.weight", source_shape = array<i64: 2, 2, 3, 3>, start = 0 : i64}, {axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path1.conv2.weight", source_shape = array<i64: 2, 2, 3, 3>, start = 0 : i64}], shape = array<i64: 4, 2, 3, 3>, target = "stage2.block0.conv2.weight"}
// C-LABEL: func.func @form_a
// C-NEXT:  %[[X:.*]] = nn.input "image"
// C-NEXT:  nn.param "stage2.block0.conv1.weight" init "he_normal" : tensor<4x8x1x1xf32>
// C-NEXT:  nn.conv2d %[[X]], {{.*}} groups 1 : (tensor<1x8x4x4xf32>, tensor<4x8x1x1xf32>) -> tensor<1x4x4x4xf32>
// C:       nn.param "stage2.block0.conv2.weight" init "he_normal" : tensor<4x2x3x3xf32>
// C-NEXT:  nn.conv2d {{.*}} groups 2 : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32>
// C:       nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x4x1x1xf32>
// C-NEXT:  nn.conv2d {{.*}} groups 1 : (tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
// C-NOT:   path0
// C:       return
// (a) -> (c) -> (a): the identity, the same paths.
// CA:      module attributes {nn.param_map = [{axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.path0.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}], shape = array<i64: 2, 8, 1, 1>, target = "stage2.block0.path0.conv1.weight"}
// CA-SAME: {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 8 : i64, source = "stage2.block0.path1.conv3.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}], shape = array<i64: 8, 2, 1, 1>, target = "stage2.block0.path1.conv3.weight"}
// CA-LABEL: func.func @form_a
// CA:      %[[P0:.*]] = nn.conv2d {{.*}} -> tensor<1x8x4x4xf32>
// CA-NEXT: nn.param "stage2.block0.path1.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
// CA:      %[[P1:.*]] = nn.conv2d {{.*}} -> tensor<1x8x4x4xf32>
// CA-NEXT: nn.add %[[P0]], %[[P1]] : tensor<1x8x4x4xf32>
func.func @form_a() -> tensor<1x8x4x4xf32> {
  %0 = nn.input "image" : tensor<1x8x4x4xf32>
  %1 = nn.param "stage2.block0.path0.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %2 = nn.conv2d %0, %1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = nn.param "stage2.block0.path0.bn1.scale" init "ones" : tensor<2xf32>
  %4 = nn.param "stage2.block0.path0.bn1.shift" init "zeros" : tensor<2xf32>
  %5 = nn.state "stage2.block0.path0.bn1.running_mean" init "zeros" : tensor<2xf32>
  %6 = nn.state "stage2.block0.path0.bn1.running_var" init "ones" : tensor<2xf32>
  %7 = nn.batch_norm %2, %3, %4, %5, %6 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %8 = nn.relu %7 : tensor<1x2x4x4xf32>
  %9 = nn.param "stage2.block0.path0.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
  %10 = nn.conv2d %8, %9 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %11 = nn.param "stage2.block0.path0.bn2.scale" init "ones" : tensor<2xf32>
  %12 = nn.param "stage2.block0.path0.bn2.shift" init "zeros" : tensor<2xf32>
  %13 = nn.state "stage2.block0.path0.bn2.running_mean" init "zeros" : tensor<2xf32>
  %14 = nn.state "stage2.block0.path0.bn2.running_var" init "ones" : tensor<2xf32>
  %15 = nn.batch_norm %10, %11, %12, %13, %14 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %16 = nn.relu %15 : tensor<1x2x4x4xf32>
  %17 = nn.param "stage2.block0.path0.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
  %18 = nn.conv2d %16, %17 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
  %19 = nn.param "stage2.block0.path1.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %20 = nn.conv2d %0, %19 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %21 = nn.param "stage2.block0.path1.bn1.scale" init "ones" : tensor<2xf32>
  %22 = nn.param "stage2.block0.path1.bn1.shift" init "zeros" : tensor<2xf32>
  %23 = nn.state "stage2.block0.path1.bn1.running_mean" init "zeros" : tensor<2xf32>
  %24 = nn.state "stage2.block0.path1.bn1.running_var" init "ones" : tensor<2xf32>
  %25 = nn.batch_norm %20, %21, %22, %23, %24 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %26 = nn.relu %25 : tensor<1x2x4x4xf32>
  %27 = nn.param "stage2.block0.path1.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
  %28 = nn.conv2d %26, %27 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %29 = nn.param "stage2.block0.path1.bn2.scale" init "ones" : tensor<2xf32>
  %30 = nn.param "stage2.block0.path1.bn2.shift" init "zeros" : tensor<2xf32>
  %31 = nn.state "stage2.block0.path1.bn2.running_mean" init "zeros" : tensor<2xf32>
  %32 = nn.state "stage2.block0.path1.bn2.running_var" init "ones" : tensor<2xf32>
  %33 = nn.batch_norm %28, %29, %30, %31, %32 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %34 = nn.relu %33 : tensor<1x2x4x4xf32>
  %35 = nn.param "stage2.block0.path1.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
  %36 = nn.conv2d %34, %35 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
  %37 = nn.add %18, %36 : tensor<1x8x4x4xf32>
  %38 = nn.param "stage2.block0.bn3.scale" init "ones" : tensor<8xf32>
  %39 = nn.param "stage2.block0.bn3.shift" init "zeros" : tensor<8xf32>
  %40 = nn.state "stage2.block0.bn3.running_mean" init "zeros" : tensor<8xf32>
  %41 = nn.state "stage2.block0.bn3.running_var" init "ones" : tensor<8xf32>
  %42 = nn.batch_norm %37, %38, %39, %40, %41 : tensor<1x8x4x4xf32>, tensor<8xf32>
  %43 = nn.add %42, %0 : tensor<1x8x4x4xf32>
  %44 = nn.relu %43 : tensor<1x8x4x4xf32>
  return %44 : tensor<1x8x4x4xf32>
}

// -----

// Form (b): the paths up to the 3x3 layer, concatenated, one 1x1 conv.
// A:       {axis = 1 : i64, pieces = [{axis = 1 : i64, size = 2 : i64, source = "stage2.block0.conv3.weight", source_shape = array<i64: 8, 4, 1, 1>, start = 2 : i64}], shape = array<i64: 8, 2, 1, 1>, target = "stage2.block0.path1.conv3.weight"}
// A-LABEL: func.func @form_b
// A:       nn.param "stage2.block0.path0.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
// A-NEXT:  %[[P0:.*]] = nn.conv2d
// A:       nn.param "stage2.block0.path1.conv3.weight" init "he_normal" : tensor<8x2x1x1xf32>
// A-NEXT:  %[[P1:.*]] = nn.conv2d
// A-NEXT:  nn.add %[[P0]], %[[P1]]
// B-LABEL: func.func @form_b
// B:       nn.concat
// B-NEXT:  nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x4x1x1xf32>
// C:       {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 8 : i64, source = "stage2.block0.conv3.weight", source_shape = array<i64: 8, 4, 1, 1>, start = 0 : i64}], shape = array<i64: 8, 4, 1, 1>, target = "stage2.block0.conv3.weight"}
// C-LABEL: func.func @form_b
// C:       nn.conv2d {{.*}} groups 2 : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32>
// C-NOT:   nn.concat
// C:       return
func.func @form_b() -> tensor<1x8x4x4xf32> {
  %0 = nn.input "image" : tensor<1x8x4x4xf32>
  %1 = nn.param "stage2.block0.path0.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %2 = nn.conv2d %0, %1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %3 = nn.param "stage2.block0.path0.bn1.scale" init "ones" : tensor<2xf32>
  %4 = nn.param "stage2.block0.path0.bn1.shift" init "zeros" : tensor<2xf32>
  %5 = nn.state "stage2.block0.path0.bn1.running_mean" init "zeros" : tensor<2xf32>
  %6 = nn.state "stage2.block0.path0.bn1.running_var" init "ones" : tensor<2xf32>
  %7 = nn.batch_norm %2, %3, %4, %5, %6 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %8 = nn.relu %7 : tensor<1x2x4x4xf32>
  %9 = nn.param "stage2.block0.path0.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
  %10 = nn.conv2d %8, %9 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %11 = nn.param "stage2.block0.path0.bn2.scale" init "ones" : tensor<2xf32>
  %12 = nn.param "stage2.block0.path0.bn2.shift" init "zeros" : tensor<2xf32>
  %13 = nn.state "stage2.block0.path0.bn2.running_mean" init "zeros" : tensor<2xf32>
  %14 = nn.state "stage2.block0.path0.bn2.running_var" init "ones" : tensor<2xf32>
  %15 = nn.batch_norm %10, %11, %12, %13, %14 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %16 = nn.relu %15 : tensor<1x2x4x4xf32>
  %17 = nn.param "stage2.block0.path1.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %18 = nn.conv2d %0, %17 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %19 = nn.param "stage2.block0.path1.bn1.scale" init "ones" : tensor<2xf32>
  %20 = nn.param "stage2.block0.path1.bn1.shift" init "zeros" : tensor<2xf32>
  %21 = nn.state "stage2.block0.path1.bn1.running_mean" init "zeros" : tensor<2xf32>
  %22 = nn.state "stage2.block0.path1.bn1.running_var" init "ones" : tensor<2xf32>
  %23 = nn.batch_norm %18, %19, %20, %21, %22 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %24 = nn.relu %23 : tensor<1x2x4x4xf32>
  %25 = nn.param "stage2.block0.path1.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
  %26 = nn.conv2d %24, %25 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %27 = nn.param "stage2.block0.path1.bn2.scale" init "ones" : tensor<2xf32>
  %28 = nn.param "stage2.block0.path1.bn2.shift" init "zeros" : tensor<2xf32>
  %29 = nn.state "stage2.block0.path1.bn2.running_mean" init "zeros" : tensor<2xf32>
  %30 = nn.state "stage2.block0.path1.bn2.running_var" init "ones" : tensor<2xf32>
  %31 = nn.batch_norm %26, %27, %28, %29, %30 : tensor<1x2x4x4xf32>, tensor<2xf32>
  %32 = nn.relu %31 : tensor<1x2x4x4xf32>
  %33 = nn.concat %16, %32 axis 1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %34 = nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x4x1x1xf32>
  %35 = nn.conv2d %33, %34 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
  %36 = nn.param "stage2.block0.bn3.scale" init "ones" : tensor<8xf32>
  %37 = nn.param "stage2.block0.bn3.shift" init "zeros" : tensor<8xf32>
  %38 = nn.state "stage2.block0.bn3.running_mean" init "zeros" : tensor<8xf32>
  %39 = nn.state "stage2.block0.bn3.running_var" init "ones" : tensor<8xf32>
  %40 = nn.batch_norm %35, %36, %37, %38, %39 : tensor<1x8x4x4xf32>, tensor<8xf32>
  %41 = nn.add %40, %0 : tensor<1x8x4x4xf32>
  %42 = nn.relu %41 : tensor<1x8x4x4xf32>
  return %42 : tensor<1x8x4x4xf32>
}

// -----

// Form (c): one 1x1 conv to C*d, one grouped 3x3 (groups C), one 1x1 conv.
// A:       {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.conv2.weight", source_shape = array<i64: 4, 2, 3, 3>, start = 2 : i64}], shape = array<i64: 2, 2, 3, 3>, target = "stage2.block0.path1.conv2.weight"}
// A-SAME:  {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "stage2.block0.bn2.running_var", source_shape = array<i64: 4>, start = 2 : i64}], shape = array<i64: 2>, target = "stage2.block0.path1.bn2.running_var"}
// A-LABEL: func.func @form_c
// A:       nn.param "stage2.block0.path1.conv2.weight" init "he_normal" : tensor<2x2x3x3xf32>
// A-NEXT:  nn.conv2d {{.*}} groups 1 : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
// A:       nn.add
// B-LABEL: func.func @form_c
// B:       nn.concat
// C-LABEL: func.func @form_c
// C:       nn.param "stage2.block0.conv2.weight" init "he_normal" : tensor<4x2x3x3xf32>
// C-NEXT:  nn.conv2d {{.*}} groups 2
func.func @form_c() -> tensor<1x8x4x4xf32> {
  %0 = nn.input "image" : tensor<1x8x4x4xf32>
  %1 = nn.param "stage2.block0.conv1.weight" init "he_normal" : tensor<4x8x1x1xf32>
  %2 = nn.conv2d %0, %1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<4x8x1x1xf32>) -> tensor<1x4x4x4xf32>
  %3 = nn.param "stage2.block0.bn1.scale" init "ones" : tensor<4xf32>
  %4 = nn.param "stage2.block0.bn1.shift" init "zeros" : tensor<4xf32>
  %5 = nn.state "stage2.block0.bn1.running_mean" init "zeros" : tensor<4xf32>
  %6 = nn.state "stage2.block0.bn1.running_var" init "ones" : tensor<4xf32>
  %7 = nn.batch_norm %2, %3, %4, %5, %6 : tensor<1x4x4x4xf32>, tensor<4xf32>
  %8 = nn.relu %7 : tensor<1x4x4x4xf32>
  %9 = nn.param "stage2.block0.conv2.weight" init "he_normal" : tensor<4x2x3x3xf32>
  %10 = nn.conv2d %8, %9 stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<1x4x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32>
  %11 = nn.param "stage2.block0.bn2.scale" init "ones" : tensor<4xf32>
  %12 = nn.param "stage2.block0.bn2.shift" init "zeros" : tensor<4xf32>
  %13 = nn.state "stage2.block0.bn2.running_mean" init "zeros" : tensor<4xf32>
  %14 = nn.state "stage2.block0.bn2.running_var" init "ones" : tensor<4xf32>
  %15 = nn.batch_norm %10, %11, %12, %13, %14 : tensor<1x4x4x4xf32>, tensor<4xf32>
  %16 = nn.relu %15 : tensor<1x4x4x4xf32>
  %17 = nn.param "stage2.block0.conv3.weight" init "he_normal" : tensor<8x4x1x1xf32>
  %18 = nn.conv2d %16, %17 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
  %19 = nn.param "stage2.block0.bn3.scale" init "ones" : tensor<8xf32>
  %20 = nn.param "stage2.block0.bn3.shift" init "zeros" : tensor<8xf32>
  %21 = nn.state "stage2.block0.bn3.running_mean" init "zeros" : tensor<8xf32>
  %22 = nn.state "stage2.block0.bn3.running_var" init "ones" : tensor<8xf32>
  %23 = nn.batch_norm %18, %19, %20, %21, %22 : tensor<1x8x4x4xf32>, tensor<8xf32>
  %24 = nn.add %23, %0 : tensor<1x8x4x4xf32>
  %25 = nn.relu %24 : tensor<1x8x4x4xf32>
  return %25 : tensor<1x8x4x4xf32>
}

// -----

// Not a block: the paths differ in one attribute (isomorphism is checked,
// names are not trusted). Left unchanged.
// A-LABEL: func.func @mismatch_a
// A:       nn.add
// B-LABEL: func.func @mismatch_a
// B-NOT:   nn.concat
// B:       nn.add
// C-LABEL: func.func @mismatch_a
// C:       dilation [2, 2]
// C:       nn.add
func.func @mismatch_a(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w0 = nn.param "s.b.path0.conv1.weight" init "he_normal" : tensor<2x8x3x3xf32>
  %c0 = nn.conv2d %x, %w0 stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x3x3xf32>) -> tensor<1x2x4x4xf32>
  %r0 = nn.relu %c0 : tensor<1x2x4x4xf32>
  %v0 = nn.param "s.b.path0.conv2.weight" init "he_normal" : tensor<8x2x1x1xf32>
  %y0 = nn.conv2d %r0, %v0 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
  %w1 = nn.param "s.b.path1.conv1.weight" init "he_normal" : tensor<2x8x3x3xf32>
  %c1 = nn.conv2d %x, %w1 stride [1, 1] pad [2, 2] dilation [2, 2] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x3x3xf32>) -> tensor<1x2x4x4xf32>
  %r1 = nn.relu %c1 : tensor<1x2x4x4xf32>
  %v1 = nn.param "s.b.path1.conv2.weight" init "he_normal" : tensor<8x2x1x1xf32>
  %y1 = nn.conv2d %r1, %v1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
  // expected-remark @+1 {{not a block in form (a): path 1 differs from path 0: 'nn.conv2d' (s.b.path1.conv1) has dilation = array<i64: 2, 2> where path 0's 'nn.conv2d' (s.b.path0.conv1) has array<i64: 1, 1>}}
  %s = nn.add %y0, %y1 : tensor<1x8x4x4xf32>
  return %s : tensor<1x8x4x4xf32>
}

// -----

// Not a block: both paths read the same weight (paths own their parameters).
// C-LABEL: func.func @shared_param
// C-COUNT-2: nn.conv2d %arg0, %0
func.func @shared_param(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = nn.param "s.b.conv1.weight" init "he_normal" : tensor<8x8x1x1xf32>
  %c0 = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %r0 = nn.relu %c0 : tensor<1x8x4x4xf32>
  %v0 = nn.param "s.b.path0.conv2.weight" init "he_normal" : tensor<8x8x1x1xf32>
  %y0 = nn.conv2d %r0, %v0 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %c1 = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %r1 = nn.relu %c1 : tensor<1x8x4x4xf32>
  %v1 = nn.param "s.b.path1.conv2.weight" init "he_normal" : tensor<8x8x1x1xf32>
  %y1 = nn.conv2d %r1, %v1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  // expected-remark @+1 {{not a block in form (a): the paths share parameter 's.b.conv1.weight'}}
  %s = nn.add %y0, %y1 : tensor<1x8x4x4xf32>
  return %s : tensor<1x8x4x4xf32>
}

// -----

// Not a block: the concatenated values come from different subgraphs.
// A-LABEL: func.func @not_b
// A:       nn.concat
func.func @not_b(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w0 = nn.param "s.b.path0.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %c0 = nn.conv2d %x, %w0 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r0 = nn.relu %c0 : tensor<1x2x4x4xf32>
  %w1 = nn.param "s.b.path1.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %c1 = nn.conv2d %x, %w1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %cat = nn.concat %r0, %c1 axis 1 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %w = nn.param "s.b.conv2.weight" init "he_normal" : tensor<8x4x1x1xf32>
  // expected-remark @+1 {{not a block in form (b): path 1 differs from path 0: it is 'nn.conv2d' (s.b.path1.conv1) where path 0 has 'nn.relu'}}
  %y = nn.conv2d %cat, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// Not a block: the grouped conv reads the input directly, no dense conv first.
// A-LABEL: func.func @not_c
// A:       groups 2
// A-NOT:   nn.add
// A:       return
func.func @not_c(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w1 = nn.param "s.b.conv1.weight" init "he_normal" : tensor<8x4x3x3xf32>
  %c1 = nn.conv2d %x, %w1 stride [1, 1] pad [1, 1] dilation [1, 1] groups 2 : (tensor<1x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x4x4xf32>
  %r = nn.relu %c1 : tensor<1x8x4x4xf32>
  %w2 = nn.param "s.b.conv2.weight" init "he_normal" : tensor<8x8x1x1xf32>
  // expected-remark @+1 {{not a block in form (c): the grouped 'nn.conv2d' (s.b.conv1) is not reached from a dense conv}}
  %y = nn.conv2d %r, %w2 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// Imported names without path tags: path 0's names become the template
// names; path 1's parameters are renamed (the map records it).
// A-LABEL: func.func @imported
// A:       nn.param "right.conv2.weight"
// B:       {axis = 1 : i64, pieces = [{axis = 1 : i64, size = 2 : i64, source = "left.conv2.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}, {axis = 1 : i64, size = 2 : i64, source = "right.conv2.weight", source_shape = array<i64: 8, 2, 1, 1>, start = 0 : i64}], shape = array<i64: 8, 4, 1, 1>, target = "left.conv2.weight"}
// B-LABEL: func.func @imported
// B:       nn.param "left.path0.conv1.weight"
// B:       nn.param "left.path1.conv1.weight"
// B:       nn.param "left.conv2.weight" init "he_normal" : tensor<8x4x1x1xf32>
// C:       {axis = 0 : i64, pieces = [{axis = 0 : i64, size = 2 : i64, source = "left.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}, {axis = 0 : i64, size = 2 : i64, source = "right.conv1.weight", source_shape = array<i64: 2, 8, 1, 1>, start = 0 : i64}], shape = array<i64: 4, 8, 1, 1>, target = "left.conv1.weight"}
// C-LABEL: func.func @imported
// C-NEXT:  nn.param "left.conv1.weight" init "he_normal" : tensor<4x8x1x1xf32>
// C-NOT:   right.
// C:       return
func.func @imported(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w0 = nn.param "left.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %c0 = nn.conv2d %x, %w0 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r0 = nn.relu %c0 : tensor<1x2x4x4xf32>
  %v0 = nn.param "left.conv2.weight" init "he_normal" : tensor<8x2x1x1xf32>
  %y0 = nn.conv2d %r0, %v0 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
  %w1 = nn.param "right.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
  %c1 = nn.conv2d %x, %w1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r1 = nn.relu %c1 : tensor<1x2x4x4xf32>
  %v1 = nn.param "right.conv2.weight" init "he_normal" : tensor<8x2x1x1xf32>
  %y1 = nn.conv2d %r1, %v1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
  %s = nn.add %y0, %y1 : tensor<1x8x4x4xf32>
  return %s : tensor<1x8x4x4xf32>
}

// -----

// An nn.aggregate is lowered to the requested form as well.
// A-LABEL: func.func @aggregate
// A:       nn.param "s.b.path1.conv1.weight"
// A:       nn.add
// B-LABEL: func.func @aggregate
// B:       nn.concat
// C-LABEL: func.func @aggregate
// C-NEXT:  nn.param "s.b.conv1.weight" init "he_normal" : tensor<4x8x1x1xf32>
// C-NEXT:  nn.conv2d
// C-NEXT:  nn.relu
// C-NEXT:  nn.param "s.b.conv2.weight" init "he_normal" : tensor<8x4x1x1xf32>
func.func @aggregate(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %a = nn.aggregate %x cardinality 2 : tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32> {
  ^bb0(%in: tensor<1x8x4x4xf32>):
    %w1 = nn.param "s.b.conv1.weight" init "he_normal" : tensor<2x8x1x1xf32>
    %c1 = nn.conv2d %in, %w1 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32>
    %r = nn.relu %c1 : tensor<1x2x4x4xf32>
    %w2 = nn.param "s.b.conv2.weight" init "he_normal" : tensor<8x2x1x1xf32>
    %c2 = nn.conv2d %r, %w2 stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x4x4xf32>
    nn.yield %c2 : tensor<1x8x4x4xf32>
  }
  return %a : tensor<1x8x4x4xf32>
}
