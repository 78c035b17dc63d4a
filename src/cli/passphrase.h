// Where passphrases come from: CIPHERSTAT_PASSPHRASE, --passphrase-file, or a no-echo prompt.
#pragma once

#include <memory>
#include <string>

#include "crypto/keystore.h"
#include "pipeline/keys.h"
#include "util/status.h"

namespace cipherstat::cli {

// `confirm` asks twice on a terminal (for new keystores).
Result<std::unique_ptr<crypto::Passphrase>> GetPassphrase(const std::string& passphrase_file,
                                                          const std::string& prompt, bool confirm);
// The same with another environment variable than CIPHERSTAT_PASSPHRASE (e.g.
// CIPHERSTAT_NEW_PASSPHRASE for `key passwd`).
Result<std::unique_ptr<crypto::Passphrase>> GetPassphrase(const std::string& passphrase_file,
                                                          const char* env_var,
                                                          const std::string& prompt, bool confirm);

// The pipeline's passphrase source for a --passphrase-file flag (pipeline/keys.h).
pipeline::PassphraseSource PassphraseFrom(const std::string& passphrase_file);

}  // namespace cipherstat::cli
