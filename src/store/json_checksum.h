// A checksum inside a JSON file, so that accidental damage to a manifest or a result file
// (a flipped bit, a bad copy) is detected instead of being read as different content.
//
// The checksum is the SHA-256 of the document's canonical form (nlohmann's compact dump,
// keys sorted) without the "checksum" member, so it survives re-indentation but not a changed
// value. It guards against damage, not against a forger, who can recompute it; the owner's
// signature over the manifest is what binds content to the owner.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "util/status.h"

namespace cipherstat {

// Adds "checksum": "sha256:<hex>" to `document` and dumps it pretty-printed with a final '\n'.
std::string DumpWithChecksum(nlohmann::json document);

// Checks the "checksum" member when present (files written before it existed have none; a
// single damaged bit cannot both remove it and change the content). Corruption names `what`.
Status VerifyChecksum(const nlohmann::json& document, const std::string& what);

}  // namespace cipherstat
