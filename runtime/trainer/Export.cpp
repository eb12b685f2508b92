//===- Export.cpp ----------------------------------------------------------===//
#include "runtime/trainer/Export.h"

#include "runtime/checkpoint/SafeTensors.h"

#include <map>
#include <stdexcept>

namespace cardinal::rt {

namespace {

int64_t extent(const std::vector<int64_t> &shape, int64_t axis) {
  return shape.empty() ? 1 : shape[axis];
}

// target[..., offset:offset+size, ...] = source[..., start:start+size, ...]
// along `axis` (both row-major; the other dims agree).
void copyPiece(const NamedTensor &src, const FormPiece &p,
               const FormEntry &e, int64_t offset, std::vector<float> &out) {
  const int64_t rank = static_cast<int64_t>(e.shape.size());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < p.axis; ++d)
    outer *= src.shape[d];
  for (int64_t d = p.axis + 1; d < rank; ++d)
    inner *= src.shape[d];
  const int64_t srcAxis = extent(src.shape, p.axis);
  const int64_t dstAxis = extent(e.shape, e.axis);
  if (p.axis != e.axis && p.size != srcAxis)
    throw std::runtime_error("export: piece of '" + p.source +
                             "' slices another axis than it concatenates");
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < p.size; ++k)
      for (int64_t i = 0; i < inner; ++i)
        out[(o * dstAxis + offset + k) * inner + i] =
            src.data[(o * srcAxis + p.start + k) * inner + i];
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end - start));
    if (end == std::string::npos)
      return parts;
    start = end + 1;
  }
}

} // namespace

std::vector<FormEntry> parseFormMap(const char *text) {
  std::vector<FormEntry> entries;
  for (const std::string &line : split(text, '\n')) {
    if (line.empty())
      continue;
    std::vector<std::string> f = split(line, '\t');
    if (f.size() != 4)
      throw std::runtime_error("malformed compiled form map line: " + line);
    FormEntry e;
    e.target = f[0];
    if (!f[1].empty())
      for (const std::string &d : split(f[1], ','))
        e.shape.push_back(std::stoll(d));
    e.axis = std::stoll(f[2]);
    for (const std::string &piece : split(f[3], ';')) {
      std::vector<std::string> p = split(piece, ':');
      if (p.size() != 4)
        throw std::runtime_error("malformed compiled form map piece: " + piece);
      e.pieces.push_back({p[0], std::stoll(p[1]), std::stoll(p[2]),
                          std::stoll(p[3])});
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

void exportForm(CompiledModel &model, char form, const std::string &path,
                const std::map<std::string, std::string> &metadata) {
  std::vector<FormEntry> map = model.formMap(form);
  if (map.empty())
    throw std::runtime_error(std::string("this trainer has no map to form (") +
                             form + "); rebuild it with a current cardinal");
  model.syncTensorsToHost();
  std::map<std::string, const NamedTensor *> byName;
  for (const NamedTensor &t : model.tensors())
    byName[t.name] = &t;
  std::vector<TensorRecord> records;
  for (const FormEntry &e : map) {
    int64_t n = 1;
    for (int64_t d : e.shape)
      n *= d;
    std::vector<float> values(n);
    int64_t offset = 0;
    for (const FormPiece &p : e.pieces) {
      auto it = byName.find(p.source);
      if (it == byName.end())
        throw std::runtime_error("export: form (" + std::string(1, form) +
                                 ") tensor '" + e.target +
                                 "' needs '" + p.source +
                                 "', which the model does not have");
      copyPiece(*it->second, p, e, offset, values);
      offset += p.size;
    }
    if (offset != extent(e.shape, e.axis))
      throw std::runtime_error("export: pieces of '" + e.target +
                               "' do not cover it");
    records.push_back(tensorF32(e.target, e.shape, values));
  }
  std::map<std::string, std::string> meta = metadata;
  meta["form"] = std::string(1, form);
  writeSafeTensors(path, records, meta);
}

} // namespace cardinal::rt
