#include "crypto/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "crypto/hex.h"
#include "crypto/secure_memory.h"
#include "util/file.h"
#include "util/json.h"

namespace cipherstat::crypto {
namespace {

constexpr char kFormat[] = "cipherstat-keystore";
constexpr uint64_t kVersion = 2;
constexpr uint64_t kOldestVersion = 1;
constexpr char kKdf[] = "argon2id13";
constexpr char kAead[] = "xchacha20poly1305-ietf";
constexpr char kNotAKeystore[] = "not a cipherstat keystore";
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

// The field helpers' messages name the field and what is wrong with it, never its content;
// ParseKeystore adds the file.
Result<std::string> StringField(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return Status::Corruption(std::string("missing field '") + field + "'");
  if (!it->is_string()) {
    return Status::Corruption(std::string("field '") + field + "' is not a string");
  }
  return it->get<std::string>();
}

Result<uint64_t> UnsignedField(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return Status::Corruption(std::string("missing field '") + field + "'");
  if (!it->is_number_unsigned()) {
    return Status::Corruption(std::string("field '") + field + "' is not an unsigned integer");
  }
  return it->get<uint64_t>();
}

Status ExpectString(const nlohmann::json& j, const char* field, const char* expected) {
  CS_ASSIGN_OR_RETURN(std::string value, StringField(j, field));
  if (value != expected) {
    return Status::Corruption(std::string("field '") + field + "' must be \"" + expected + "\"");
  }
  return Status::OK();
}

// Decodes a hex field of min_bytes..max_bytes bytes.
Result<std::string> HexField(const nlohmann::json& j, const char* field, size_t min_bytes,
                             size_t max_bytes) {
  CS_ASSIGN_OR_RETURN(std::string text, StringField(j, field));
  // Only the canonical (lowercase) spelling is accepted, so that no altered byte of the file
  // goes unnoticed, not even one that flips a hex digit's case.
  std::optional<std::string> bytes = HexDecode(text);
  if (!bytes || HexEncode(*bytes) != text) {
    return Status::Corruption(std::string("field '") + field +
                              "' is not hexadecimal (lowercase digits only)");
  }
  if (bytes->size() < min_bytes || bytes->size() > max_bytes) {
    std::string want = min_bytes == max_bytes
                           ? std::to_string(min_bytes)
                           : std::to_string(min_bytes) + ".." + std::to_string(max_bytes);
    return Status::Corruption(std::string("field '") + field + "' holds " +
                              std::to_string(bytes->size()) + " bytes, expected " + want);
  }
  return *std::move(bytes);
}

// The secret-key JSON in memory that is wiped when freed (the heap copy is wiped at once).
WipedString SecretKeyToJsonWiped(const SecretKey& sk) {
  std::string json = SecretKeyToJson(sk);
  WipedString out(json.data(), json.size());
  sodium_memzero(json.data(), json.size());
  return out;
}

bool IsFingerprint(const std::string& s) {
  if (s.size() != 2 * crypto_hash_sha256_BYTES) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The keystore in `text`; errors name the field and what is wrong, without the file's name.
Result<ParsedKeystore> ParseKeystoreText(const std::string& text) {
  CS_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonObject(text));
  const auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kFormat) {
    std::string found = "missing";
    if (format != j.end()) {
      found = format->is_string() ? "\"" + QuoteInput(format->get<std::string>(), 40) + "\""
                                  : "not a string";
    }
    return Status::Corruption(std::string(kNotAKeystore) + " (its field 'format' is " + found +
                              ")");
  }
  CS_ASSIGN_OR_RETURN(uint64_t version, UnsignedField(j, "version"));
  if (version < kOldestVersion || version > kVersion) {
    return Status::NotSupported(
        "keystore version " + std::to_string(version) + " is not supported (this build reads " +
        std::to_string(kOldestVersion) + " to " + std::to_string(kVersion) + ")");
  }
  CS_RETURN_IF_ERROR(ExpectString(j, "kdf", kKdf));
  CS_RETURN_IF_ERROR(ExpectString(j, "aead", kAead));

