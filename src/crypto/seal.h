// Sealing bytes for whoever can decrypt under a Paillier key: the owner with the whole secret
// key, or any t custodians of a threshold key together. Used for what the owner needs to
// decode results but the compute party must not see (the dataset's schema, store/dataset.h).
//
// A fresh random 256-bit key K encrypts the bytes with XChaCha20-Poly1305 (libsodium), the
// `context` as associated data; K itself travels as a Paillier encryption under the public
// key. Opening therefore takes one Paillier decryption (or t partial decryptions) of
// `key_ciphertext`, which the caller does with whatever decrypts its results.
//
// JSON (SealedToJson): {"key":"<base64 Paillier ciphertext, fixed width>",
//   "nonce":"<base64, 24 bytes>","box":"<base64 ciphertext and tag>"}
#pragma once

#include <string>
#include <string_view>

#include "crypto/bigint.h"
#include "crypto/paillier.h"
#include "util/status.h"

namespace cipherstat::crypto {

struct Sealed {
  std::string key_ciphertext;  // Paillier ciphertext of K, CiphertextToFixedBytes form
  std::string nonce;           // raw bytes
  std::string box;             // raw bytes: AEAD ciphertext and tag
  bool operator==(const Sealed&) const = default;
};

Sealed Seal(const PublicKey& pk, std::string_view plaintext, std::string_view context);

// The Paillier ciphertext holding K, checked to lie in Z*_{n²}.
Result<Ciphertext> SealedKey(const PublicKey& pk, const Sealed& sealed);

// Opens `sealed` with K as decrypted from SealedKey. A key that is not 256 bits, or a box that
// does not authenticate under it and `context`, is Corruption (wrong key or tampered).
Result<std::string> Open(const Sealed& sealed, const BigInt& key, std::string_view context);

std::string SealedToJson(const Sealed& sealed);  // compact
// Errors name `source`.
Result<Sealed> SealedFromJson(std::string_view json, const std::string& source);

}  // namespace cipherstat::crypto
