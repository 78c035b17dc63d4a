#include "crypto/combiner.h"

#include <cstring>
#include <optional>

#include "crypto/hex.h"
#include "crypto/secure_memory.h"

namespace cipherstat::crypto {

std::string CombinerPublicKey::Hex() const {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<CombinerPublicKey> CombinerPublicKey::FromHex(std::string_view hex,
                                                     const std::string& what) {
  std::optional<std::string> raw = HexDecode(hex);
  // Only the canonical lowercase spelling, as for verify keys (crypto/signing.h).
  if (!raw || raw->size() != crypto_box_PUBLICKEYBYTES || HexEncode(*raw) != hex) {
    return Status::Corruption(what + ": not an X25519 public key (expected " +
                              std::to_string(2 * crypto_box_PUBLICKEYBYTES) +
                              " lowercase hex digits)");
  }
  CombinerPublicKey key;
  std::memcpy(key.bytes.data(), raw->data(), key.bytes.size());
  return key;
}

CombinerKey::CombinerKey() = default;
CombinerKey::~CombinerKey() = default;
CombinerKey::CombinerKey(CombinerKey&&) noexcept = default;
CombinerKey& CombinerKey::operator=(CombinerKey&&) noexcept = default;

CombinerKey CombinerKey::Generate() {
  CombinerKey key;
  key.secret_ = std::make_unique<SecureBuffer>(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(key.public_key_.bytes.data(), key.secret_->data());
  return key;
}

Result<CombinerKey> CombinerKey::FromSecret(std::string_view secret) {
  if (secret.size() != crypto_box_SECRETKEYBYTES) {
    return Status::Corruption("combiner key: expected " +
                              std::to_string(crypto_box_SECRETKEYBYTES) + " bytes");
  }
  CombinerKey key;
  key.secret_ = std::make_unique<SecureBuffer>(crypto_box_SECRETKEYBYTES);
  std::memcpy(key.secret_->data(), secret.data(), secret.size());
  if (crypto_scalarmult_base(key.public_key_.bytes.data(), key.secret_->data()) != 0) {
    return Status::Corruption("combiner key: not an X25519 secret key");
  }
  return key;
}

std::string_view CombinerKey::Secret() const { return secret_->view(); }

Result<std::string> CombinerKey::Open(std::string_view box) const {
  if (box.size() < crypto_box_SEALBYTES) {
    return Status::InvalidArgument("not sealed to this combiner (too short to be a sealed box)");
  }
  std::string plain(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(plain.data()),
                           reinterpret_cast<const unsigned char*>(box.data()), box.size(),
                           public_key_.bytes.data(), secret_->data()) != 0) {
    return Status::InvalidArgument(
        "not sealed to this combiner (it does not open with this combiner's key: sealed to "
        "another combiner, or altered)");
  }
  return plain;
}

std::string SealToCombiner(const CombinerPublicKey& to, std::string_view plaintext) {
  std::string box(plaintext.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(box.data()),
                  reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                  to.bytes.data());
  return box;
}

Status WriteCombinerKeystore(const std::string& path, const CombinerKey& key,
                             const std::string& fingerprint, const VerifyKey& owner,
                             const Passphrase& passphrase, KdfLimits limits) {
  KeystoreInfo header;
  header.kind = "combiner";
  header.fingerprint = fingerprint;
  header.verify_key = owner.Hex();
  header.combiner_key = key.public_key().Hex();
  header.limits = limits;
  return WriteSealedKeystore(path, header, key.Secret(), passphrase);
}

Status CheckCombinerKeystore(const std::string& path, const KeystoreInfo& info) {
  if (info.kind != "combiner") {
    return Status::InvalidArgument(path + ": not a combiner's key (a keystore of kind '" +
                                   info.kind + "')");
  }
  return Status::OK();
}

Result<CombinerKey> ReadCombinerKeystore(const std::string& path, const Passphrase& passphrase) {
  CS_ASSIGN_OR_RETURN(KeystoreInfo pre, ReadKeystoreInfo(path));
  CS_RETURN_IF_ERROR(CheckCombinerKeystore(path, pre));
  KeystoreInfo info;
  CS_ASSIGN_OR_RETURN(auto plain, OpenSealedKeystore(path, passphrase, &info));
  auto key = CombinerKey::FromSecret(plain->view());
  // Authenticated but unusable: damaged when sealed. Reported, never echoed.
  if (!key.ok()) return Status::Corruption(path + ": " + key.status().message());
  if (key->public_key().Hex() != info.combiner_key) {
    return Status::Corruption(path + ": sealed combiner key does not match its public key");
  }
  return key;
}

}  // namespace cipherstat::crypto
