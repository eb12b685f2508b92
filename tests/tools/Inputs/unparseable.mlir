func.func @m() -> tensor<1x8x4x4xf32> {
  %x = nn.input "image" : tensor<1x8x4x4xf32>
  %y = nn.relu %x tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}
