//===- SafeTensors.h - the safetensors checkpoint format
//-------------------===//
//
// Checkpoints use safetensors so PyTorch/NumPy tools can read them:
//   8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {"k": "v"}, "NAME": {"dtype": "F32", "shape": [..],
//    "data_offsets": [begin, end]}, ...}, then the raw little-endian data;
//   offsets are relative to the data section, which tensors cover exactly.
// We write names sorted (data in the same order), "__metadata__" first, and
// pad the header with spaces so the data section is 8-byte aligned.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CHECKPOINT_SAFETENSORS_H
#define CARDINAL_RUNTIME_CHECKPOINT_SAFETENSORS_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cardinal::rt {

struct TensorRecord {
  std::string name;
  std::string dtype; ///< "F32", "F64", "I32", "I64", "U64", ... (see dtypeSize)
  std::vector<int64_t> shape; ///< empty: a scalar
  std::vector<uint8_t> bytes; ///< little-endian, row-major

  /// Product of the shape (1 for a scalar).
  int64_t numel() const;
};

struct SafeTensorsFile {
  std::string path; ///< where it was read from, for error messages
  std::vector<TensorRecord> tensors; ///< sorted by name
  std::map<std::string, std::string> metadata;

  /// The tensor named `name`, or null.
  const TensorRecord *find(const std::string &name) const;
  /// The tensor named `name`; throws std::runtime_error if absent.
  const TensorRecord &at(const std::string &name) const;
};

/// Bytes per element of a safetensors dtype: BOOL U8 I8 F8_E5M2 F8_E4M3 (1),
/// I16 U16 F16 BF16 (2), I32 U32 F32 (4), I64 U64 F64 (8); 0 if unknown.
size_t dtypeSize(const std::string &dtype);

/// Builds a record from values; throws if the shape's product != size.
TensorRecord tensorF32(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<float> &values);
TensorRecord tensorF64(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<double> &values);
TensorRecord tensorI32(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<int32_t> &values);
TensorRecord tensorI64(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<int64_t> &values);
TensorRecord tensorU64(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<uint64_t> &values);

/// A record's values; throws std::runtime_error naming the tensor if its
/// dtype differs.
std::vector<float> asF32(const TensorRecord &t);
std::vector<double> asF64(const TensorRecord &t);
std::vector<int32_t> asI32(const TensorRecord &t);
std::vector<int64_t> asI64(const TensorRecord &t);
std::vector<uint64_t> asU64(const TensorRecord &t);

/// The whole file in memory (header + data); validates the records as
/// writeSafeTensors does.
std::vector<uint8_t>
encodeSafeTensors(const std::vector<TensorRecord> &tensors,
                  const std::map<std::string, std::string> &metadata);

/// Writes atomically (temp file beside `path`, fsync, rename over `path`,
/// fsync the directory); on any error the old file is untouched, the temp
/// file removed, and std::runtime_error names `path` and the problem.
/// Records must have unique non-empty names other than "__metadata__", a
/// known dtype, dims >= 0 and bytes.size() == numel × dtype size.
void writeSafeTensors(const std::string &path,
                      const std::vector<TensorRecord> &tensors,
                      const std::map<std::string, std::string> &metadata);

/// Parses a whole file held in memory, validating strictly (see
/// readSafeTensors); errors are prefixed with `what`.
SafeTensorsFile decodeSafeTensors(const uint8_t *data, size_t size,
                                  const std::string &what);

/// Reads and strictly validates `path`: file too short, header length beyond
/// the file, malformed JSON, a non-object header or entry, unknown keys or
/// dtype, bad shape, offsets out of range / not matching shape × dtype size /
/// overlapping / leaving holes, duplicate names, non-string metadata.
/// Throws std::runtime_error("<path>: <problem>").
SafeTensorsFile readSafeTensors(const std::string &path);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_CHECKPOINT_SAFETENSORS_H