  ParsedKeystore out;
  out.info.version = version;
  out.info.kind = "paillier";
  if (version >= 2) {
    CS_ASSIGN_OR_RETURN(out.info.kind, StringField(j, "kind"));
    if (out.info.kind != "paillier" && out.info.kind != "owner" && out.info.kind != "signing" &&
        out.info.kind != "share" && out.info.kind != "combiner") {
      return Status::Corruption("unknown kind '" + QuoteInput(out.info.kind) + "'");
    }
    if (out.info.kind != "paillier") {
      CS_ASSIGN_OR_RETURN(out.info.verify_key, StringField(j, "verify_key"));
      CS_RETURN_IF_ERROR(VerifyKey::FromHex(out.info.verify_key, "field 'verify_key'").status());
    }
    if (out.info.kind == "share") {
      auto share = j.find("share");
      if (share == j.end() || !share->is_object()) {
        return Status::Corruption("a share keystore needs the field 'share'");
      }
      auto share_field = [&](const char* name) -> Result<uint64_t> {
        Result<uint64_t> v = UnsignedField(*share, name);
        if (!v.ok()) return v.status().WithContext("field 'share'");
        return v;
      };
      CS_ASSIGN_OR_RETURN(uint64_t index, share_field("index"));
      CS_ASSIGN_OR_RETURN(uint64_t threshold, share_field("threshold"));
      CS_ASSIGN_OR_RETURN(uint64_t parties, share_field("parties"));
      if (parties < 2 || parties > 64 || threshold < 1 || threshold > parties || index < 1 ||
          index > parties) {
        return Status::Corruption("share index/threshold/parties out of range");
      }
      out.info.share_index = static_cast<uint32_t>(index);
      out.info.share_threshold = static_cast<uint32_t>(threshold);
      out.info.share_parties = static_cast<uint32_t>(parties);
    }
    // Required of a combiner; a share dealt before partials were sealed has none.
    if (out.info.kind == "combiner" || (out.info.kind == "share" && j.contains("combiner_key"))) {
      CS_ASSIGN_OR_RETURN(std::string key, HexField(j, "combiner_key", crypto_box_PUBLICKEYBYTES,
                                                    crypto_box_PUBLICKEYBYTES));
      out.info.combiner_key = HexEncode(key);
    }
  }
  CS_ASSIGN_OR_RETURN(uint64_t opslimit, UnsignedField(j, "opslimit"));
  CS_ASSIGN_OR_RETURN(uint64_t memlimit, UnsignedField(j, "memlimit"));
  CS_RETURN_IF_ERROR(CheckLimits(opslimit, memlimit, "KDF limits"));
  out.info.limits.opslimit = opslimit;
  out.info.limits.memlimit = static_cast<size_t>(memlimit);

  CS_ASSIGN_OR_RETURN(out.salt,
                      HexField(j, "salt", crypto_pwhash_SALTBYTES, crypto_pwhash_SALTBYTES));
  CS_ASSIGN_OR_RETURN(out.nonce, HexField(j, "nonce", crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                          crypto_aead_xchacha20poly1305_ietf_NPUBBYTES));
  CS_ASSIGN_OR_RETURN(out.info.fingerprint, StringField(j, "fingerprint"));
  if (!IsFingerprint(out.info.fingerprint)) {
    return Status::Corruption("field 'fingerprint' must be 64 lowercase hex digits");
  }
  CS_ASSIGN_OR_RETURN(
      out.sealed,
      HexField(j, "ciphertext", crypto_aead_xchacha20poly1305_ietf_ABYTES + 1, kMaxSealedBytes));
  return out;
}

// The keystore at `path`. A file that is not one of ours says so; one that is but cannot be
// read (cut short, an edited or missing field, limits out of range) is
// Corruption("PATH: damaged or truncated keystore (WHAT)"); neither quotes the file.
Result<ParsedKeystore> ParseKeystore(const std::string& path) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, kMaxFileBytes));
  Result<ParsedKeystore> parsed = ParseKeystoreText(text);
  if (parsed.ok()) return parsed;
  const Status& why = parsed.status();
  if (why.code() == Status::Code::kNotSupported) return why.WithContext(path);
  if (why.message().starts_with(kNotAKeystore)) {
    return Status::Corruption(path + ": " + why.message());
  }
  return Status::Corruption(path + ": damaged or truncated keystore (" + why.message() + ")");
}

// The header fields in their fixed order; for version 2 also the associated data.
nlohmann::ordered_json Header(const KeystoreInfo& info, const std::string& salt,
                              const std::string& nonce) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = info.version;
  if (info.version >= 2) j["kind"] = info.kind;
  j["kdf"] = kKdf;
  j["opslimit"] = info.limits.opslimit;
  j["memlimit"] = static_cast<uint64_t>(info.limits.memlimit);
  j["salt"] = HexEncode(salt);
  j["aead"] = kAead;
  j["nonce"] = HexEncode(nonce);
  j["fingerprint"] = info.fingerprint;
  if (info.version >= 2 && info.kind != "paillier") j["verify_key"] = info.verify_key;
  if (info.version >= 2 && info.kind == "share") {
    nlohmann::ordered_json share;
    share["index"] = info.share_index;
    share["threshold"] = info.share_threshold;
    share["parties"] = info.share_parties;
    j["share"] = std::move(share);
  }
  if (info.version >= 2 && !info.combiner_key.empty()) j["combiner_key"] = info.combiner_key;
  return j;
}

