#include "pipeline/encrypt.h"

#include <utility>

#include "crypto/hash.h"
#include "crypto/ifma.h"
#include "crypto/key_dir.h"
#include "pipeline/publish.h"
#include "store/dataset.h"
#include "store/signed_manifest.h"
#include "store/storage.h"
#include "util/file.h"
#include "util/json.h"

namespace cipherstat::pipeline {

Result<Encrypted> EncryptWithKeys(const Schema& schema, const EncryptKeys& keys,
                                  const std::string& csv, const std::string& out,
                                  const EncryptOptions& options, const audit::Trail& trail) {
  // Written on this machine (in place, or staged for an upload), then published.
  CS_ASSIGN_OR_RETURN(auto storage, StorageFor(out));
  CS_RETURN_IF_ERROR(CheckNewFolder(out));  // not inside a key folder or another dataset
  CS_ASSIGN_OR_RETURN(auto staged, storage->StageDataset(out));
  const std::string& local_out = staged->local_dir();
  EncryptOptions opts = options;
  opts.signer = keys.signer;
  Encrypted done;
  CS_ASSIGN_OR_RETURN(
      done.stats, EncryptCsv(schema, keys.sk ? nullptr : keys.pk, keys.sk, csv, local_out, opts));
  done.method = opts.mode == EncryptMode::kDjn ? "DJN short-exponent mode"
                : keys.sk != nullptr           ? "CRT with the secret key"
                                               : "public key";
  // Which arithmetic ran (crypto/ifma.h): the lanes are several times faster, and constant-time.
  done.method += done.stats.on_gpu                  ? ", on the GPU"
                 : crypto::IfmaModulus::Available() ? ", 8 AVX-512 IFMA lanes"
                                                    : ", GMP";
  if (!done.stats.gpu.empty()) done.method += " (no GPU: " + done.stats.gpu + ")";
  // The dataset's digest exists only now: it is recorded before the dataset is published, and
  // a dataset that cannot be recorded is removed.
  auto written = OpenDataset(local_out);
  Status audited = written.status();
  if (audited.ok()) {
    audited = trail.Record(audit::EventOf("encrypt")
                               .Key(written->manifest.key_fingerprint)
                               .Dataset(Sha256Hex(SignedManifestContent(written->manifest)))
                               .Detail("dataset " + out + " (" +
                                       std::to_string(written->manifest.record_count) +
                                       " records) from " + csv + " with " + keys.description));
  }
  if (!audited.ok()) {
    RemoveTree(local_out);
    return audited;
  }
  CS_RETURN_IF_ERROR(staged->Publish());
  return done;
}

Result<EncryptOptions::CleanCounts> ReadCleanCounts(const std::string& path) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 64u << 20));
  auto j = ParseJsonObject(text);
  if (!j.ok()) return j.status().WithContext(path + " (a clean report)");
  EncryptOptions::CleanCounts counts;
  for (auto [field, value] : {std::pair<const char*, uint64_t*>{"rows_read", &counts.rows_read},
                              {"rows_written", &counts.rows_written}}) {
    const auto it = j->find(field);
    if (it == j->end() || !it->is_number_unsigned()) {
      return Status::InvalidArgument(path + ": not a clean report (no \"" + std::string(field) +
                                     "\" count)");
    }
    *value = it->get<uint64_t>();
  }
  if (counts.rows_written > counts.rows_read) {
    return Status::InvalidArgument(path + ": writes more rows than it read");
  }
  return counts;
}

Result<Encrypted> EncryptDataset(const Schema& schema, const EncryptRequest& request,
                                 const PassphraseSource& passphrase, const audit::Trail& trail,
                                 const std::function<void(const std::string&)>& warn) {
  EncryptRequest r = request;
  if (!r.clean_report.empty()) {
    CS_ASSIGN_OR_RETURN(r.options.clean, ReadCleanCounts(r.clean_report));
  }
  EncryptKeys keys;
  keys.description = "key folder " + r.key_dir;
  const std::string signing_path = r.key_dir + "/signing.key";
  if (!r.public_only && PathExists(crypto::SecretKeyPath(r.key_dir))) {
    CS_ASSIGN_OR_RETURN(crypto::OwnerKey owner, OpenOwnerKey(r.key_dir, passphrase, trail));
    keys.signer = &owner.signing;
    if (r.options.mode == EncryptMode::kStandard) {
      keys.sk = &owner.paillier;
    } else {
      keys.pk = &owner.paillier.public_key();
    }
    return EncryptWithKeys(schema, keys, r.csv, r.out, r.options, trail);
  }
  CS_ASSIGN_OR_RETURN(crypto::PublicKey pk, crypto::ReadPublicKey(r.key_dir));
  keys.pk = &pk;
  if (!r.public_only && PathExists(signing_path)) {  // a threshold key: no whole secret key
    CS_ASSIGN_OR_RETURN(auto pass, passphrase("Passphrase for " + signing_path + ": "));
    Result<crypto::SigningKey> signing = crypto::ReadSigningKeystore(signing_path, *pass);
    if (!signing.ok()) {
      return RecordKeystoreFailure(trail, audit::EventOf("open key").Key(pk.Fingerprint()),
                                   signing.status());
    }
    keys.signer = &*signing;
    return EncryptWithKeys(schema, keys, r.csv, r.out, r.options, trail);
  }
  CS_ASSIGN_OR_RETURN(Encrypted done,
                      EncryptWithKeys(schema, keys, r.csv, r.out, r.options, trail));
  warn(r.out + " is not signed by the data owner; decrypting its results needs --allow-unsigned");
  return done;
}

}  // namespace cipherstat::pipeline
