// Ed25519 signatures (libsodium crypto_sign): how the data owner vouches for what it wrote.
//
// The owner's signing key is sealed in its keystore next to the Paillier secret key; the
// verify key is recorded in every keystore and key share (authenticated by the AEAD), so a
// decrypting party checks the owner's signature with a key it already trusts, never with one
// the compute party hands it.
#pragma once

#include <sodium.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cipherstat::crypto {

class SecureBuffer;

struct VerifyKey {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> bytes{};

  std::string Hex() const;
  // Parses 64 hex digits; `what` names the field in the error.
  static Result<VerifyKey> FromHex(std::string_view hex, const std::string& what);
  bool operator==(const VerifyKey& other) const { return bytes == other.bytes; }
};

// An Ed25519 secret key in sodium_malloc'd memory. Movable, not copyable; wiped when freed.
class SigningKey {
 public:
  SigningKey();
  ~SigningKey();
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  static SigningKey Generate();  // from libsodium's CSPRNG
  // From the crypto_sign_SECRETKEYBYTES bytes that Secret() returns.
  static Result<SigningKey> FromSecret(std::string_view secret);

  bool valid() const { return secret_ != nullptr; }
  const VerifyKey& verify_key() const { return verify_key_; }
  // The raw secret, for sealing into a keystore only. REQUIRES: valid().
  std::string_view Secret() const;
  // A detached signature (crypto_sign_BYTES bytes). REQUIRES: valid().
  std::string Sign(std::string_view message) const;

 private:
  std::unique_ptr<SecureBuffer> secret_;
  VerifyKey verify_key_;
};

// Signatures as hex text, for JSON files.
std::string SignToHex(const SigningKey& key, std::string_view message);
Status VerifyHexSignature(const VerifyKey& key, std::string_view message,
                          std::string_view signature_hex, const std::string& what);

// OK iff `signature` is `key`'s signature of `message`; else Corruption naming `what`.
Status VerifySignature(const VerifyKey& key, std::string_view message, std::string_view signature,
                       const std::string& what);

}  // namespace cipherstat::crypto
