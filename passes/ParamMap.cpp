//===- ParamMap.cpp - parameter maps of form rewrites ----------------------===//
#include "passes/ParamMap.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <set>

using namespace mlir;

namespace cardinal {

namespace {

int64_t extentOf(const std::vector<int64_t> &shape, int64_t axis) {
  return detail::extent(shape, axis);
}

std::vector<int64_t> pieceShape(const std::vector<int64_t> &source,
                                const Piece &p) {
  std::vector<int64_t> s = source;
  if (!s.empty())
    s[p.axis] = p.size;
  return s;
}

const std::vector<int64_t> *sourceShape(const ParamMap &m,
                                        const std::string &name) {
  auto it = m.sources.find(name);
  return it == m.sources.end() ? nullptr : &it->second;
}

bool isWholePiece(const ParamMap &m, const Piece &p) {
  const std::vector<int64_t> *s = sourceShape(m, p.source);
  return s && p.start == 0 && p.size == extentOf(*s, p.axis);
}

std::string shapeString(const std::vector<int64_t> &s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i)
    out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

void setError(std::string *error, const std::string &why) {
  if (error)
    *error = why;
}

} // namespace

ParamMapEntry renameEntry(const std::string &target, const std::string &source,
                          const std::vector<int64_t> &shape) {
  ParamMapEntry e;
  e.target = target;
  e.shape = shape;
  e.axis = 0;
  e.pieces.push_back(Piece{source, 0, 0, extentOf(shape, 0)});
  return e;
}

bool isRename(const ParamMap &m, const ParamMapEntry &e) {
  if (e.pieces.size() != 1 || !isWholePiece(m, e.pieces[0]))
    return false;
  return *sourceShape(m, e.pieces[0].source) == e.shape;
}

bool isIdentity(const ParamMap &m, const ParamMapEntry &e) {
  return isRename(m, e) && e.pieces[0].source == e.target;
}

bool isIdentity(const ParamMap &m) {
  return llvm::all_of(m.entries,
                      [&](const ParamMapEntry &e) { return isIdentity(m, e); });
}

const ParamMapEntry *findEntry(const ParamMap &m, llvm::StringRef name) {
  for (const ParamMapEntry &e : m.entries)
    if (e.target == name)
      return &e;
  return nullptr;
}

bool validateParamMap(const ParamMap &m, std::string *error) {
  std::set<std::string> targets;
  for (const ParamMapEntry &e : m.entries) {
    if (!targets.insert(e.target).second) {
      setError(error, "duplicate target '" + e.target + "'");
      return false;
    }
    int64_t rank = e.shape.size();
    if (rank > 0 && (e.axis < 0 || e.axis >= rank)) {
      setError(error, "'" + e.target + "': axis " + std::to_string(e.axis) +
                          " out of range");
      return false;
    }
    int64_t covered = 0;
    for (const Piece &p : e.pieces) {
      const std::vector<int64_t> *s = sourceShape(m, p.source);
      if (!s) {
        setError(error, "'" + e.target + "': source '" + p.source +
                            "' has no shape in the map");
        return false;
      }
      if (static_cast<int64_t>(s->size()) != rank ||
          (rank > 0 && (p.axis < 0 || p.axis >= rank)) || p.start < 0 ||
          p.size < 0 || p.start + p.size > extentOf(*s, p.axis)) {
        setError(error, "'" + e.target + "': piece of '" + p.source +
                            "' does not fit its source " + shapeString(*s));
        return false;
      }
      std::vector<int64_t> ps = pieceShape(*s, p);
      for (int64_t d = 0; d < rank; ++d)
        if (d != e.axis && ps[d] != e.shape[d]) {
          setError(error, "'" + e.target + "' " + shapeString(e.shape) +
                              ": piece of '" + p.source + "' has shape " +
                              shapeString(ps));
          return false;
        }
      covered += extentOf(ps, e.axis);
    }
    if (covered != extentOf(e.shape, e.axis)) {
      setError(error, "'" + e.target + "': pieces cover " +
                          std::to_string(covered) + " of " +
                          std::to_string(extentOf(e.shape, e.axis)) +
                          " along axis " + std::to_string(e.axis));
      return false;
    }
  }
  return true;
}

void simplify(ParamMap &m) {
  for (ParamMapEntry &e : m.entries) {
    bool ranked = !e.shape.empty();
    // Whole pieces may be read along any axis: use the entry's.
    for (Piece &p : e.pieces)
      if (ranked && isWholePiece(m, p)) {
        p.axis = e.axis;
        p.size = extentOf(*sourceShape(m, p.source), e.axis);
      }
    // Adjacent slices of one source along the concatenation axis merge.
    std::vector<Piece> merged;
    for (const Piece &p : e.pieces) {
      if (!merged.empty()) {
        Piece &q = merged.back();
        if (q.source == p.source && q.axis == e.axis && p.axis == e.axis &&
            q.start + q.size == p.start) {
          q.size += p.size;
          continue;
        }
      }
      merged.push_back(p);
    }
    e.pieces = std::move(merged);
    // A rename is written along axis 0; a single slice along its own axis.
    if (ranked && e.pieces.size() == 1 && isWholePiece(m, e.pieces[0]) &&
        *sourceShape(m, e.pieces[0].source) == e.shape) {
      e.axis = 0;
      e.pieces[0].axis = 0;
      e.pieces[0].size = e.shape[0];
    } else if (ranked && e.pieces.size() == 1) {
      e.axis = e.pieces[0].axis;
    }
  }
  std::set<std::string> used;
  for (const ParamMapEntry &e : m.entries)
    for (const Piece &p : e.pieces)
      used.insert(p.source);
  for (auto it = m.sources.begin(); it != m.sources.end();)
    it = used.count(it->first) ? std::next(it) : m.sources.erase(it);
}

FailureOr<ParamMap> tryCompose(const ParamMap &first, const ParamMap &second,
                               std::string *error) {
  llvm::StringMap<const ParamMapEntry *> byTarget;
  for (const ParamMapEntry &e : first.entries)
    byTarget[e.target] = &e;

  // The slice [lo, lo + n) along `axis` of piece q (a piece of `first`).
  auto restrict = [&](const Piece &q, int64_t axis, int64_t lo,
                      int64_t n) -> std::optional<Piece> {
    if (q.axis == axis)
      return Piece{q.source, axis, q.start + lo, n};
    if (isWholePiece(first, q))
      return Piece{q.source, axis, lo, n};
    return std::nullopt;
  };

  ParamMap result;
  for (const ParamMapEntry &e2 : second.entries) {
    ParamMapEntry e{e2.target, e2.shape, e2.axis, {}};
    for (const Piece &p2 : e2.pieces) {
      auto it = byTarget.find(p2.source);
      if (it == byTarget.end()) {
        setError(error, "'" + e2.target + "' reads '" + p2.source +
                            "', which the first map does not produce");
        return failure();
      }
      const ParamMapEntry &e1 = *it->second;
      std::vector<Piece> sub;
      int64_t subAxis = e1.axis;
      bool ranked = !e1.shape.empty();
      if (!ranked || (p2.start == 0 && p2.size == extentOf(e1.shape, p2.axis))) {
        sub = e1.pieces;
      } else if (p2.axis == e1.axis) {
        int64_t off = 0;
        for (const Piece &q : e1.pieces) {
          const std::vector<int64_t> *qs = sourceShape(first, q.source);
          if (q.axis != e1.axis && !qs) {
            setError(error, "source '" + q.source +
                                "' has no shape (ParamMap::sources)");
            return failure();
          }
          int64_t len =
              q.axis == e1.axis ? q.size : extentOf(pieceShape(*qs, q), e1.axis);
          int64_t lo = std::max(p2.start, off);
          int64_t hi = std::min(p2.start + p2.size, off + len);
          if (lo < hi) {
            if (lo == off && hi == off + len) {
              sub.push_back(q);
            } else {
              std::optional<Piece> r = restrict(q, e1.axis, lo - off, hi - lo);
              if (!r) {
                setError(error, "'" + e2.target + "' would slice '" + q.source +
                                    "' along two axes");
                return failure();
              }
              sub.push_back(*r);
            }
          }
          off += len;
        }
      } else {
        for (const Piece &q : e1.pieces) {
          std::optional<Piece> r = restrict(q, p2.axis, p2.start, p2.size);
          if (!r) {
            setError(error, "'" + e2.target + "' would slice '" + q.source +
                                "' along two axes");
            return failure();
          }
          sub.push_back(*r);
        }
      }
      if (sub.size() > 1 && subAxis != e.axis) {
        if (e2.pieces.size() != 1) {
          setError(error, "'" + e2.target +
                              "' would be a concatenation of concatenations "
                              "along different axes");
          return failure();
        }
        e.axis = subAxis;
      }
      for (const Piece &q : sub) {
        e.pieces.push_back(q);
        if (const std::vector<int64_t> *qs = sourceShape(first, q.source))
          result.sources[q.source] = *qs;
      }
    }
    result.entries.push_back(std::move(e));
  }
  simplify(result);
  // Maps built without source shapes compose, but cannot be fully checked.
  bool shapesKnown = llvm::all_of(result.entries, [&](const ParamMapEntry &e) {
    return llvm::all_of(e.pieces, [&](const Piece &p) {
      return result.sources.count(p.source) > 0;
    });
  });
  std::string why;
  if (shapesKnown && !validateParamMap(result, &why)) {
    setError(error, "composed map is malformed: " + why);
    return failure();
  }
  return result;
}

ParamMap compose(const ParamMap &first, const ParamMap &second) {
  std::string error;
  FailureOr<ParamMap> m = tryCompose(first, second, &error);
  if (failed(m))
    llvm::report_fatal_error(llvm::Twine("compose: ") + error);
  return std::move(*m);
}

//===----------------------------------------------------------------------===//
// JSON and attributes
//===----------------------------------------------------------------------===//

namespace {

std::string jsonString(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

} // namespace

std::string toJson(const ParamMap &m) {
  std::string out = "{\"entries\":[";
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const ParamMapEntry &e = m.entries[i];
    out += i ? "," : "";
    out += "{\"target\":" + jsonString(e.target) +
           ",\"shape\":" + shapeString(e.shape) +
           ",\"axis\":" + std::to_string(e.axis) + ",\"pieces\":[";
    for (size_t j = 0; j < e.pieces.size(); ++j) {
      const Piece &p = e.pieces[j];
      const std::vector<int64_t> *s = sourceShape(m, p.source);
      out += j ? "," : "";
      out += "{\"source\":" + jsonString(p.source) +
             ",\"source_shape\":" + (s ? shapeString(*s) : "null") +
             ",\"axis\":" + std::to_string(p.axis) +
             ",\"start\":" + std::to_string(p.start) +
             ",\"size\":" + std::to_string(p.size) + "}";
    }
    out += "]}";
  }
  return out + "]}";
}

ArrayAttr toAttribute(MLIRContext *context, const ParamMap &m) {
  Builder b(context);
  SmallVector<Attribute> entries;
  entries.reserve(m.entries.size());
  for (const ParamMapEntry &e : m.entries) {
    SmallVector<Attribute> pieces;
    for (const Piece &p : e.pieces) {
      const std::vector<int64_t> *s = sourceShape(m, p.source);
      SmallVector<NamedAttribute> fields{
          b.getNamedAttr("source", b.getStringAttr(p.source)),
          b.getNamedAttr("axis", b.getI64IntegerAttr(p.axis)),
          b.getNamedAttr("start", b.getI64IntegerAttr(p.start)),
          b.getNamedAttr("size", b.getI64IntegerAttr(p.size))};
      if (s)
        fields.push_back(
            b.getNamedAttr("source_shape", b.getDenseI64ArrayAttr(*s)));
      pieces.push_back(b.getDictionaryAttr(fields));
    }
    entries.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("target", b.getStringAttr(e.target)),
         b.getNamedAttr("shape", b.getDenseI64ArrayAttr(e.shape)),
         b.getNamedAttr("axis", b.getI64IntegerAttr(e.axis)),
         b.getNamedAttr("pieces", b.getArrayAttr(pieces))}));
  }
  return b.getArrayAttr(entries);
}

