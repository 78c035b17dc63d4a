#include "crypto/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "crypto/hex.h"
#include "crypto/secure_memory.h"
#include "util/file.h"

namespace cipherstat::crypto {
namespace {

constexpr char kFormat[] = "cipherstat-keystore";
constexpr uint64_t kVersion = 1;
constexpr char kKdf[] = "argon2id13";
constexpr char kAead[] = "xchacha20poly1305-ietf";
// A keystore is well under a kilobyte per key; anything larger is not one of ours.
constexpr size_t kMaxFileBytes = size_t{1} << 20;
constexpr size_t kMaxSealedBytes = size_t{64} << 10;
// Upper bounds on what a file may ask of crypto_pwhash, so that opening a hostile keystore
// cannot pin the CPU for hours or exhaust memory: 4× the SENSITIVE passes, 4 GiB.
constexpr unsigned long long kMaxOpslimit = 4 * crypto_pwhash_OPSLIMIT_SENSITIVE;
constexpr uint64_t kMaxMemlimit = uint64_t{4} << 30;
constexpr size_t kMinKeyBits = 2048;

Status CheckLimits(unsigned long long opslimit, uint64_t memlimit, const std::string& what) {
  if (opslimit < crypto_pwhash_OPSLIMIT_INTERACTIVE) {
    return Status::InvalidArgument(what + ": opslimit " + std::to_string(opslimit) +
                                   " is below the minimum " +
                                   std::to_string(crypto_pwhash_OPSLIMIT_INTERACTIVE));
  }
  if (opslimit > kMaxOpslimit) {
    return Status::InvalidArgument(what + ": opslimit " + std::to_string(opslimit) +
                                   " is above the maximum " + std::to_string(kMaxOpslimit));
  }
  if (memlimit < crypto_pwhash_MEMLIMIT_INTERACTIVE) {
    return Status::InvalidArgument(what + ": memlimit " + std::to_string(memlimit) +
                                   " is below the minimum " +
                                   std::to_string(crypto_pwhash_MEMLIMIT_INTERACTIVE));
  }
  if (memlimit > kMaxMemlimit) {
    return Status::InvalidArgument(what + ": memlimit " + std::to_string(memlimit) +
                                   " is above the maximum " + std::to_string(kMaxMemlimit));
  }
  return Status::OK();
}

Status DeriveKey(SecureBuffer* key, const Passphrase& passphrase, const std::string& salt,
                 const KdfLimits& limits, const std::string& what) {
  std::string_view pass = passphrase.view();
  if (crypto_pwhash(key->data(), key->size(), pass.data(), pass.size(),
                    reinterpret_cast<const unsigned char*>(salt.data()), limits.opslimit,
                    limits.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::IOError(what + ": key derivation failed (not enough memory for memlimit " +
                           std::to_string(limits.memlimit) + "?)");
  }
  return Status::OK();
}

// The public part of a keystore file, checked field by field.
struct ParsedKeystore {
  KeystoreInfo info;
  std::string salt;
  std::string nonce;
  std::string sealed;
};

Result<std::string> StringField(const nlohmann::json& j, const char* field,
                                const std::string& what) {
  auto it = j.find(field);
  if (it == j.end()) return Status::Corruption(what + ": missing field '" + field + "'");
  if (!it->is_string()) {
    return Status::Corruption(what + ": field '" + field + "' is not a string");
  }
  return it->get<std::string>();
}

Result<uint64_t> UnsignedField(const nlohmann::json& j, const char* field,
                               const std::string& what) {
  auto it = j.find(field);
  if (it == j.end()) return Status::Corruption(what + ": missing field '" + field + "'");
  if (!it->is_number_unsigned()) {
    return Status::Corruption(what + ": field '" + field + "' is not an unsigned integer");
  }
  return it->get<uint64_t>();
}

Status ExpectString(const nlohmann::json& j, const char* field, const char* expected,
                    const std::string& what) {
  CS_ASSIGN_OR_RETURN(std::string value, StringField(j, field, what));
  if (value != expected) {
    return Status::Corruption(what + ": field '" + field + "' must be \"" + expected + "\"");
  }
  return Status::OK();
}

// Decodes a hex field of exactly `bytes` bytes, or of min_bytes..max_bytes when bytes == 0.
Result<std::string> HexField(const nlohmann::json& j, const char* field, size_t min_bytes,
                             size_t max_bytes, const std::string& what) {
  CS_ASSIGN_OR_RETURN(std::string text, StringField(j, field, what));
  std::optional<std::string> bytes = HexDecode(text);
  if (!bytes) return Status::Corruption(what + ": field '" + field + "' is not hexadecimal");
  if (bytes->size() < min_bytes || bytes->size() > max_bytes) {
    std::string want = min_bytes == max_bytes
                           ? std::to_string(min_bytes)
                           : std::to_string(min_bytes) + ".." + std::to_string(max_bytes);
    return Status::Corruption(what + ": field '" + field + "' holds " +
                              std::to_string(bytes->size()) + " bytes, expected " + want);
  }
  return *std::move(bytes);
}

bool IsFingerprint(const std::string& s) {
  if (s.size() != 2 * crypto_hash_sha256_BYTES) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<ParsedKeystore> ParseKeystore(const std::string& path) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxFileBytes));
  const std::string& what = path;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(what + ": not a keystore (not valid JSON: " + e.what() + ")");
  }
  if (!j.is_object()) return Status::Corruption(what + ": not a keystore (not a JSON object)");
  CS_RETURN_IF_ERROR(ExpectString(j, "format", kFormat, what));
  CS_ASSIGN_OR_RETURN(uint64_t version, UnsignedField(j, "version", what));
  if (version != kVersion) {
    return Status::Corruption(what + ": unsupported keystore version " + std::to_string(version) +
                              " (this build reads " + std::to_string(kVersion) + ")");
  }
  CS_RETURN_IF_ERROR(ExpectString(j, "kdf", kKdf, what));
  CS_RETURN_IF_ERROR(ExpectString(j, "aead", kAead, what));

