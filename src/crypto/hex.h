// Hex encoding of byte strings (lowercase out; either case in). Private to crypto/.
// Uses libsodium's constant-time codec, so it is safe on key material.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cipherstat::crypto {

std::string HexEncode(std::string_view bytes);
// nullopt unless `hex` is an even number of hex digits and nothing else.
std::optional<std::string> HexDecode(std::string_view hex);

}  // namespace cipherstat::crypto
