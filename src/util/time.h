// The wall clock as files record it.
#pragma once

#include <string>

namespace cipherstat {

// The current UTC time to the second, ISO 8601: "2026-11-30T07:10:00Z".
std::string UtcNow();

}  // namespace cipherstat
