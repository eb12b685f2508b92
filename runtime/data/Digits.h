//===- Digits.h - scikit-learn's bundled 8x8 digits dataset
//----------------===//
//
// The default dataset: small enough to train on a laptop CPU in seconds and
// shipped by Debian's python3-sklearn, read here with zlib (no Python).
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_DIGITS_H
#define CARDINAL_RUNTIME_DATA_DIGITS_H

#include "runtime/data/Dataset.h"

#include <cstdint>
#include <string>

namespace cardinal::rt {

/// Loads `digits.csv.gz` (rows of 64 pixels 0..16 then a label 0..9).
/// Every row is validated. Split: a simple (not stratified) split after a
/// Fisher-Yates shuffle driven by Random(seed): the last ceil(N/5) shuffled
/// rows are the test set (1797 rows -> 1437 train / 360 test), the rest train.
/// Images are 1x8x8, scaled by 1/16, then normalized by the train split's
/// mean/std. Throws std::runtime_error naming the file and the problem.
DataSplit loadDigits(const std::string &csvGzPath, uint64_t seed = 0);

/// $CARDINAL_DIGITS if set and non-empty, else Debian's python3-sklearn path.
std::string defaultDigitsPath();

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_DIGITS_H
