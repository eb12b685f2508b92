//===- Json.cpp - a small strict JSON reader and string quoting
//------------===//

#include "runtime/checkpoint/Json.h"

#include <cstdio>
#include <set>
#include <stdexcept>

namespace cardinal::rt::json {
namespace {

constexpr int kMaxDepth = 64; // stops a hostile header from blowing the stack

class Parser {
public:
  explicit Parser(std::string_view s) : s_(s) {}

  Value document() {
    Value v = value(0);
    skipSpace();
    if (pos_ != s_.size())
      error("unexpected trailing data");
    return v;
  }

private:
  [[noreturn]] void error(const std::string &what) const {
    throw std::runtime_error("offset " + std::to_string(pos_) + ": " + what);
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' ||
                                s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void expect(char c) {
    if (peek() != c || pos_ >= s_.size())
      error(std::string("expected '") + c + "'");
    ++pos_;
  }
  void literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word)
      error("invalid literal");
    pos_ += word.size();
  }

  Value value(int depth) {
    if (depth > kMaxDepth)
      error("nesting deeper than " + std::to_string(kMaxDepth));
    skipSpace();
    Value v;
    if (pos_ >= s_.size())
      error("unexpected end of input");
    switch (s_[pos_]) {
    case '{':
      v.kind = Value::Kind::Object;
      object(v, depth);
      break;
    case '[':
      v.kind = Value::Kind::Array;
      array(v, depth);
      break;
    case '"':
      v.kind = Value::Kind::String;
      v.text = string();
      break;
    case 't':
      literal("true");
      v.kind = Value::Kind::Bool;
      v.boolean = true;
      break;
    case 'f':
      literal("false");
      v.kind = Value::Kind::Bool;
      break;
    case 'n':
      literal("null");
      break;
    default:
      v.kind = Value::Kind::Number;
      v.text = number();
    }
    return v;
  }

  void object(Value &v, int depth) {
    expect('{');
    skipSpace();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    while (true) {
      skipSpace();
      if (peek() != '"')
        error("expected a string key");
      std::string key = string();
      skipSpace();
      expect(':');
      v.members.emplace_back(std::move(key), value(depth + 1));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return;
    }
  }

  void array(Value &v, int depth) {
    expect('[');
    skipSpace();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    while (true) {
      v.items.push_back(value(depth + 1));
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']');
      return;
    }
  }

  std::string number() {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
        ++pos_;
      return pos_ - from;
    };
    if (peek() == '-')
      ++pos_;
    if (peek() == '0')
      ++pos_; // no leading zeros
    else if (digits() == 0)
      error("invalid value");
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0)
        error("invalid number");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-')
        ++pos_;
      if (digits() == 0)
        error("invalid number");
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size())
      error("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        error("invalid \\u escape");
    }
    return v;
  }

  static void appendUtf8(std::string &out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= s_.size())
        error("unterminated string");
      const char c = s_[pos_++];
      if (c == '"')
        return out;
      if (static_cast<unsigned char>(c) < 0x20)
        error("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size())
        error("unterminated string");
      switch (const char e = s_[pos_++]) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned cp = hex4();
        if (cp >= 0xD800 && cp < 0xDC00) { // high surrogate: needs its pair
          if (s_.substr(pos_, 2) != "\\u")
            error("unpaired surrogate in \\u escape");
          pos_ += 2;
          const unsigned lo = hex4();
          if (lo < 0xDC00 || lo >= 0xE000)
            error("unpaired surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          error("unpaired surrogate in \\u escape");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        error("invalid escape");
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

} // namespace

const Value *Value::get(std::string_view key) const {
  for (const auto &m : members)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

const std::string *Value::duplicateKey() const {
  std::set<std::string_view> seen;
  for (const auto &m : members)
    if (!seen.insert(m.first).second)
      return &m.first;
  return nullptr;
}

bool Value::asInt64(int64_t &out) const {
  if (kind != Kind::Number || text.empty())
    return false;
  const bool neg = text[0] == '-';
  uint64_t v = 0;
  for (size_t i = neg ? 1 : 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9')
      return false; // fraction or exponent: not an exact integer literal
    if (v > (uint64_t(INT64_MAX) + (neg ? 1 : 0) - (c - '0')) / 10)
      return false;
    v = v * 10 + (c - '0');
  }
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

Value parse(std::string_view text) { return Parser(text).document(); }

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      } else {
        out += c; // UTF-8 passes through unchanged
      }
    }
  }
  return out + "\"";
}

const char *kindName(Value::Kind kind) {
  switch (kind) {
  case Value::Kind::Null:
    return "null";
  case Value::Kind::Bool:
    return "boolean";
  case Value::Kind::Number:
    return "number";
  case Value::Kind::String:
    return "string";
  case Value::Kind::Array:
    return "array";
  case Value::Kind::Object:
    return "object";
  }
  return "?";
}

} // namespace cardinal::rt::json
