// The owner's signature over a dataset's manifest: what binds the facts a result is decoded
// with (schema, slot layout, key fingerprint, record count) to the data owner.
//
// DATASET/manifest.sig (JSON): {"format":"cipherstat-manifest-signature","version":1,
//   "verify_key":"<hex>","content":"<signed text>","signature":"<hex>"}
// "content" is the canonical manifest (compact JSON: format tag, name, dataset identity and
// creation time, key fingerprint, record count, release policy, catalog, layout, sealed schema
// and verifier, public tuples, and every segment's records, bytes and column digests), signed
// with
// Ed25519 as bytes. A verifier parses the very bytes it verified, so no re-canonicalisation is
// needed. The compute party copies the file verbatim into every result (store/result_file.h); the
// decrypting party verifies it with the verify key from its own authenticated keystore or
// key share and decodes with the signed facts, never with the compute party's copies.
//
// `encrypt --public-only` has no signing key and writes no manifest.sig: its results are
// refused by decrypt/combine unless the user passes --allow-unsigned (then the compute
// party's unauthenticated catalog, sealed schema and count are used, and the output says so).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/signing.h"
#include "encoding/schema.h"
#include "store/dataset.h"
#include "util/status.h"

namespace cipherstat {

inline constexpr char kManifestSignatureFile[] = "manifest.sig";

// What the owner vouches for about a dataset.
struct DatasetFacts {
  std::string name;
  std::string dataset_id;
  std::string created_utc;
  std::string content_sha256;  // SHA-256 of the signed content: what audit entries name
  std::string key_fingerprint;
  uint64_t record_count = 0;
  uint64_t min_cell = kDefaultMinCell;  // the owner's release policy
  std::optional<uint64_t> rows_read;    // raw rows clean read, when the owner recorded them
  Catalog catalog;
  std::string layout_json;
  crypto::Sealed sealed_schema;  // opened by whoever decrypts (OpenOwnerSecrets)
  std::vector<PublicTuple> public_tuples;
  bool signed_by_owner = false;  // false only for the explicit --allow-unsigned path
};

// The canonical signed text of `manifest` (deterministic for equal manifests).
std::string SignedManifestContent(const Manifest& manifest);
// The manifest.sig file for `manifest`.
std::string SignManifest(const Manifest& manifest, const crypto::SigningKey& key);
// Parses a manifest.sig file, checks it names `owner` and verifies the signature, then returns
// the signed facts. Errors are Corruption/InvalidArgument naming what is wrong.
Result<DatasetFacts> VerifyManifestSignature(std::string_view signature_json,
                                             const crypto::VerifyKey& owner);
// Parses canonical manifest content (SignedManifestContent) without any signature: the facts
// of an unsigned dataset, which the compute party copies into its results as they are.
// signed_by_owner is false.
Result<DatasetFacts> ParseManifestContent(std::string_view content);

// The compute side's check, when a dataset is opened for a query or `verify`, that
// manifest.json is the manifest its owner signed: parses manifest.sig, verifies its signature
// under the verify key the file itself names, and requires the signed content to equal
// SignedManifestContent(manifest) byte for byte. A mismatch is Corruption "manifest.json
// differs from the owner's signed manifest.sig (...)" naming the first differing field.
// The compute party may hold no copy of the owner's key, so this catches a mismatch (another
// dataset's manifest.json and segments beside this manifest.sig, an edited record count) and
// naive substitution, not a forger who re-signs with a key of their own: the owner's decrypt,
// which verifies with its own key (VerifyManifestSignature), remains the authority.
Status CheckManifestAgainstSignature(const Manifest& manifest, std::string_view signature_json);

}  // namespace cipherstat