  ParsedKeystore out;
  CS_ASSIGN_OR_RETURN(uint64_t opslimit, UnsignedField(j, "opslimit", what));
  CS_ASSIGN_OR_RETURN(uint64_t memlimit, UnsignedField(j, "memlimit", what));
  CS_RETURN_IF_ERROR(CheckLimits(opslimit, memlimit, what));
  out.info.limits.opslimit = opslimit;
  out.info.limits.memlimit = static_cast<size_t>(memlimit);

  CS_ASSIGN_OR_RETURN(out.salt,
                      HexField(j, "salt", crypto_pwhash_SALTBYTES, crypto_pwhash_SALTBYTES, what));
  CS_ASSIGN_OR_RETURN(out.nonce, HexField(j, "nonce", crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                          crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, what));
  CS_ASSIGN_OR_RETURN(out.info.fingerprint, StringField(j, "fingerprint", what));
  if (!IsFingerprint(out.info.fingerprint)) {
    return Status::Corruption(what + ": field 'fingerprint' must be 64 lowercase hex digits");
  }
  CS_ASSIGN_OR_RETURN(out.sealed,
                      HexField(j, "ciphertext", crypto_aead_xchacha20poly1305_ietf_ABYTES + 1,
                               kMaxSealedBytes, what));
  return out;
}

}  // namespace

Passphrase::Passphrase(std::string_view text) : size_(text.size()) {
  // sodium_malloc needs an initialised libsodium; sodium_init is idempotent and thread-safe.
  if (sodium_init() < 0) throw std::bad_alloc();
  data_ = static_cast<char*>(sodium_malloc(size_ == 0 ? 1 : size_));
  if (data_ == nullptr) throw std::bad_alloc();
  if (size_ > 0) std::memcpy(data_, text.data(), size_);
}

Passphrase::~Passphrase() { sodium_free(data_); }

