// The same block with a ReLU between the aggregated BN and the shortcut add:
// not the paper's block, and not equivalent to it.
#define RELU_BEFORE_ADD
#include "block_good.cpp"
