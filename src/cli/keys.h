// Key management and custodian commands: `key show`, `key passwd`, `decrypt-share`, `combine`.
#pragma once

#include "cli/commands.h"

namespace cipherstat::cli {

void RegisterKeys(CLI::App& app, Registry* registry);

// `keygen --custodians N --threshold T`: a trusted dealer splits the decryption key.
struct ThresholdKeygenOptions {
  int custodians = 0;  // 0: an ordinary whole key
  int threshold = 0;
  std::string share_passphrases;  // file: line i is custodian i's passphrase
};
void AddThresholdKeygenOptions(CLI::App* keygen, ThresholdKeygenOptions* options);
Status RunThresholdKeygen(const std::string& out, int bits, const std::string& owner_pass_file,
                          bool fast_kdf, const ThresholdKeygenOptions& options);

}  // namespace cipherstat::cli
