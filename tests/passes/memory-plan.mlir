// RUN: cardinal-opt %s -split-input-file -verify-diagnostics --nn-memory-plan=report=true | FileCheck %s

// a: 4x16 f32 = 256 B at 0; b (reads a) at 256; a dies after b, so c
// reuses offset 0; d reads b and c: at 512. Peak 768 B, 1024 without reuse.
// CHECK: memory plan chain: peak 768 bytes (without reuse 1024)
// CHECK-LABEL: func.func @chain()
// CHECK-SAME: nn.arena_bytes = 768 : i64
// CHECK-SAME: nn.unplanned_bytes = 1024 : i64
// CHECK: nn.relu %{{.*}} {nn.offset = array<i64: 0>}
// CHECK-NEXT: nn.relu %{{.*}} {nn.offset = array<i64: 256>}
// CHECK-NEXT: nn.relu %{{.*}} {nn.offset = array<i64: 0>}
// CHECK-NEXT: nn.add %{{.*}} {nn.offset = array<i64: 512>}
func.func @chain() -> tensor<4x16xf32> {
  %x = nn.input "x" : tensor<4x16xf32>
  %a = nn.relu %x : tensor<4x16xf32>
  %b = nn.relu %a : tensor<4x16xf32>
  %c = nn.relu %b : tensor<4x16xf32>
  %d = nn.add %b, %c : tensor<4x16xf32>
  return %d : tensor<4x16xf32>
}

// -----

func.func @aggregate() -> tensor<2x3xf32> {
// expected-error @-1 {{nn-memory-plan: lower nn.aggregate first}}
  %x = nn.input "x" : tensor<2x3xf32>
  %a = nn.aggregate %x cardinality 2 : tensor<2x3xf32> -> tensor<2x3xf32> {
  ^bb0(%in: tensor<2x3xf32>):
    %r = nn.relu %in : tensor<2x3xf32>
    nn.yield %r : tensor<2x3xf32>
  }
  return %a : tensor<2x3xf32>
}
