// The encrypted result of a query: what the compute party hands back to the owner.
// JSON: {"format":"cipherstat-result","version":2,"sql":..., "dataset":{name, record_count,
//   key_fingerprint, manifest_sha256}, "catalog":{...}, "layout":{...}, "sealed_schema":{...},
//   "engine":"local",
//   "counters":{"records_read":N,"records_matched":N},
//   "ciphertexts":[3,7], "groups":[{"key":["Kampala"],"records":N,"sums":["<b64>",...]}],
//   "owner_manifest":{manifest.sig} or "manifest_content":"..." (unsigned datasets)}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "crypto/seal.h"
#include "encoding/catalog.h"
#include "util/status.h"

namespace cipherstat {

struct EncryptedGroup {
  std::vector<std::string> key;          // public GROUP BY values; "" is NULL
  uint64_t records = 0;                  // records the compute party summed into this group
  std::vector<crypto::Ciphertext> sums;  // one per plan ciphertext index
};

struct EncryptedResult {
  std::string sql;
  std::string dataset_name;
  uint64_t dataset_records = 0;
  std::string key_fingerprint;
  std::string manifest_sha256;
  Catalog catalog;  // the dataset's, copied from its manifest like the two below
  std::string layout_json;
  crypto::Sealed sealed_schema;
  std::string engine;
  uint64_t records_read = 0;
  uint64_t records_matched = 0;
  std::vector<int> ciphertexts;
  std::vector<EncryptedGroup> groups;  // sorted by key
  // The dataset's manifest.sig, copied verbatim (JSON field "owner_manifest"); empty for an
  // unsigned dataset. The decrypting party decodes with what it signs, not with the fields
  // above (see store/signed_manifest.h).
  std::string manifest_signature;
  // For an unsigned dataset only: its manifest's canonical content (SignedManifestContent),
  // copied as the compute party read it (JSON field "manifest_content"), so that --allow-unsigned
  // decodes with the same facts as a signed one would, unauthenticated.
  std::string manifest_content;
};

std::string EncryptedResultToJson(const crypto::PublicKey& pk, const EncryptedResult& result);
// Parses and validates every ciphertext against `pk` (outside Z*_{n²} → Corruption).
// With pk == nullptr, reads only the header fields (to find the key fingerprint).
Result<EncryptedResult> EncryptedResultFromJson(const std::string& json,
                                                const crypto::PublicKey* pk);

}  // namespace cipherstat
