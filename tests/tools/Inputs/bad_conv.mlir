func.func @m() -> tensor<1x8x4x4xf32> {
  %x = nn.input "image" : tensor<1x6x4x4xf32>
  %w = nn.param "c.weight" init "he_normal" : tensor<8x4x1x1xf32>
  %y = nn.conv2d %x, %w stride [1, 1] pad [0, 0] dilation [1, 1] groups 1 : (tensor<1x6x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}
