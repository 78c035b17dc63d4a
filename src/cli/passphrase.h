// Where passphrases come from: --passphrase-file, CIPHERSTAT_PASSPHRASE, or a no-echo prompt
// (other commands' flags and variables through PassphraseOrigin).
#pragma once

#include <memory>
#include <string>

#include "crypto/keystore.h"
#include "pipeline/keys.h"
#include "util/status.h"

namespace cipherstat::cli {

// Where one passphrase comes from besides a prompt: a flag naming a file and an environment
// variable. Both are named in the message when neither is given and there is no terminal.
struct PassphraseOrigin {
  std::string flag = "--passphrase-file";
  std::string env_var = "CIPHERSTAT_PASSPHRASE";
};

// The passphrase from `passphrase_file` (the file origin.flag named; "" when not given), else
// origin.env_var, else a no-echo prompt on the terminal (asked twice when `confirm`, for new
// keystores). With none of them: InvalidArgument("no passphrase for WHAT: set ENV, pass FLAG,
// or run on a terminal"), WHAT taken from `prompt` ("Passphrase for keys/secret.key: ").
Result<std::unique_ptr<crypto::Passphrase>> GetPassphrase(const std::string& passphrase_file,
                                                          const PassphraseOrigin& origin,
                                                          const std::string& prompt, bool confirm);
// The same from --passphrase-file and CIPHERSTAT_PASSPHRASE.
Result<std::unique_ptr<crypto::Passphrase>> GetPassphrase(const std::string& passphrase_file,
                                                          const std::string& prompt, bool confirm);

// The pipeline's passphrase source for a --passphrase-file flag (pipeline/keys.h).
pipeline::PassphraseSource PassphraseFrom(const std::string& passphrase_file);

}  // namespace cipherstat::cli