std::string AssociatedData(const ParsedKeystore& ks) {
  if (ks.info.version == 1) return ks.info.fingerprint;
  return Header(ks.info, ks.salt, ks.nonce).dump();
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

Status WriteSealedKeystore(const std::string& path, const KeystoreInfo& header,
                           std::string_view secret, const Passphrase& passphrase) {
  const std::string& what = path;
  CS_RETURN_IF_ERROR(CheckLimits(header.limits.opslimit, header.limits.memlimit, what));
  if (passphrase.view().empty()) return Status::InvalidArgument(what + ": empty passphrase");
  if (secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES > kMaxSealedBytes) {
    return Status::InvalidArgument(what + ": secret too large for a keystore");
  }
  ParsedKeystore ks;
  ks.info = header;
  ks.info.version = kVersion;
  ks.salt.assign(crypto_pwhash_SALTBYTES, '\0');
  randombytes_buf(ks.salt.data(), ks.salt.size());
  ks.nonce.assign(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(ks.nonce.data(), ks.nonce.size());
  SecureBuffer key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  CS_RETURN_IF_ERROR(DeriveKey(&key, passphrase, ks.salt, ks.info.limits, what));

  const std::string ad = AssociatedData(ks);
  std::string sealed(secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(sealed.data()), &sealed_len,
      reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(ks.nonce.data()), key.data());
  sealed.resize(sealed_len);

  nlohmann::ordered_json j = Header(ks.info, ks.salt, ks.nonce);
  j["ciphertext"] = HexEncode(sealed);
  // 0600: the sealed key invites an offline passphrase search, so nobody else may read it.
  return WriteFileAtomic(path, j.dump(2) + "\n", 0600);
}

Result<std::unique_ptr<SecureBuffer>> OpenSealedKeystore(const std::string& path,
                                                         const Passphrase& passphrase,
                                                         KeystoreInfo* header) {
  CS_ASSIGN_OR_RETURN(ParsedKeystore ks, ParseKeystore(path));
  SecureBuffer key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  CS_RETURN_IF_ERROR(DeriveKey(&key, passphrase, ks.salt, ks.info.limits, path));

  const std::string ad = AssociatedData(ks);
  auto plain =
      std::make_unique<SecureBuffer>(ks.sealed.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain->data(), &plain_len, nullptr,
          reinterpret_cast<const unsigned char*>(ks.sealed.data()), ks.sealed.size(),
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          reinterpret_cast<const unsigned char*>(ks.nonce.data()), key.data()) != 0) {
    // One message for every cause: telling them apart would help nobody but an attacker.
    return Status::InvalidArgument(path + ": " + kWrongPassphrase);
  }
  *header = ks.info;
  return plain;
}

Status WriteKeystore(const std::string& path, const SecretKey& sk, const Passphrase& passphrase,
                     KdfLimits limits) {
  // ReadKeystore refuses small keys, so never write one that could not be read back.
  if (static_cast<size_t>(sk.public_key().bits()) < kMinKeyBits) {
    return Status::InvalidArgument(path + ": refusing to store a key of " +
                                   std::to_string(sk.public_key().bits()) + " bits");
  }
  KeystoreInfo header;
  header.kind = "paillier";
  header.fingerprint = sk.public_key().Fingerprint();
  header.limits = limits;
  const WipedString json(SecretKeyToJsonWiped(sk));
  return WriteSealedKeystore(path, header, json, passphrase);
}

Status WriteOwnerKeystore(const std::string& path, const OwnerKey& key,
                          const Passphrase& passphrase, KdfLimits limits) {
  if (static_cast<size_t>(key.paillier.public_key().bits()) < kMinKeyBits) {
    return Status::InvalidArgument(path + ": refusing to store a key of " +
                                   std::to_string(key.paillier.public_key().bits()) + " bits");
  }
  KeystoreInfo header;
  header.kind = "owner";
  header.fingerprint = key.paillier.public_key().Fingerprint();
  header.verify_key = key.signing.verify_key().Hex();
  header.limits = limits;
  WipedString secret(key.signing.Secret());
  secret += SecretKeyToJsonWiped(key.paillier);
  return WriteSealedKeystore(path, header, secret, passphrase);
}

Status WriteSigningKeystore(const std::string& path, const SigningKey& key,
                            const std::string& fingerprint, const Passphrase& passphrase,
                            KdfLimits limits) {
  KeystoreInfo header;
  header.kind = "signing";
  header.fingerprint = fingerprint;
  header.verify_key = key.verify_key().Hex();
  header.limits = limits;
  return WriteSealedKeystore(path, header, key.Secret(), passphrase);
}

namespace {

Result<SecretKey> SealedSecretKey(const std::string& path, std::string_view json,
                                  const KeystoreInfo& info) {
  Result<SecretKey> sk = SecretKeyFromJson(json);
  // Authenticated but unusable means it was sealed that way: report, never echo the content.
  if (!sk.ok()) {
    return Status::Corruption(path + ": sealed key is invalid (" + sk.status().message() + ")");
  }
  if (sk->public_key().Fingerprint() != info.fingerprint) {
    return Status::Corruption(path + ": sealed key does not match the keystore fingerprint");
  }
  return sk;
}

Result<SigningKey> SealedSigningKey(const std::string& path, std::string_view secret,
                                    const KeystoreInfo& info) {
  if (secret.size() < crypto_sign_SECRETKEYBYTES) {
    return Status::Corruption(path + ": sealed signing key is too short");
  }
  auto key = SigningKey::FromSecret(secret.substr(0, crypto_sign_SECRETKEYBYTES));
  if (!key.ok()) return Status::Corruption(path + ": " + key.status().message());
  if (key->verify_key().Hex() != info.verify_key) {
    return Status::Corruption(path + ": sealed signing key does not match its verify key");
  }
  return key;
}

Status ExpectKind(const std::string& path, const KeystoreInfo& info,
                  std::initializer_list<const char*> kinds) {
  for (const char* k : kinds) {
    if (info.kind == k) return Status::OK();
  }
  return Status::InvalidArgument(path + ": a keystore of kind '" + info.kind +
                                 "' cannot be used here");
}

}  // namespace

Result<SecretKey> ReadKeystore(const std::string& path, const Passphrase& passphrase) {
  CS_ASSIGN_OR_RETURN(KeystoreInfo pre, ReadKeystoreInfo(path));
  CS_RETURN_IF_ERROR(ExpectKind(path, pre, {"paillier", "owner"}));
  KeystoreInfo info;
  CS_ASSIGN_OR_RETURN(auto plain, OpenSealedKeystore(path, passphrase, &info));
  std::string_view json = plain->view();
  if (info.kind == "owner") {
    if (json.size() < crypto_sign_SECRETKEYBYTES) {
      return Status::Corruption(path + ": sealed owner key is too short");
    }
    json.remove_prefix(crypto_sign_SECRETKEYBYTES);
  }
  return SealedSecretKey(path, json, info);
}

Result<OwnerKey> ReadOwnerKeystore(const std::string& path, const Passphrase& passphrase) {
  CS_ASSIGN_OR_RETURN(KeystoreInfo pre, ReadKeystoreInfo(path));
  if (pre.kind != "owner") {
    return Status::InvalidArgument(
        path + ": holds no owner signing key (kind '" + pre.kind +
        "'; made by an older keygen?): generate a new key with `cipherstat keygen`");
  }
  KeystoreInfo info;
  CS_ASSIGN_OR_RETURN(auto plain, OpenSealedKeystore(path, passphrase, &info));
  OwnerKey key;
  CS_ASSIGN_OR_RETURN(key.signing, SealedSigningKey(path, plain->view(), info));
  CS_ASSIGN_OR_RETURN(
      key.paillier, SealedSecretKey(path, plain->view().substr(crypto_sign_SECRETKEYBYTES), info));
  return key;
}

Result<SigningKey> ReadSigningKeystore(const std::string& path, const Passphrase& passphrase) {
  CS_ASSIGN_OR_RETURN(KeystoreInfo pre, ReadKeystoreInfo(path));
  CS_RETURN_IF_ERROR(ExpectKind(path, pre, {"owner", "signing"}));
  KeystoreInfo info;
  CS_ASSIGN_OR_RETURN(auto plain, OpenSealedKeystore(path, passphrase, &info));
  return SealedSigningKey(path, plain->view(), info);
}

Result<OwnerKey> GenerateOwnerKey(int bits) {
  OwnerKey key;
  CS_ASSIGN_OR_RETURN(key.paillier, GenerateKey(bits));
  key.signing = SigningKey::Generate();
  return key;
}

Status ChangeKeystorePassphrase(const std::string& path, const Passphrase& old_passphrase,
                                const Passphrase& new_passphrase, const KdfLimits* limits) {
  KeystoreInfo info;
  CS_ASSIGN_OR_RETURN(auto plain, OpenSealedKeystore(path, old_passphrase, &info));
  if (info.version == 1) {
    // A version-1 file authenticates only the fingerprint; re-sealing it as version 2 would
    // need its kind, which is "paillier" by definition.
    info.kind = "paillier";
  }
  if (limits != nullptr) info.limits = *limits;
  return WriteSealedKeystore(path, info, plain->view(), new_passphrase);
}

bool IsWrongPassphrase(const Status& status) {
  return status.code() == Status::Code::kInvalidArgument &&
         status.message().ends_with(std::string(": ") + kWrongPassphrase);
}

Result<KeystoreInfo> ReadKeystoreInfo(const std::string& path) {
  CS_ASSIGN_OR_RETURN(ParsedKeystore ks, ParseKeystore(path));
  return ks.info;
}

}  // namespace cipherstat::crypto
