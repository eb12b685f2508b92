//===- SafeTensors.cpp - the safetensors checkpoint format
//-----------------===//

#include "runtime/checkpoint/SafeTensors.h"

#include "runtime/checkpoint/AtomicFile.h"
#include "runtime/checkpoint/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>

// Tensor bytes are copied as-is; the format is little-endian.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "SafeTensors.cpp assumes a little-endian host"
#endif

namespace cardinal::rt {
namespace {

// The reference implementation's limit; a larger header is surely corrupt.
constexpr uint64_t kMaxHeader = 100u << 20;

[[noreturn]] void fail(const std::string &what, const std::string &problem) {
  throw std::runtime_error(what + ": " + problem);
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// numel × dtype size, or false on a negative dim or overflow.
bool byteCount(const std::vector<int64_t> &shape, size_t elemSize,
               uint64_t &out) {
  uint64_t n = elemSize;
  for (const int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n))
      return false;
  out = n;
  return true;
}

template <typename T>
TensorRecord makeTensor(const std::string &name, std::vector<int64_t> shape,
                        const std::vector<T> &values, const char *dtype) {
  TensorRecord t{name, dtype, std::move(shape), {}};
  uint64_t bytes = 0;
  if (!byteCount(t.shape, sizeof(T), bytes) ||
      bytes != values.size() * sizeof(T))
    fail("tensor \"" + name + "\"",
         "shape " + shapeText(t.shape) + " does not hold " +
             std::to_string(values.size()) + " values");
  t.bytes.resize(bytes);
  if (bytes)
    std::memcpy(t.bytes.data(), values.data(), bytes);
  return t;
}

template <typename T>
std::vector<T> tensorValues(const TensorRecord &t, const char *dtype) {
  if (t.dtype != dtype)
    fail("tensor \"" + t.name + "\"",
         "dtype is " + t.dtype + ", expected " + dtype);
  if (t.bytes.size() % sizeof(T) != 0)
    fail("tensor \"" + t.name + "\"",
         "byte size " + std::to_string(t.bytes.size()) +
             " is not a multiple of " + std::to_string(sizeof(T)));
  std::vector<T> v(t.bytes.size() / sizeof(T));
  if (!v.empty())
    std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

/// Validates records for writing; returns them sorted by name.
std::vector<const TensorRecord *>
sortedForWrite(const std::vector<TensorRecord> &tensors,
               const std::string &what) {
  std::vector<const TensorRecord *> sorted;
  for (const TensorRecord &t : tensors)
    sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(),
            [](auto *a, auto *b) { return a->name < b->name; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const TensorRecord &t = *sorted[i];
    if (t.name.empty() || t.name == "__metadata__")
      fail(what, "invalid tensor name \"" + t.name + "\"");
    if (i && sorted[i - 1]->name == t.name)
      fail(what, "duplicate tensor name \"" + t.name + "\"");
    const size_t elem = dtypeSize(t.dtype);
    if (!elem)
      fail(what,
           "tensor \"" + t.name + "\" has unknown dtype \"" + t.dtype + "\"");
    uint64_t bytes = 0;
    if (!byteCount(t.shape, elem, bytes) || bytes != t.bytes.size())
      fail(what, "tensor \"" + t.name + "\" has " +
                     std::to_string(t.bytes.size()) + " bytes, shape " +
                     shapeText(t.shape) + " of " + t.dtype + " needs " +
                     std::to_string(bytes));
  }
  return sorted;
}

std::string headerFor(const std::vector<const TensorRecord *> &sorted,
                      const std::map<std::string, std::string> &metadata) {
  std::string json = "{";
  if (!metadata.empty()) {
    json += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[k, v] : metadata) {
      json += (first ? "" : ",") + json::quote(k) + ":" + json::quote(v);
      first = false;
    }
    json += "}";
  }
  uint64_t offset = 0;
  for (const TensorRecord *t : sorted) {
    if (json.size() > 1)
      json += ",";
    const uint64_t end = offset + t->bytes.size();
    json += json::quote(t->name) + ":{\"dtype\":" + json::quote(t->dtype) +
            ",\"shape\":[";
    for (size_t i = 0; i < t->shape.size(); ++i)
      json += (i ? "," : "") + std::to_string(t->shape[i]);
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," +
            std::to_string(end) + "]}";
    offset = end;
  }
  json += "}";
  // Spaces (allowed JSON whitespace) align the data section to 8 bytes.
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + json;
}

/// A validated header entry: the record without bytes, and where they are.
struct Entry {
  TensorRecord record;
  uint64_t begin = 0, end = 0;
};

uint64_t headerLength(const uint8_t *prefix) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<uint64_t>(prefix[i]) << (8 * i);
  return n;
}

/// Checks the 8-byte prefix against the file size; returns the header size.
uint64_t checkPrefix(const uint8_t *prefix, uint64_t fileSize,
                     const std::string &what) {
  const uint64_t n = headerLength(prefix);
  if (n > fileSize - 8)
    fail(what, "header length " + std::to_string(n) +
                   " exceeds the file size " + std::to_string(fileSize));
  if (n > kMaxHeader)
    fail(what,
         "header length " + std::to_string(n) + " exceeds the 100 MiB limit");
  if (n < 2)
    fail(what, "header length " + std::to_string(n) + " is too small");
  return n;
}

void parseMetadata(const json::Value &v, SafeTensorsFile &out,
                   const std::string &what) {
  if (v.kind != json::Value::Kind::Object)
    fail(what, std::string("__metadata__ is a ") + json::kindName(v.kind) +
                   ", expected an object");
  if (const std::string *dup = v.duplicateKey())
    fail(what, "duplicate __metadata__ key \"" + *dup + "\"");
  for (const auto &[k, val] : v.members) {
    if (val.kind != json::Value::Kind::String)
      fail(what, "__metadata__ \"" + k + "\" is a " + json::kindName(val.kind) +
                     ", expected a string");
    out.metadata[k] = val.text;
  }
}

Entry parseEntry(const std::string &name, const json::Value &v,
                 uint64_t dataSize, const std::string &what) {
  const std::string where = what + ": tensor \"" + name + "\"";
  if (v.kind != json::Value::Kind::Object)
    fail(where, std::string("entry is a ") + json::kindName(v.kind) +
                    ", expected an object");
  if (const std::string *dup = v.duplicateKey())
    fail(where, "duplicate key \"" + *dup + "\"");
  for (const auto &m : v.members)
    if (m.first != "dtype" && m.first != "shape" && m.first != "data_offsets")
      fail(where, "unknown key \"" + m.first + "\"");
  const json::Value *dtype = v.get("dtype"), *shape = v.get("shape"),
                    *offsets = v.get("data_offsets");
  if (!dtype || !shape || !offsets)
    fail(where, "needs \"dtype\", \"shape\" and \"data_offsets\"");
  Entry e;
  e.record.name = name;
  if (dtype->kind != json::Value::Kind::String || !dtypeSize(dtype->text))
    fail(where,
         "unknown dtype " + (dtype->kind == json::Value::Kind::String
                                 ? json::quote(dtype->text)
                                 : std::string(json::kindName(dtype->kind))));
  e.record.dtype = dtype->text;
  if (shape->kind != json::Value::Kind::Array)
    fail(where, "shape is not an array");
  for (const json::Value &d : shape->items) {
    int64_t dim = -1;
    if (!d.asInt64(dim) || dim < 0)
      fail(where, "shape has an invalid dimension" +
                      (d.kind == json::Value::Kind::Number ? " " + d.text
                                                           : std::string()));
    e.record.shape.push_back(dim);
  }
  int64_t b = -1, en = -1;
  if (offsets->kind != json::Value::Kind::Array || offsets->items.size() != 2 ||
      !offsets->items[0].asInt64(b) || !offsets->items[1].asInt64(en) ||
      b < 0 || en < b)
    fail(where, "data_offsets must be [begin, end] with 0 <= begin <= end");
  e.begin = static_cast<uint64_t>(b);
  e.end = static_cast<uint64_t>(en);
  if (e.end > dataSize)
    fail(where, "data_offsets [" + std::to_string(b) + ", " +
                    std::to_string(en) + "] out of range (data section is " +
                    std::to_string(dataSize) + " bytes)");
  uint64_t need = 0;
  if (!byteCount(e.record.shape, dtypeSize(e.record.dtype), need))
    fail(where, "shape " + shapeText(e.record.shape) + " is too large");
  if (need != e.end - e.begin)
    fail(where, "data_offsets [" + std::to_string(b) + ", " +
                    std::to_string(en) + "] hold " +
                    std::to_string(e.end - e.begin) + " bytes, but shape " +
                    shapeText(e.record.shape) + " of " + e.record.dtype +
                    " needs " + std::to_string(need));
  return e;
}

/// Parses and validates the JSON header against a data section of
/// `dataSize` bytes. Entries come back sorted by name.
std::vector<Entry> parseHeader(std::string_view header, uint64_t dataSize,
                               SafeTensorsFile &out, const std::string &what) {
  json::Value root;
  try {
    root = json::parse(header);
  } catch (const std::runtime_error &e) {
    fail(what, std::string("malformed JSON header: ") + e.what());
  }
  if (root.kind != json::Value::Kind::Object)
    fail(what, std::string("header is a ") + json::kindName(root.kind) +
                   ", expected an object");
  if (const std::string *dup = root.duplicateKey())
    fail(what, "duplicate tensor name \"" + *dup + "\"");
  std::vector<Entry> entries;
  for (const auto &[name, v] : root.members) {
    if (name == "__metadata__")
      parseMetadata(v, out, what);
    else
      entries.push_back(parseEntry(name, v, dataSize, what));
  }
  // The tensors must tile the data section exactly: no overlap, no holes
  // (as the reference implementation demands; no hidden payloads).
  std::vector<const Entry *> byOffset;
  for (const Entry &e : entries)
    byOffset.push_back(&e);
  std::sort(byOffset.begin(), byOffset.end(), [](auto *a, auto *b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t covered = 0;
  const Entry *prev = nullptr;
  for (const Entry *e : byOffset) {
    if (e->begin < covered)
      fail(what, "tensors \"" + prev->record.name + "\" and \"" +
                     e->record.name + "\" overlap");
    if (e->begin > covered)
      fail(what, "data bytes [" + std::to_string(covered) + ", " +
                     std::to_string(e->begin) + ") belong to no tensor");
    covered = e->end;
    prev = e;
  }
  if (covered != dataSize)
    fail(what, "data bytes [" + std::to_string(covered) + ", " +
                   std::to_string(dataSize) + ") belong to no tensor");
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return a.record.name < b.record.name;
  });
  return entries;
}

struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};

