#include "crypto/seal.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

namespace cipherstat::crypto {

namespace {

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string Base64(std::string_view raw) {
  std::string b64(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), Bytes(raw), raw.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.pop_back();  // the terminating NUL
  return b64;
}

bool FromBase64(const std::string& b64, std::string* raw) {
  raw->assign(b64.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw->data()), raw->size(), b64.data(),
                        b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return false;
  }
  raw->resize(len);
  return true;
}

}  // namespace

Sealed Seal(const PublicKey& pk, std::string_view plaintext, std::string_view context) {
  unsigned char key[kKeyBytes];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  Sealed out;
  out.nonce.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  randombytes_buf(out.nonce.data(), out.nonce.size());
  out.box.resize(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long box_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.box.data()), &box_len, Bytes(plaintext),
      plaintext.size(), Bytes(context), context.size(), nullptr, Bytes(out.nonce), key);
  out.box.resize(box_len);
  {
    // K as an integer below 2^256 < n, encrypted under the Paillier key. BigInt's freed limbs
    // are wiped (crypto::Init); the stack copy is wiped here.
    const BigInt k =
        BigInt::FromBytes(std::string_view(reinterpret_cast<const char*>(key), sizeof key));
    sodium_memzero(key, sizeof key);
    out.key_ciphertext = CiphertextToFixedBytes(pk, Encrypt(pk, k));
  }
  return out;
}

Result<Ciphertext> SealedKey(const PublicKey& pk, const Sealed& sealed) {
  auto c = CiphertextFromFixedBytes(pk, sealed.key_ciphertext);
  if (!c.ok()) return c.status().WithContext("sealed key");
  return c;
}

Result<std::string> Open(const Sealed& sealed, const BigInt& key, std::string_view context) {
  const Status tampered = Status::Corruption(
      "sealed data does not open under its key (wrong key, or the dataset was tampered with)");
  if (key.sign() < 0 || key.bits() > 8 * kKeyBytes) return tampered;
  if (sealed.nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      sealed.box.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return tampered;
  }
  std::string k = key.ToBytes(kKeyBytes);
  std::string plain(sealed.box.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long plain_len = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plain.data()), &plain_len, nullptr, Bytes(sealed.box),
      sealed.box.size(), Bytes(context), context.size(), Bytes(sealed.nonce), Bytes(k));
  sodium_memzero(k.data(), k.size());
  if (rc != 0) return tampered;
  plain.resize(plain_len);
  return plain;
}

std::string SealedToJson(const Sealed& sealed) {
  nlohmann::ordered_json j;
  j["key"] = Base64(sealed.key_ciphertext);
  j["nonce"] = Base64(sealed.nonce);
  j["box"] = Base64(sealed.box);
  return j.dump();
}

Result<Sealed> SealedFromJson(std::string_view json, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  Sealed out;
  for (auto [field, raw] : {std::pair<const char*, std::string*>{"key", &out.key_ciphertext},
                            {"nonce", &out.nonce},
                            {"box", &out.box}}) {
    if (!j.is_object() || !j.contains(field) || !j[field].is_string() ||
        !FromBase64(j[field].get<std::string>(), raw)) {
      return Status::Corruption(source + ": sealed field \"" + field +
                                "\" is missing or not base64");
    }
  }
  return out;
}

}  // namespace cipherstat::crypto
