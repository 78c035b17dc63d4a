// The keystore: a secret key sealed under a passphrase.
//
// File (JSON): {"format":"cipherstat-keystore","version":2,"kind":"owner","kdf":"argon2id13",
//   "opslimit":N,"memlimit":N,"salt":"<hex>","aead":"xchacha20poly1305-ietf",
//   "nonce":"<hex>","fingerprint":"<public key fingerprint>","verify_key":"<hex>",
//   ["share":{"index":i,"threshold":t,"parties":n},] ["combiner_key":"<hex>",]
//   "ciphertext":"<hex>"}
// The key is derived with crypto_pwhash (Argon2id, at least the INTERACTIVE limits) and the
// secret is sealed with XChaCha20-Poly1305. Every public field (the header: everything but
// "ciphertext", in this order, compact JSON) is the associated data, so neither the public
// key, the owner's verify key, the share index, the combiner's key nor the KDF limits can be
// changed unnoticed.
// Version 1 files (no kind, the fingerprint alone as associated data) are still read.
//
// Kinds and their sealed secret:
//   "paillier"  the secret-key JSON (no owner signing key: cannot sign datasets)
//   "owner"     the Ed25519 signing secret (64 bytes), then the secret-key JSON
//   "signing"   the Ed25519 signing secret only (threshold keys: the owner signs, custodians
//               decrypt)
//   "share"     one custodian's threshold key share (crypto/threshold.h); "combiner_key" names
//               the combiner its partial decryptions are sealed to (absent in shares dealt
//               before partials were sealed, which decrypt-share refuses)
//   "combiner"  the designated combiner's X25519 secret key (crypto/combiner.h);
//               "combiner_key" is its public key
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/paillier.h"
#include "crypto/signing.h"
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

// Seals `sk` (kind "paillier") and writes it atomically to `path`.
Status WriteKeystore(const std::string& path, const SecretKey& sk, const Passphrase& passphrase,
                     KdfLimits limits = DefaultKdfLimits());
// Every reader, and nothing is decrypted when it fails:
//   - a file that is not a keystore: Corruption("PATH: not a cipherstat keystore (...)");
//   - a keystore that cannot be parsed (cut short, a field missing, mistyped, of the wrong
//     length or out of range): Corruption("PATH: damaged or truncated keystore (WHAT)"), WHAT
//     naming the field or the byte offset, never the file's content;
//   - a newer version: NotSupported;
//   - a well-formed keystore whose seal does not open: InvalidArgument("PATH: " +
//     kWrongPassphrase). A wrong passphrase and an altered byte under the seal (its ciphertext
//     or any header field) cannot be told apart, so both say so (IsWrongPassphrase);
//   - a seal that opens on content that is not a key: Corruption("PATH: sealed ... (WHAT)").
inline constexpr char kWrongPassphrase[] = "wrong passphrase, or the keystore was altered";
// Whether `status` (with any context added) is the wrong-passphrase failure above: the only one
// to audit as "failed passphrase".
bool IsWrongPassphrase(const Status& status);
// Opens a "paillier" or "owner" keystore for its Paillier secret key.
Result<SecretKey> ReadKeystore(const std::string& path, const Passphrase& passphrase);

// The header: everything a keystore says without its passphrase, never a secret.
struct KeystoreInfo {
  std::string fingerprint;  // of the Paillier public key
  KdfLimits limits;
  uint64_t version = 2;
  std::string kind;        // see above; "paillier" for version 1
  std::string verify_key;  // the owner's Ed25519 verify key (hex); empty for "paillier"
  uint32_t share_index = 0, share_threshold = 0, share_parties = 0;  // kind "share" only
  std::string combiner_key;  // the combiner's X25519 public key (hex): "share", "combiner"
};
Result<KeystoreInfo> ReadKeystoreInfo(const std::string& path);

// The data owner's keys: Paillier secret key and Ed25519 signing key, sealed together.
struct OwnerKey {
  SecretKey paillier;
  SigningKey signing;
};
Result<OwnerKey> GenerateOwnerKey(int bits = kDefaultKeyBits);
Status WriteOwnerKeystore(const std::string& path, const OwnerKey& key,
                          const Passphrase& passphrase, KdfLimits limits = DefaultKdfLimits());
// REQUIRES kind "owner"; other kinds fail with InvalidArgument naming the kind.
Result<OwnerKey> ReadOwnerKeystore(const std::string& path, const Passphrase& passphrase);
// The signing key of an "owner" or "signing" keystore.
Result<SigningKey> ReadSigningKeystore(const std::string& path, const Passphrase& passphrase);
// A "signing" keystore bound to the Paillier key `fingerprint`.
Status WriteSigningKeystore(const std::string& path, const SigningKey& key,
                            const std::string& fingerprint, const Passphrase& passphrase,
                            KdfLimits limits = DefaultKdfLimits());

// The generic layer the kinds are built on. `header.version` is ignored (always 2);
// `header.limits` are the KDF limits to use.
Status WriteSealedKeystore(const std::string& path, const KeystoreInfo& header,
                           std::string_view secret, const Passphrase& passphrase);
// Returns the sealed secret in wiped memory and fills `*header`.
Result<std::unique_ptr<SecureBuffer>> OpenSealedKeystore(const std::string& path,
                                                         const Passphrase& passphrase,
                                                         KeystoreInfo* header);

// Re-seals the keystore at `path` under `new_passphrase` (fresh salt and nonce, same header
// and KDF limits unless `limits` is given). The old passphrase is verified first; the new file
// is written to a temporary name, fsynced and renamed over the old one, so a crash leaves
// either the old keystore or the new one, never neither.
Status ChangeKeystorePassphrase(const std::string& path, const Passphrase& old_passphrase,
                                const Passphrase& new_passphrase,
                                const KdfLimits* limits = nullptr);

}  // namespace cipherstat::crypto
