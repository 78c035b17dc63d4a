#include "crypto/signing.h"

#include <cstring>
#include <optional>

#include "crypto/hex.h"
#include "crypto/secure_memory.h"

namespace cipherstat::crypto {

std::string VerifyKey::Hex() const {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<VerifyKey> VerifyKey::FromHex(std::string_view hex, const std::string& what) {
  std::optional<std::string> raw = HexDecode(hex);
  // Only the canonical lowercase spelling: a key that reads the same in another case would
  // let an altered byte of a signed or sealed file pass unnoticed.
  if (!raw || raw->size() != crypto_sign_PUBLICKEYBYTES || HexEncode(*raw) != hex) {
    return Status::Corruption(what + ": not an Ed25519 verify key (expected " +
                              std::to_string(2 * crypto_sign_PUBLICKEYBYTES) +
                              " lowercase hex digits)");
  }
  VerifyKey key;
  std::memcpy(key.bytes.data(), raw->data(), key.bytes.size());
  return key;
}

SigningKey::SigningKey() = default;
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

SigningKey SigningKey::Generate() {
  SigningKey key;
  key.secret_ = std::make_unique<SecureBuffer>(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(key.verify_key_.bytes.data(), key.secret_->data());
  return key;
}

Result<SigningKey> SigningKey::FromSecret(std::string_view secret) {
  if (secret.size() != crypto_sign_SECRETKEYBYTES) {
    return Status::Corruption("signing key: expected " +
                              std::to_string(crypto_sign_SECRETKEYBYTES) + " bytes");
  }
  SigningKey key;
  key.secret_ = std::make_unique<SecureBuffer>(crypto_sign_SECRETKEYBYTES);
  std::memcpy(key.secret_->data(), secret.data(), secret.size());
  crypto_sign_ed25519_sk_to_pk(key.verify_key_.bytes.data(), key.secret_->data());
  // The secret embeds its seed: a key whose halves disagree was not made by crypto_sign.
  SecureBuffer seed(crypto_sign_SEEDBYTES);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  SecureBuffer check(crypto_sign_SECRETKEYBYTES);
  crypto_sign_ed25519_sk_to_seed(seed.data(), key.secret_->data());
  crypto_sign_seed_keypair(pk, check.data(), seed.data());
  if (std::memcmp(pk, key.verify_key_.bytes.data(), sizeof pk) != 0) {
    return Status::Corruption("signing key: inconsistent Ed25519 secret");
  }
  return key;
}

std::string_view SigningKey::Secret() const { return secret_->view(); }

std::string SigningKey::Sign(std::string_view message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_->data());
  return sig;
}

Status VerifySignature(const VerifyKey& key, std::string_view message, std::string_view signature,
                       const std::string& what) {
  if (signature.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), key.bytes.data()) != 0) {
    return Status::Corruption(what + ": bad signature (not signed by the data owner " +
                              key.Hex().substr(0, 16) + "…, or altered)");
  }
  return Status::OK();
}

std::string SignToHex(const SigningKey& key, std::string_view message) {
  return HexEncode(key.Sign(message));
}

Status VerifyHexSignature(const VerifyKey& key, std::string_view message,
                          std::string_view signature_hex, const std::string& what) {
  std::optional<std::string> signature = HexDecode(signature_hex);
  if (!signature) return Status::Corruption(what + ": signature is not hexadecimal");
  return VerifySignature(key, message, *signature, what);
}

}  // namespace cipherstat::crypto
