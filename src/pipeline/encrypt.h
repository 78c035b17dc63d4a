// Encrypting a dataset: the owner's sequence, written once.
//
//   open the key material (and audit a wrong passphrase) → encrypt the clean CSV into a
//   dataset folder on this machine, signed by the owner → audit with the manifest's digest →
//   publish it to its storage (in place, or uploaded and renamed into place)
#pragma once

#include <string>

#include "audit/trail.h"
#include "crypto/keystore.h"
#include "encoding/schema.h"
#include "pipeline/keys.h"
#include "store/encrypt.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// The key material an encryption uses: a public key, or the secret key's CRT fast path, and
// the owner's signing key (none: an unsigned dataset).
struct EncryptKeys {
  const crypto::PublicKey* pk = nullptr;
  const crypto::SecretKey* sk = nullptr;
  const crypto::SigningKey* signer = nullptr;
  std::string description;  // for the audit entry: "key folder keys", "the demo key"
};

struct Encrypted {
  EncryptStats stats;
  std::string method;  // "CRT with the secret key", "public key", "DJN short-exponent mode"
};

// Encrypts `csv` into the dataset `out` (a folder or URI that must not exist) with `keys`.
Result<Encrypted> EncryptWithKeys(const Schema& schema, const EncryptKeys& keys,
                                  const std::string& csv, const std::string& out,
                                  const EncryptOptions& options, const audit::Trail& trail);

struct EncryptRequest {
  std::string key_dir;  // DIR/secret.key (owner), DIR/signing.key (threshold) or public only
  std::string csv;
  std::string out;
  bool public_only = false;  // no passphrase; the dataset is not signed
  // `clean --report`'s file for `csv`: its counts go into the signed manifest. Empty: none.
  std::string clean_report;
  EncryptOptions options;
};

// The rows_read and rows_written of a clean report file (data/clean.h CleanReport::ToJson).
Result<EncryptOptions::CleanCounts> ReadCleanCounts(const std::string& path);
// `cipherstat encrypt`: opens what the key folder holds (the owner's key is opened even in DJN
// mode, which encrypts with the public key, because it signs the manifest), then
// EncryptWithKeys. `warn` hears that a public-only dataset is unsigned.
Result<Encrypted> EncryptDataset(const Schema& schema, const EncryptRequest& request,
                                 const PassphraseSource& passphrase, const audit::Trail& trail,
                                 const std::function<void(const std::string&)>& warn);

}  // namespace cipherstat::pipeline
