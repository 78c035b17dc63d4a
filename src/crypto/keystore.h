// The keystore: a secret key sealed under a passphrase.
//
// File (JSON): {"format":"cipherstat-keystore","version":1,"kdf":"argon2id13",
//   "opslimit":N,"memlimit":N,"salt":"<hex>","aead":"xchacha20poly1305-ietf",
//   "nonce":"<hex>","fingerprint":"<public key fingerprint>","ciphertext":"<hex>"}
// The key is derived with crypto_pwhash (Argon2id, at least the INTERACTIVE limits) and the
// secret-key JSON is sealed with XChaCha20-Poly1305; the fingerprint is the associated data,
// so a keystore cannot be swapped under another public key unnoticed.
#pragma once

#include <string>
#include <string_view>

#include "crypto/paillier.h"
#include "util/status.h"

namespace cipherstat::crypto {

// A passphrase held in sodium_malloc'd memory, wiped and freed on destruction.
class Passphrase {
 public:
  explicit Passphrase(std::string_view text);
  ~Passphrase();
  Passphrase(const Passphrase&) = delete;
  Passphrase& operator=(const Passphrase&) = delete;
  std::string_view view() const { return {data_, size_}; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

struct KdfLimits {
  unsigned long long opslimit;
  size_t memlimit;
};
KdfLimits DefaultKdfLimits();  // crypto_pwhash_OPSLIMIT_MODERATE / MEMLIMIT_MODERATE.
KdfLimits FastKdfLimits();     // INTERACTIVE limits, the minimum we accept (tests, demo).

// Seals `sk` and writes it atomically to `path`.
Status WriteKeystore(const std::string& path, const SecretKey& sk, const Passphrase& passphrase,
                     KdfLimits limits = DefaultKdfLimits());
// Opens a keystore. A wrong passphrase or any altered byte gives
// InvalidArgument("<path>: wrong passphrase or corrupted keystore").
Result<SecretKey> ReadKeystore(const std::string& path, const Passphrase& passphrase);
// Reads only the public fingerprint and KDF parameters, never the secret.
struct KeystoreInfo {
  std::string fingerprint;
  KdfLimits limits;
};
Result<KeystoreInfo> ReadKeystoreInfo(const std::string& path);

}  // namespace cipherstat::crypto
