// An actor's audit identity: the Ed25519 key that signs the actor's audit entries and anchors.
//
// Layout of an audit folder (one per person or service account; CIPHERSTAT_AUDIT_DIR, the
// global --audit-dir flag, or $HOME/.cipherstat/audit by default):
//   DIR/                 mode 0700, created on first use
//   DIR/signing.key      {"format":"cipherstat-audit-key","version":1,"algorithm":"ed25519",
//                         "public":"<64 hex>","seed":"<64 hex>"}, mode 0600, created on first use
//   DIR/anchors/<id>.json  one signed tail anchor per log this actor appended to (see log.h)
// The seed is not passphrase-protected: the key is used by every command, including unattended
// compute-side ones, and protecting it would only move the secret to wherever the passphrase is
// kept. Its protection is the folder's permissions; a key file readable by group or others is
// refused, as ssh does. Whoever can read signing.key can sign as this actor.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cipherstat::audit {

inline constexpr size_t kPublicKeyHexSize = 64;
inline constexpr size_t kSignatureHexSize = 128;

// The audit folder to use: `flag` if set, else $CIPHERSTAT_AUDIT_DIR, else
// $HOME/.cipherstat/audit. InvalidArgument when none of them is available.
Result<std::string> ResolveAuditDir(const std::string& flag);

// A loaded signing key. The 64-byte Ed25519 secret lives in sodium_malloc'd memory.
// Non-copyable; movable through unique_ptr.
class Identity {
 public:
  // Loads DIR/signing.key, creating DIR and a fresh key first if it does not exist. Creation is
  // race-free (link of a complete temp file), so concurrent first uses agree on one key.
  static Result<std::unique_ptr<Identity>> OpenOrCreate(const std::string& dir);
  ~Identity();
  Identity(const Identity&) = delete;
  Identity& operator=(const Identity&) = delete;

  const std::string& dir() const { return dir_; }
  // Lowercase hex of the 32-byte public key; it is recorded in every entry the actor signs.
  const std::string& public_key_hex() const { return public_hex_; }
  // Hex of the detached signature of `message`.
  std::string Sign(std::string_view message) const;

 private:
  Identity() = default;
  std::string dir_;
  std::string public_hex_;
  unsigned char* secret_ = nullptr;  // sodium_malloc'd, crypto_sign_SECRETKEYBYTES
};

// True when `signature_hex` is a valid Ed25519 signature of `message` by `public_key_hex`.
bool VerifySignature(std::string_view public_key_hex, std::string_view message,
                     std::string_view signature_hex);

}  // namespace cipherstat::audit
