#include "pipeline/keys.h"

#include <cstdio>

#include "crypto/hash.h"
#include "crypto/key_dir.h"
#include "crypto/threshold_files.h"
#include "pipeline/release.h"
#include "util/file.h"

namespace cipherstat::pipeline {

Status RecordKeystoreFailure(const audit::Trail& trail, audit::Event event, const Status& failure) {
  if (crypto::IsWrongPassphrase(failure)) {
    event.action = "failed passphrase";
  } else if (failure.code() == Status::Code::kCorruption) {
    event.action = "corrupt keystore";
  } else {
    return failure;
  }
  return trail.RecordFailure(std::move(event), failure);
}

Result<crypto::OwnerKey> OpenOwnerKey(const std::string& dir, const PassphraseSource& passphrase,
                                      const audit::Trail& trail) {
  // A damaged keystore is reported before any passphrase is asked for.
  if (const std::string path = crypto::SecretKeyPath(dir); PathExists(path)) {
    auto info = crypto::ReadKeystoreInfo(path);
    if (!info.ok()) {
      return RecordKeystoreFailure(trail, audit::EventOf("open key").KeyDir(dir), info.status());
    }
  }
  CS_ASSIGN_OR_RETURN(auto pass, passphrase("Passphrase for " + crypto::SecretKeyPath(dir) + ": "));
  auto owner = crypto::ReadOwnerKey(dir, *pass);
  if (!owner.ok()) {
    return RecordKeystoreFailure(trail, audit::EventOf("open key").KeyDir(dir), owner.status());
  }
  return owner;
}

Result<crypto::OwnerKey> CreateOwnerKey(const std::string& dir, int bits,
                                        const crypto::Passphrase& passphrase,
                                        crypto::KdfLimits limits, const audit::Trail& trail) {
  CS_RETURN_IF_ERROR(CheckNewFolder(dir));  // not inside another key or a dataset
  CS_ASSIGN_OR_RETURN(crypto::OwnerKey key, crypto::GenerateOwnerKey(bits));
  CS_RETURN_IF_ERROR(trail.Record(audit::EventOf("keygen")
                                      .Key(key.paillier.public_key().Fingerprint())
                                      .Detail("key folder " + dir)));
  CS_RETURN_IF_ERROR(crypto::WriteKeyDir(dir, key, passphrase, limits));
  return key;
}

Result<CreatedThresholdKey> CreateThresholdKey(
    const std::string& dir, const ThresholdKeygen& options, const crypto::Passphrase& owner,
    const std::vector<std::unique_ptr<crypto::Passphrase>>& share_passphrases,
    const audit::Trail& trail) {
  if (PathExists(dir)) {
    return Status::AlreadyExists(dir + ": already exists; refusing to overwrite a key");
  }
  CS_RETURN_IF_ERROR(CheckNewFolder(dir));  // not inside another key or a dataset
  CS_ASSIGN_OR_RETURN(
      crypto::ThresholdKey key,
      crypto::GenerateThresholdKey(options.bits, options.custodians, options.threshold));
  const crypto::SigningKey signing = crypto::SigningKey::Generate();
  const crypto::CombinerKey combiner = crypto::CombinerKey::Generate();
  CS_RETURN_IF_ERROR(trail.Record(
      audit::EventOf("keygen")
          .Key(key.pub.pk.Fingerprint())
          .Detail("threshold key folder " + dir + ": any " + std::to_string(options.threshold) +
                  " of " + std::to_string(options.custodians) + " custodians decrypt")));
  std::vector<const crypto::Passphrase*> shares;
  for (const auto& p : share_passphrases) shares.push_back(p.get());
  CS_RETURN_IF_ERROR(
      crypto::WriteThresholdKeyDir(dir, key, signing, combiner, owner, shares, options.limits));
  return CreatedThresholdKey{key.pub.pk.Fingerprint(), signing.verify_key().Hex(),
                             combiner.public_key().Hex()};
}

Result<SharedDecryption> DecryptShare(const std::string& share_path, const std::string& result_path,
                                      const std::string& out, bool force, bool allow_unsigned,
                                      const PassphraseSource& passphrase, const audit::Trail& trail,
                                      const std::function<void(size_t, size_t)>& progress) {
  CS_RETURN_IF_ERROR(CheckOutput(out, force));  // before the passphrase and the work
  auto read_info = crypto::ReadKeystoreInfo(share_path);
  if (!read_info.ok()) {
    return RecordKeystoreFailure(trail, audit::EventOf("open key share"), read_info.status());
  }
  const crypto::KeystoreInfo& info = *read_info;
  CS_RETURN_IF_ERROR(crypto::CheckShareKeystore(share_path, info));
  CS_ASSIGN_OR_RETURN(auto pass, passphrase("Passphrase for " + share_path + ": "));
  auto share = crypto::ReadShareKeystore(share_path, *pass);
  if (!share.ok()) {
    return RecordKeystoreFailure(trail, audit::EventOf("open key share").Key(info.fingerprint),
                                 share.status());
  }
  const crypto::OpenedShare& opened = *share;
  CS_ASSIGN_OR_RETURN(LoadedResult loaded, ReadResult(result_path, opened.share.pk));
  // A custodian helps only with results over datasets its owner signed.
  CS_ASSIGN_OR_RETURN(DatasetFacts facts, ResultFacts(loaded.result, opened.owner, allow_unsigned));
  // Nothing is decrypted for a result that is not the shape its query gives (query/verify.h):
  // raw records posing as groups, other ciphertexts, another query's groups.
  CS_RETURN_IF_ERROR(CheckResultShape(facts, loaded.result).status());
  crypto::PartialFile file;
  file.result_sha256 = loaded.sha256;
  file.key_fingerprint = loaded.result.key_fingerprint;
  file.custodian = opened.share.index;
  CS_ASSIGN_OR_RETURN(const std::vector<crypto::Ciphertext> sums,
                      CiphertextsToDecrypt(opened.share.pk, facts, loaded.result));
  for (const crypto::Ciphertext& c : sums) {
    file.partials.push_back(crypto::PartialDecrypt(opened.share, c));
    if (progress) progress(file.partials.size(), sums.size());
  }
  // Sealed to the combiner the dealer named in the share keystore: useless to anyone else.
  const std::string text = crypto::SealPartialFile(file, opened.combiner);
  CS_RETURN_IF_ERROR(Publish(
      trail,
      audit::EventOf("decrypt-share")
          .Key(loaded.result.key_fingerprint)
          .Dataset(facts.content_sha256)
          .ResultDigest(loaded.sha256)
          .Query(loaded.result.sql)
          .Detail("custodian " + std::to_string(opened.share.index) + " partial decryption to " +
                  out + ", sealed to combiner " + opened.combiner.Hex().substr(0, 16) +
                  "… (sha256 " + Sha256Hex(text) + ")"),
      text, out, force));
  return SharedDecryption{opened.share.index, sums.size()};
}

Result<crypto::CombinerKey> OpenCombinerKey(const std::string& dir,
                                            const crypto::ThresholdFolder& folder,
                                            const PassphraseSource& passphrase,
                                            const audit::Trail& trail) {
  const std::string path = dir + "/" + crypto::kCombinerFile;
  const std::string fingerprint = folder.pub.pk.Fingerprint();
  if (!PathExists(path)) {
    return Status::NotFound(path +
                            ": no such file; partial decryptions are sealed to the combiner the "
                            "owner designated, and only whoever holds this key's " +
                            crypto::kCombinerFile + " can combine them");
  }
  const audit::Event event = audit::EventOf("open combiner key").Key(fingerprint);
  // A damaged keystore, or one of another kind or key, is reported before any passphrase is
  // asked for.
  auto info = crypto::ReadKeystoreInfo(path);
  if (!info.ok()) return RecordKeystoreFailure(trail, event, info.status());
  CS_RETURN_IF_ERROR(crypto::CheckCombinerKeystore(path, *info));
  if (info->fingerprint != fingerprint) {
    return Status::InvalidArgument(path + ": the combiner key of another threshold key (" +
                                   info->fingerprint.substr(0, 16) + "…, this folder's is " +
                                   fingerprint.substr(0, 16) + "…)");
  }
  CS_ASSIGN_OR_RETURN(auto pass, passphrase("Passphrase for " + path + ": "));
  auto key = crypto::ReadCombinerKeystore(path, *pass);
  if (!key.ok()) return RecordKeystoreFailure(trail, event, key.status());
  return key;
}

}  // namespace cipherstat::pipeline
