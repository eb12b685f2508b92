// conv3x3 (2 -> 4) -> BN -> ReLU -> global average pool -> fc (4 -> 3), batch
// 1, 4x4: the model of plan-traffic.test's hand count.
func.func @tiny() -> tensor<1x3xf32> {
  %x = nn.input "image" : tensor<1x2x4x4xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<4x2x3x3xf32>
  %c = nn.conv2d %x, %w stride [1, 1] pad [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x4x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x4x4xf32>
  %g = nn.param "bn.scale" init "ones" : tensor<4xf32>
  %b = nn.param "bn.shift" init "zeros" : tensor<4xf32>
  %m = nn.state "bn.running_mean" init "zeros" : tensor<4xf32>
  %v = nn.state "bn.running_var" init "ones" : tensor<4xf32>
  %n = nn.batch_norm %c, %g, %b, %m, %v : tensor<1x4x4x4xf32>, tensor<4xf32>
  %r = nn.relu %n : tensor<1x4x4x4xf32>
  %p = nn.global_avg_pool %r : tensor<1x4x4x4xf32> -> tensor<1x4xf32>
  %fw = nn.param "fc.weight" init "linear_uniform" : tensor<3x4xf32>
  %l = nn.linear %p, %fw : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  return %l : tensor<1x3xf32>
}
