#include "crypto/key_dir.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "util/file.h"

namespace cipherstat::crypto {

std::string PublicKeyPath(const std::string& dir) { return dir + "/public.key"; }
std::string SecretKeyPath(const std::string& dir) { return dir + "/secret.key"; }

Status WriteKeyDir(const std::string& dir, const OwnerKey& key, const Passphrase& passphrase,
                   KdfLimits limits) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError(dir + ": cannot create folder");
  }
  if (PathExists(SecretKeyPath(dir)) || PathExists(PublicKeyPath(dir))) {
    return Status::AlreadyExists(dir + ": already holds a key; refusing to overwrite it");
  }
  CS_RETURN_IF_ERROR(WriteOwnerKeystore(SecretKeyPath(dir), key, passphrase, limits));
  nlohmann::ordered_json pub =
      nlohmann::ordered_json::parse(PublicKeyToJson(key.paillier.public_key()));
  pub["owner_verify_key"] = key.signing.verify_key().Hex();
  return WriteFileAtomic(PublicKeyPath(dir), pub.dump() + "\n", kSharedFile);
}

Result<PublicKey> ReadPublicKey(const std::string& dir) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(PublicKeyPath(dir), 1 << 20));
  auto pk = PublicKeyFromJson(text);
  if (!pk.ok()) return pk.status().WithContext(PublicKeyPath(dir));
  return pk;
}

namespace {

Status CheckPublicKeyMatches(const std::string& dir, const SecretKey& sk) {
  if (PathExists(PublicKeyPath(dir))) {
    CS_ASSIGN_OR_RETURN(PublicKey pk, ReadPublicKey(dir));
    if (pk.Fingerprint() != sk.public_key().Fingerprint()) {
      return Status::InvalidArgument(dir + ": secret.key and public.key belong to different keys");
    }
  }
  return Status::OK();
}

}  // namespace

Result<SecretKey> ReadSecretKey(const std::string& dir, const Passphrase& passphrase) {
  if (!PathExists(SecretKeyPath(dir)))
    return Status::NotFound(SecretKeyPath(dir) + ": no secret key here");
  CS_ASSIGN_OR_RETURN(SecretKey sk, ReadKeystore(SecretKeyPath(dir), passphrase));
  CS_RETURN_IF_ERROR(CheckPublicKeyMatches(dir, sk));
  return sk;
}

Result<OwnerKey> ReadOwnerKey(const std::string& dir, const Passphrase& passphrase) {
  if (!PathExists(SecretKeyPath(dir)))
    return Status::NotFound(SecretKeyPath(dir) + ": no secret key here");
  CS_ASSIGN_OR_RETURN(OwnerKey key, ReadOwnerKeystore(SecretKeyPath(dir), passphrase));
  CS_RETURN_IF_ERROR(CheckPublicKeyMatches(dir, key.paillier));
  return key;
}

}  // namespace cipherstat::crypto