KdfLimits DefaultKdfLimits() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

KdfLimits FastKdfLimits() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

Status WriteKeystore(const std::string& path, const SecretKey& sk, const Passphrase& passphrase,
                     KdfLimits limits) {
  const std::string what = path;
  CS_RETURN_IF_ERROR(CheckLimits(limits.opslimit, limits.memlimit, what));
  if (passphrase.view().empty()) return Status::InvalidArgument(what + ": empty passphrase");
  // ReadKeystore refuses small keys, so never write one that could not be read back.
  if (static_cast<size_t>(sk.public_key().bits()) < kMinKeyBits) {
    return Status::InvalidArgument(what + ": refusing to store a key of " +
                                   std::to_string(sk.public_key().bits()) + " bits");
  }
  const std::string fingerprint = sk.public_key().Fingerprint();

  std::string salt(crypto_pwhash_SALTBYTES, '\0');
  randombytes_buf(salt.data(), salt.size());
  std::string nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  SecureBuffer key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  CS_RETURN_IF_ERROR(DeriveKey(&key, passphrase, salt, limits, what));

  std::string sealed;
  {
    // Move the secret JSON into guarded memory at once and wipe the heap copy.
    std::string json = SecretKeyToJson(sk);
    SecureBuffer plain(json.size());
    std::memcpy(plain.data(), json.data(), json.size());
    sodium_memzero(json.data(), json.size());
    sealed.resize(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long sealed_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        reinterpret_cast<unsigned char*>(sealed.data()), &sealed_len, plain.data(), plain.size(),
        reinterpret_cast<const unsigned char*>(fingerprint.data()), fingerprint.size(), nullptr,
        reinterpret_cast<const unsigned char*>(nonce.data()), key.data());
    sealed.resize(sealed_len);
  }

  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["kdf"] = kKdf;
  j["opslimit"] = limits.opslimit;
  j["memlimit"] = static_cast<uint64_t>(limits.memlimit);
  j["salt"] = HexEncode(salt);
  j["aead"] = kAead;
  j["nonce"] = HexEncode(nonce);
  j["fingerprint"] = fingerprint;
  j["ciphertext"] = HexEncode(sealed);
  // 0600: the sealed key invites an offline passphrase search, so nobody else may read it.
  return WriteFileAtomic(path, j.dump(2) + "\n", 0600);
}

Result<SecretKey> ReadKeystore(const std::string& path, const Passphrase& passphrase) {
  CS_ASSIGN_OR_RETURN(ParsedKeystore ks, ParseKeystore(path));
  SecureBuffer key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  CS_RETURN_IF_ERROR(DeriveKey(&key, passphrase, ks.salt, ks.info.limits, path));

  SecureBuffer plain(ks.sealed.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plain_len, nullptr,
          reinterpret_cast<const unsigned char*>(ks.sealed.data()), ks.sealed.size(),
          reinterpret_cast<const unsigned char*>(ks.info.fingerprint.data()),
          ks.info.fingerprint.size(), reinterpret_cast<const unsigned char*>(ks.nonce.data()),
          key.data()) != 0) {
    // One message for every cause: telling them apart would help nobody but an attacker.
    return Status::InvalidArgument(path + ": wrong passphrase or corrupted keystore");
  }
  Result<SecretKey> sk = SecretKeyFromJson(plain.view().substr(0, plain_len));
  // Authenticated but unusable means it was sealed that way: report, never echo the content.
  if (!sk.ok()) return sk.status().WithContext(path + ": sealed key is invalid");
  if (sk->public_key().Fingerprint() != ks.info.fingerprint) {
    return Status::Corruption(path + ": sealed key does not match the keystore fingerprint");
  }
  return sk;
}

Result<KeystoreInfo> ReadKeystoreInfo(const std::string& path) {
  CS_ASSIGN_OR_RETURN(ParsedKeystore ks, ParseKeystore(path));
  return ks.info;
}

}  // namespace cipherstat::crypto
