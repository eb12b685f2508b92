#!/usr/bin/env bash
# The main job, until trainers exist: build Cardinal, print the paper's
# Table 1 for ResNeXt-50 (32x4d), and compile a one-block model file written
# in form (c) to the nn dialect.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"

./scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)" --target cardinal cardinal-opt
"$BUILD_DIR/bin/cardinal" stats resnext50_32x4d
"$BUILD_DIR/bin/cardinal" build models/examples/block_form_c.cpp --emit=mlir
