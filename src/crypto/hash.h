// SHA-256 (libsodium) as hex: the digests that name a manifest, a result file or an audit
// entry. Shared by storage, the audit log and the CLI, so it lives beside the other crypto
// primitives rather than in the dataset format.
#pragma once

#include <string>
#include <string_view>

namespace cipherstat {

// Hex SHA-256 of bytes.
std::string Sha256Hex(std::string_view data);

// Incremental SHA-256 (manifest and result digests, the audit log).
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  std::string FinishHex();

 private:
  // crypto_hash_sha256_state, without including sodium.h in every user.
  alignas(64) unsigned char state_[512];
};

}  // namespace cipherstat