FailureOr<ParamMap> paramMapFromAttribute(Attribute attr, std::string *error) {
  auto fail = [&](const std::string &why) {
    setError(error, "malformed nn.param_map: " + why);
    return failure();
  };
  auto array = dyn_cast_or_null<ArrayAttr>(attr);
  if (!array)
    return fail("not an array attribute");
  auto getInt = [](DictionaryAttr d, StringRef key) -> std::optional<int64_t> {
    if (auto i = d.getAs<IntegerAttr>(key))
      return i.getInt();
    return std::nullopt;
  };
  ParamMap m;
  for (Attribute a : array) {
    auto d = dyn_cast<DictionaryAttr>(a);
    if (!d)
      return fail("an entry is not a dictionary");
    auto target = d.getAs<StringAttr>("target");
    auto shape = d.getAs<DenseI64ArrayAttr>("shape");
    auto axis = getInt(d, "axis");
    auto pieces = d.getAs<ArrayAttr>("pieces");
    if (!target || !shape || !axis || !pieces)
      return fail("an entry lacks target, shape, axis or pieces");
    ParamMapEntry e;
    e.target = target.str();
    e.shape.assign(shape.asArrayRef().begin(), shape.asArrayRef().end());
    e.axis = *axis;
    for (Attribute pa : pieces) {
      auto pd = dyn_cast<DictionaryAttr>(pa);
      if (!pd)
        return fail("a piece of '" + e.target + "' is not a dictionary");
      auto source = pd.getAs<StringAttr>("source");
      auto paxis = getInt(pd, "axis"), start = getInt(pd, "start"),
           size = getInt(pd, "size");
      auto sshape = pd.getAs<DenseI64ArrayAttr>("source_shape");
      if (!source || !paxis || !start || !size)
        return fail("a piece of '" + e.target +
                    "' lacks source, axis, start or size");
      e.pieces.push_back(Piece{source.str(), *paxis, *start, *size});
      if (sshape)
        m.sources[source.str()].assign(sshape.asArrayRef().begin(),
                                       sshape.asArrayRef().end());
    }
    m.entries.push_back(std::move(e));
  }
  std::string why;
  bool shapesKnown = llvm::all_of(m.entries, [&](const ParamMapEntry &e) {
    return llvm::all_of(
        e.pieces, [&](const Piece &p) { return m.sources.count(p.source) > 0; });
  });
  if (shapesKnown && !validateParamMap(m, &why))
    return fail(why);
  return m;
}

FailureOr<std::optional<ParamMap>> getModuleParamMap(ModuleOp module) {
  Attribute attr = module->getAttr(kParamMapAttrName);
  if (!attr)
    return std::optional<ParamMap>();
  std::string error;
  FailureOr<ParamMap> m = paramMapFromAttribute(attr, &error);
  if (failed(m)) {
    module.emitError() << error;
    return failure();
  }
  return std::optional<ParamMap>(std::move(*m));
}

LogicalResult recordParamMap(ModuleOp module, const ParamMap &m) {
  FailureOr<std::optional<ParamMap>> existing = getModuleParamMap(module);
  if (failed(existing))
    return failure();
  ParamMap result = m;
  if (*existing) {
    std::string error;
    FailureOr<ParamMap> composed = tryCompose(**existing, m, &error);
    if (failed(composed))
      return module.emitError()
             << "cannot compose with the module's existing nn.param_map: "
             << error;
    result = std::move(*composed);
  }
  module->setAttr(kParamMapAttrName, toAttribute(module.getContext(), result));
  return success();
}

} // namespace cardinal
