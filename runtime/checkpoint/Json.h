//===- Json.h - a small strict JSON reader and string quoting
//--------------===//
//
// Just enough JSON for safetensors headers, so the runtime needs no external
// library. Numbers keep their literal text; callers convert what they expect.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_CHECKPOINT_JSON_H
#define CARDINAL_RUNTIME_CHECKPOINT_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cardinal::rt::json {

struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text; ///< String: decoded UTF-8; Number: the literal as written
  std::vector<Value> items; ///< Array elements
  /// Object members in document order; duplicates are kept (callers that
  /// care check with duplicateKey).
  std::vector<std::pair<std::string, Value>> members;

  /// The first member named `key`, or null.
  const Value *get(std::string_view key) const;
  /// A key that occurs twice in this object, or null.
  const std::string *duplicateKey() const;
  /// This Number as an exact integer, if it is written as one and fits.
  bool asInt64(int64_t &out) const;
};

/// Parses exactly one JSON value (RFC 8259; surrounding whitespace allowed,
/// nesting limited to 64 levels). Throws std::runtime_error("offset N: ...").
Value parse(std::string_view text);

/// `s` as a JSON string literal, with quotes and escapes.
std::string quote(std::string_view s);

/// Short name of a kind for error messages ("object", "string", ...).
const char *kindName(Value::Kind kind);

} // namespace cardinal::rt::json

#endif // CARDINAL_RUNTIME_CHECKPOINT_JSON_H