void readExactly(std::FILE *f, void *dst, size_t n, const std::string &path) {
  if (n && std::fread(dst, 1, n, f) != n)
    fail(path, std::ferror(f)
                   ? std::string("read error: ") + std::strerror(errno)
                   : std::string("unexpected end of file"));
}

} // namespace

int64_t TensorRecord::numel() const {
  int64_t n = 1;
  for (const int64_t d : shape)
    n *= d;
  return n;
}

const TensorRecord *SafeTensorsFile::find(const std::string &name) const {
  auto it = std::lower_bound(
      tensors.begin(), tensors.end(), name,
      [](const TensorRecord &t, const std::string &n) { return t.name < n; });
  return it != tensors.end() && it->name == name ? &*it : nullptr;
}

const TensorRecord &SafeTensorsFile::at(const std::string &name) const {
  if (const TensorRecord *t = find(name))
    return *t;
  fail(path, "no tensor \"" + name + "\"");
}

size_t dtypeSize(const std::string &dtype) {
  static const std::map<std::string, size_t, std::less<>> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

TensorRecord tensorF32(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<float> &values) {
  return makeTensor(name, std::move(shape), values, "F32");
}
TensorRecord tensorF64(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<double> &values) {
  return makeTensor(name, std::move(shape), values, "F64");
}
TensorRecord tensorI32(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<int32_t> &values) {
  return makeTensor(name, std::move(shape), values, "I32");
}
TensorRecord tensorI64(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<int64_t> &values) {
  return makeTensor(name, std::move(shape), values, "I64");
}
TensorRecord tensorU64(const std::string &name, std::vector<int64_t> shape,
                       const std::vector<uint64_t> &values) {
  return makeTensor(name, std::move(shape), values, "U64");
}

std::vector<float> asF32(const TensorRecord &t) {
  return tensorValues<float>(t, "F32");
}
std::vector<double> asF64(const TensorRecord &t) {
  return tensorValues<double>(t, "F64");
}
std::vector<int32_t> asI32(const TensorRecord &t) {
  return tensorValues<int32_t>(t, "I32");
}
std::vector<int64_t> asI64(const TensorRecord &t) {
  return tensorValues<int64_t>(t, "I64");
}
std::vector<uint64_t> asU64(const TensorRecord &t) {
  return tensorValues<uint64_t>(t, "U64");
}

std::vector<uint8_t>
encodeSafeTensors(const std::vector<TensorRecord> &tensors,
                  const std::map<std::string, std::string> &metadata) {
  const auto sorted = sortedForWrite(tensors, "safetensors");
  const std::string header = headerFor(sorted, metadata);
  std::vector<uint8_t> out(header.begin(), header.end());
  for (const TensorRecord *t : sorted)
    out.insert(out.end(), t->bytes.begin(), t->bytes.end());
  return out;
}

void writeSafeTensors(const std::string &path,
                      const std::vector<TensorRecord> &tensors,
                      const std::map<std::string, std::string> &metadata) {
  const auto sorted = sortedForWrite(tensors, path);
  const std::string header = headerFor(sorted, metadata);
  // Stream the tensors' own bytes: no second copy of a large checkpoint.
  std::vector<ByteSpan> parts{{header.data(), header.size()}};
  for (const TensorRecord *t : sorted)
    parts.push_back({t->bytes.data(), t->bytes.size()});
  writeFileAtomically(path, parts);
}

SafeTensorsFile decodeSafeTensors(const uint8_t *data, size_t size,
                                  const std::string &what) {
  if (size < 8)
    fail(what, "file too short (" + std::to_string(size) +
                   " bytes) to hold the 8-byte header length");
  const uint64_t n = checkPrefix(data, size, what);
  SafeTensorsFile out;
  out.path = what;
  const std::string_view header(reinterpret_cast<const char *>(data) + 8, n);
  std::vector<Entry> entries = parseHeader(header, size - 8 - n, out, what);
  const uint8_t *base = data + 8 + n;
  for (Entry &e : entries) {
    e.record.bytes.assign(base + e.begin, base + e.end);
    out.tensors.push_back(std::move(e.record));
  }
  return out;
}

SafeTensorsFile readSafeTensors(const std::string &path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f)
    fail(path, std::strerror(errno));
  struct stat st;
  if (::fstat(::fileno(f.get()), &st) != 0)
    fail(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail(path, "not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8)
    fail(path, "file too short (" + std::to_string(size) +
                   " bytes) to hold the 8-byte header length");
  uint8_t prefix[8];
  readExactly(f.get(), prefix, 8, path);
  const uint64_t n = checkPrefix(prefix, size, path);
  std::string header(n, '\0');
  readExactly(f.get(), header.data(), n, path);

  SafeTensorsFile out;
  out.path = path;
  std::vector<Entry> entries = parseHeader(header, size - 8 - n, out, path);
  // The data section is tiled exactly, so reading in offset order is one
  // sequential pass straight into the records (no whole-file buffer).
  std::vector<Entry *> byOffset;
  for (Entry &e : entries)
    byOffset.push_back(&e);
  std::stable_sort(byOffset.begin(), byOffset.end(),
                   [](auto *a, auto *b) { return a->begin < b->begin; });
  for (Entry *e : byOffset) {
    e->record.bytes.resize(e->end - e->begin);
    readExactly(f.get(), e->record.bytes.data(), e->record.bytes.size(), path);
  }
  for (Entry &e : entries)
    out.tensors.push_back(std::move(e.record));
  return out;
}

} // namespace cardinal::rt
