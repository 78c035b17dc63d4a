#include "util/json.h"

#include <climits>
#include <string>
#include <string_view>

namespace cipherstat {

Result<int> IntAt(const nlohmann::json& object, const char* key, const std::string& source) {
  const nlohmann::json& v = object.at(key);
  if (v.is_number_integer()) {
    const bool fits = v.is_number_unsigned()
                          ? v.get<uint64_t>() <= static_cast<uint64_t>(INT_MAX)
                          : v.get<int64_t>() >= INT_MIN && v.get<int64_t>() <= INT_MAX;
    if (fits) return static_cast<int>(v.get<int64_t>());
  }
  return Status::Corruption(source + ": '" + key + "' is not an integer");
}

std::string JsonErrorText(const nlohmann::json::exception& e) {
  if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e)) {
    return "not valid JSON (at byte " + std::to_string(parse->byte) + ")";
  }
  std::string_view text = e.what();
  if (!text.empty() && text.front() == '[') {
    const size_t end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return QuoteInput(text, 120);
}

Result<nlohmann::json> ParseJsonObject(std::string_view text, JsonAuthor author) {
  auto fail = [author](std::string message) {
    return author == JsonAuthor::kPerson ? Status::InvalidArgument(std::move(message))
                                         : Status::Corruption(std::move(message));
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return fail(JsonErrorText(e));
  } catch (
      const nlohmann::json::exception&) {  // a number beyond a double's range (found by fuzzing)
    return fail("not valid JSON (a number out of range)");
  }
  if (!j.is_object()) return fail("not a JSON object");
  return j;
}

Result<nlohmann::json> ParseFormat(std::string_view text, std::string_view format,
                                   const std::string& description, int version) {
  CS_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonObject(text));
  const auto it = j.find("format");
  if (it == j.end() || !it->is_string() || it->get<std::string>() != format) {
    return Status::Corruption("not a " + description);
  }
  const auto v = j.find("version");
  if (v == j.end() || !v->is_number_integer()) {
    return Status::Corruption("missing or non-integer field 'version'");
  }
  if (v->get<int64_t>() != version) {
    return Status::NotSupported("version " + v->dump() + " is not supported");
  }
  return j;
}

}  // namespace cipherstat
