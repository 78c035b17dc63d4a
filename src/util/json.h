// JSON documents, parsed one way everywhere (except secret keys: crypto/flat_json.h).
//
// What a malformed document is depends on who wrote it: a file cipherstat writes (keys,
// manifests and their signatures, results, plans, partial decryptions) that does not parse
// was damaged or forged, and is Corruption; a file a person writes (the schema) is
// InvalidArgument. (Not yet followed by the Paillier key readers in crypto/paillier.cc, which
// report every fault as InvalidArgument.) Messages give the byte offset, never the text around it,
// so a damaged keystore or result is not echoed to the terminal.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/status.h"

namespace cipherstat {

enum class JsonAuthor { kCipherstat, kPerson };

// The JSON object in `text`. Errors say "not valid JSON (at byte N)" or "not a JSON object";
// the caller adds which file (Status::WithContext).
Result<nlohmann::json> ParseJsonObject(std::string_view text,
                                       JsonAuthor author = JsonAuthor::kCipherstat);

// A JSON library error as a message that quotes nothing it read (its parse errors quote the
// last token, which in a truncated keystore is kilobytes of sealed key): "not valid JSON (at
// byte N)" for a parse error, else the library's text without its "[json.exception...] " tag
// ("key 'custodian' not found", "type must be string, but is number"), capped by QuoteInput.
std::string JsonErrorText(const nlohmann::json::exception& e);

// A document cipherstat wrote: a JSON object whose "format" is `format`, else Corruption
// "not a DESCRIPTION" ("not a cipherstat result file"), and whose "version" is `version`,
// else NotSupported "version N is not supported".
Result<nlohmann::json> ParseFormat(std::string_view text, std::string_view format,
                                   const std::string& description, int version);

// The value of `key` in `object` as an int: Corruption "SOURCE: 'KEY' is not an integer"
// for anything else, a float or a number out of int's range included (the library's own get<int>
// converts 1e74 by an undefined cast). Throws like at() when the key is absent.
Result<int> IntAt(const nlohmann::json& object, const char* key, const std::string& source);

}  // namespace cipherstat
