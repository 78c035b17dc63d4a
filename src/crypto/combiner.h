// The designated combiner of a threshold key: an X25519 key pair (libsodium crypto_box) to
// which custodians seal their partial decryptions, so that a partial file is of use to the
// combiner alone, never to whoever else holds it (whoever holds t partials of a result could
// otherwise decrypt every ciphertext in it).
//
// `keygen --custodians` makes the pair. The secret key is sealed in DIR/combiner.key, a
// keystore of kind "combiner" (crypto/keystore.h) under the owner's passphrase: the owner is
// the default combiner. The public key reaches custodians inside their share keystores, whose
// AEAD authenticates it (crypto/threshold.h), and is also written to threshold.json for
// information only: a custodian seals to the key in its own keystore, never to one a file on
// the way hands it.
//
// Sealing is crypto_box_seal: an ephemeral X25519 key and XSalsa20-Poly1305, so anyone can seal
// to the combiner, but only the combiner opens, and an altered box does not open.
#pragma once

#include <sodium.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/keystore.h"
#include "crypto/signing.h"
#include "util/status.h"

namespace cipherstat::crypto {

class SecureBuffer;

struct CombinerPublicKey {
  std::array<unsigned char, crypto_box_PUBLICKEYBYTES> bytes{};

  std::string Hex() const;
  // Parses 64 lowercase hex digits; `what` names the field in the error (Corruption).
  static Result<CombinerPublicKey> FromHex(std::string_view hex, const std::string& what);
  bool operator==(const CombinerPublicKey& other) const { return bytes == other.bytes; }
};

// An X25519 secret key in sodium_malloc'd memory. Movable, not copyable; wiped when freed.
class CombinerKey {
 public:
  CombinerKey();
  ~CombinerKey();
  CombinerKey(CombinerKey&&) noexcept;
  CombinerKey& operator=(CombinerKey&&) noexcept;
  CombinerKey(const CombinerKey&) = delete;
  CombinerKey& operator=(const CombinerKey&) = delete;

  static CombinerKey Generate();  // from libsodium's CSPRNG
  // From the crypto_box_SECRETKEYBYTES bytes that Secret() returns.
  static Result<CombinerKey> FromSecret(std::string_view secret);

  const CombinerPublicKey& public_key() const { return public_key_; }
  // The raw secret, for sealing into a keystore only.
  std::string_view Secret() const;
  // The plaintext of a box sealed to this key; a box sealed to another key, or altered, does
  // not open: InvalidArgument "not sealed to this combiner (...)" (the caller adds the file).
  Result<std::string> Open(std::string_view box) const;

 private:
  std::unique_ptr<SecureBuffer> secret_;
  CombinerPublicKey public_key_;
};

// crypto_box_seal of `plaintext` to `to`.
std::string SealToCombiner(const CombinerPublicKey& to, std::string_view plaintext);

// The secret key sealed in a keystore of kind "combiner" (crypto/keystore.h), bound to the
// threshold key `fingerprint` and its owner; the header also names the public key, so that
// `key show` prints it without a passphrase.
Status WriteCombinerKeystore(const std::string& path, const CombinerKey& key,
                             const std::string& fingerprint, const VerifyKey& owner,
                             const Passphrase& passphrase, KdfLimits limits = DefaultKdfLimits());
// Whether the keystore whose header is `info` holds a combiner's key, before its passphrase is
// asked for: another kind is InvalidArgument naming it.
Status CheckCombinerKeystore(const std::string& path, const KeystoreInfo& info);
// Errors as ReadKeystore's, and CheckCombinerKeystore's before the passphrase is tried.
Result<CombinerKey> ReadCombinerKeystore(const std::string& path, const Passphrase& passphrase);

}  // namespace cipherstat::crypto
