//===- Kernels.h - everything a generated trainer calls --------------------===//
//
// CPU kernels of the Cardinal runtime, namespace cardinal::rt: raw pointers
// plus shape structs, NCHW activations, OIHW weights, float and double.
// Plain C++17 + OpenMP + OpenBLAS; nothing from the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_KERNELS_KERNELS_H
#define CARDINAL_RUNTIME_KERNELS_KERNELS_H

#include "runtime/kernels/BatchNorm.h"
#include "runtime/kernels/BnApply.h"
#include "runtime/kernels/BnPrologueConv.h"
#include "runtime/kernels/Concat.h"
#include "runtime/kernels/Conv2d.h"
#include "runtime/kernels/ConvGradBnSums.h"
#include "runtime/kernels/ConvStats.h"
#include "runtime/kernels/Elementwise.h"
#include "runtime/kernels/FusedBn.h"
#include "runtime/kernels/FusedConv.h"
#include "runtime/kernels/Linear.h"
#include "runtime/kernels/Loss.h"
#include "runtime/kernels/Pool.h"
#include "runtime/kernels/Sgd.h"
#include "runtime/kernels/Shapes.h"
#include "runtime/kernels/Threads.h"

#endif // CARDINAL_RUNTIME_KERNELS_KERNELS_H
