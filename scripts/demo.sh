#!/usr/bin/env bash
# The main job: build Cardinal, compile the small CIFAR-style ResNeXt for the
# 8x8 digits to a trainer binary, and train it on the bundled data
# (scikit-learn's digits), printing test accuracy at the end. On the way it
# shows the paper's Table 1 for ResNeXt-50 and the proof that a block's
# forms (a), (b), (c) are the same function.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${BUILD_DIR:-build}"
OUT_DIR="${OUT_DIR:-$BUILD_DIR/demo}"

./scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$(nproc)" --target cardinal cardinal-opt
CARDINAL="$BUILD_DIR/bin/cardinal"

"$CARDINAL" stats resnext50_32x4d
"$CARDINAL" equiv resnext_block | tail -6
mkdir -p "$OUT_DIR"
"$CARDINAL" build resnext_small --image 8 --channels 1 --batch 32 -o "$OUT_DIR/trainer"
"$OUT_DIR/trainer" train --data digits --epochs 8 --checkpoint-dir "$OUT_DIR"
