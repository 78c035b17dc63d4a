#include "util/status.h"

#include <cstdio>
#include <cstdlib>

namespace cipherstat {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kInvalidArgument:
      return "Invalid argument";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kIOError:
      return "IO error";
    case Status::Code::kNotFound:
      return "Not found";
    case Status::Code::kNotSupported:
      return "Not supported";
    case Status::Code::kAlreadyExists:
      return "Already exists";
  }
  return "Unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 if there is none.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) {
    len = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    if (lead == 0xe0) lo = 0xa0;
    if (lead == 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    if (lead == 0xf0) lo = 0x90;
    if (lead == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return len;
}

void AppendEscaped(const char* form, unsigned value, std::string* out) {
  char buf[8];
  std::snprintf(buf, sizeof buf, form, value);
  out->append(buf);
}

}  // namespace

std::string EscapeControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = Utf8Length(text, i);
    if (len == 0 || c < 0x20 || c == 0x7f) {
      AppendEscaped("\\x%02x", c, &out);
      ++i;
    } else if (c == 0xc2 && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      AppendEscaped("\\u%04x", static_cast<unsigned char>(text[i + 1]), &out);  // C1
      i += 2;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string QuoteInput(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return EscapeControls(text);
  // Cut before a UTF-8 continuation byte rather than inside a character.
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80 && max_bytes - cut < 3) {
    --cut;
  }
  return EscapeControls(text.substr(0, cut)) + "… (" + std::to_string(text.size()) + " bytes)";
}

namespace internal {
void DieOnEmptyResult(const Status& status) {
  std::fprintf(stderr, "cipherstat: bug: the value of a failed Result was read (%s)\n",
               status.ToString().c_str());
  std::abort();
}
}  // namespace internal

}  // namespace cipherstat
