#include "crypto/flat_json.h"

#include <string>

namespace cipherstat::crypto {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  bool Consume(char c) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("not valid JSON at byte " + std::to_string(pos_) + ": " + what);
  }

  Result<std::string_view> String() {
    SkipSpace();
    if (AtEnd() || text_[pos_] != '"') return Error("expected a string");
    size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '\\') return Error("escape sequences are not supported here");
      if (c < 0x20) return Error("control character in string");
      ++pos_;
    }
    if (AtEnd()) return Error("unterminated string");
    std::string_view out = text_.substr(start, pos_ - start);
    ++pos_;
    return out;
  }

  Result<std::string_view> Integer() {
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == start) return Error("expected a string or an unsigned integer");
    if (text_[start] == '0' && pos_ - start > 1) return Error("leading zero in number");
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<FlatJsonObject> FlatJsonObject::Parse(std::string_view text) {
  Reader in(text);
  FlatJsonObject out;
  if (!in.Consume('{')) return in.Error("expected '{'");
  if (!in.Consume('}')) {
    for (;;) {
      CS_ASSIGN_OR_RETURN(std::string_view key, in.String());
      if (out.Find(key) != nullptr) return in.Error("duplicate key");
      if (!in.Consume(':')) return in.Error("expected ':'");
      in.SkipSpace();
      if (in.AtEnd()) return in.Error("unexpected end of input");
      FlatJsonField field;
      field.key = key;
      if (in.Peek() == '"') {
        CS_ASSIGN_OR_RETURN(field.value, in.String());
        field.is_string = true;
      } else {
        CS_ASSIGN_OR_RETURN(field.value, in.Integer());
      }
      out.fields_.push_back(field);
      if (in.Consume(',')) continue;
      if (in.Consume('}')) break;
      return in.Error("expected ',' or '}'");
    }
  }
  in.SkipSpace();
  if (!in.AtEnd()) return in.Error("trailing characters after the object");
  return out;
}

const FlatJsonField* FlatJsonObject::Find(std::string_view key) const {
  for (const FlatJsonField& f : fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

}  // namespace cipherstat::crypto
