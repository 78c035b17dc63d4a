// Process-wide crypto set-up. Call once before any other crypto function.
#pragma once

#include "util/status.h"

namespace cipherstat::crypto {

// Initializes libsodium and installs a GMP allocator that wipes every block it frees or
// moves (sodium_memzero), so that no limb of a secret outlives its mpz_t.
Status Init();

}  // namespace cipherstat::crypto
