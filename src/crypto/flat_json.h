// A reader for the one JSON shape secret keys use: a single flat object whose values are
// strings without escape sequences or unsigned integers. Private to crypto/.
//
// Why not nlohmann: its lexer keeps a copy of every token in a plain std::vector for error
// messages and never wipes it, so parsing secret-key JSON would leave hex of p and q in freed
// heap memory. This reader copies nothing: keys and values are views into the input, which
// the caller keeps in wiped memory. Error messages give byte offsets, never content.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cipherstat::crypto {

struct FlatJsonField {
  std::string_view key;
  std::string_view value;  // string contents without quotes, or the digits of an integer
  bool is_string = false;
};

class FlatJsonObject {
 public:
  // InvalidArgument("... at byte N: ...") for anything outside the subset, duplicate keys
  // included.
  static Result<FlatJsonObject> Parse(std::string_view text);
  const FlatJsonField* Find(std::string_view key) const;

 private:
  std::vector<FlatJsonField> fields_;
};

}  // namespace cipherstat::crypto
