// The encrypted dataset on storage the owner does not trust.
//
//   DATASET/manifest.json        catalog (encoding/catalog.h), slot layout, the owner's
//                                schema sealed for the key holders, key fingerprint, record
//                                count, and for each segment its record count, size and
//                                column digests
//   DATASET/public.key           the public key (all the compute party needs)
//   DATASET/segments/part-NNNNN  one record per line:
//                                public values (tab-separated, schema order), then one
//                                base64 ciphertext per packed plaintext, tab-separated
// Text lines keep segments splittable for Hadoop; the manifest's digests catch tampering.
// The digests are per column (see SegmentDigests) so that a query checks every byte it uses
// without hashing the ciphertexts it skips: hashing whole lines cost more than the sums.
// A dataset is written into a temporary folder and renamed into place when complete.
//
// What the compute party learns from a dataset is exactly: the catalog (column names and
// kinds, which are public, how many level and bin slots a private column has), the slot
// layout (which ciphertext, offset and width hold what, by index), the public columns' values,
// the record count, segment sizes and digests, the creation time and the public key. The
// schema as the owner wrote it (bounds, decimals, level names, bin edges, derived rules) is
// sealed (crypto/seal.h) under the dataset's own Paillier key, so that exactly who can decrypt
// a result can decode it: the owner, or t custodians in `combine`. Manifest version 3; older
// manifests carried that schema in the clear and are refused with a request to re-encrypt.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/paillier.h"
#include "crypto/seal.h"
#include "encoding/catalog.h"
#include "encoding/layout.h"
#include "encoding/schema.h"
#include "store/storage.h"
#include "util/file.h"
#include "util/status.h"

namespace cipherstat {

// BLAKE2b-256 digests (hex) of a segment's columns. Column "public" is each line's public
// values with the tabs between them; ciphertext column i is each line's i-th base64 field.
// A column's digest covers its fields line after line, each followed by '\n', so it also
// fixes the line count and the order.
struct SegmentDigests {
  std::string public_values;
  std::vector<std::string> ciphertexts;  // one per packed ciphertext; "" if not hashed
  bool operator==(const SegmentDigests&) const = default;
};

struct SegmentInfo {
  std::string name;  // relative to DATASET/segments/
  uint64_t records = 0;
  uint64_t bytes = 0;
  SegmentDigests digests;
};

// One combination of public values and the number of records that have it. The manifest
// lists every combination present, sorted: the owner's map of what any WHERE and GROUP BY on
// public columns selects (query/verify.h). It tells the compute party nothing new: it holds
// every record's public values.
struct PublicTuple {
  std::vector<std::string> values;  // public columns in schema order; "" is missing
  uint64_t records = 0;
  bool operator==(const PublicTuple&) const = default;
};

// The smallest cell a release shows unless the owner's signed policy says otherwise.
inline constexpr uint64_t kDefaultMinCell = 11;

struct Manifest {
  std::string name;
  std::string dataset_id;  // 32 random hex digits drawn at encryption: which dataset this is
  std::string created_utc;
  std::string key_fingerprint;
  uint64_t record_count = 0;
  // Rows of the raw file clean read (record_count of them kept), when encrypt was given the
  // clean report; absent otherwise.
  std::optional<uint64_t> rows_read;
  Catalog catalog;
  std::string layout_json;
  // The owner's schema and its sum verifier (OwnerSecrets), sealed: SealOwnerSecrets.
  crypto::Sealed sealed_schema;
  std::vector<PublicTuple> public_tuples;
  // The owner's release policy: cells from fewer records are hidden, whoever decrypts.
  uint64_t min_cell = kDefaultMinCell;
  std::vector<SegmentInfo> segments;
};

// What the manifest seals for whoever decrypts its results.
struct OwnerSecrets {
  Schema schema;
  TagKey tag_key;  // encoding/authenticator.h
  // Σ r over the records of each public tuple, in Manifest::public_tuples order.
  std::vector<TagValue> tuple_randoms;
};

// Seals the owner's schema and verifier for the holders of `pk`'s secret key; the associated
// data binds them to the key's fingerprint.
crypto::Sealed SealOwnerSecrets(const crypto::PublicKey& pk, const OwnerSecrets& secrets);
// Opens them with the seal's key, as decrypted from crypto::SealedKey, and checks that the
// schema is the one behind `catalog` and `layout_json` and that there is one random per public
// tuple (`tuples`); whatever else the seal says is Corruption.
Result<OwnerSecrets> OpenOwnerSecrets(const crypto::PublicKey& pk, const crypto::Sealed& sealed,
                                      const crypto::BigInt& key, const Catalog& catalog,
                                      const std::string& layout_json, size_t tuples);
// Refuses a file of an older format version with what to do about it; `status` is what
// ParseFormat said.
Status RefuseOldFormat(Status status, const std::string& what);

std::string ManifestToJson(const Manifest& manifest);
// The public tuples as JSON ([[values..., records], ...]) and back; parsing checks each has
// `public_columns` values and at least one record, that they are sorted and distinct, and that
// their records add up to `record_count` (Corruption naming `source` otherwise).
nlohmann::json PublicTuplesToJson(const std::vector<PublicTuple>& tuples);
Result<std::vector<PublicTuple>> PublicTuplesFromJson(const nlohmann::json& json,
                                                      size_t public_columns, uint64_t record_count,
                                                      const std::string& source);
Result<Manifest> ManifestFromJson(const std::string& json);

// A parsed view of a record line: public values and undecoded ciphertext fields, as views
// into the line.
struct RecordLine {
  std::vector<std::string_view> public_values;
  std::vector<std::string_view> ciphertext_fields;  // base64
};
// Splits a line; errors name what is wrong ("expected 3 public values and 7 ciphertexts").
Status SplitRecordLine(std::string_view line, size_t public_columns, size_t ciphertexts,
                       RecordLine* out);

// Hashes the public column and the chosen ciphertext columns of a segment, line by line.
class ColumnHasher {
 public:
  // `hashed`: indices of the ciphertext columns to hash, out of `ciphertexts` per line.
  ColumnHasher(size_t ciphertexts, const std::vector<int>& hashed);
  void Add(const RecordLine& line);
  SegmentDigests Finish();

 private:
  struct alignas(64) State {
    unsigned char bytes[512];
  };
  void Update(State* state, std::string_view field);
  std::string FinishHex(State* state);

  State public_;
  std::vector<State> ciphertexts_;
  std::vector<int> hashed_;
};

// Checks a segment against its manifest entry as its lines stream past: the record count,
// the size and the digests of the columns a reader uses (the public column and `read`).
// Errors say what differs; the caller adds which file.
class SegmentVerifier {
 public:
  SegmentVerifier(const SegmentInfo& segment, size_t public_columns, size_t ciphertexts,
                  const std::vector<int>& read);
  // Splits one line (without its '\n') into `fields` and hashes the columns read.
  Status AddLine(std::string_view line, RecordLine* fields);
  // After the last line.
  Status Finish();
  uint64_t lines() const { return lines_; }

 private:
  const SegmentInfo& segment_;
  size_t public_columns_, ciphertexts_;
  std::vector<int> read_;
  ColumnHasher hasher_;
  uint64_t lines_ = 0, bytes_ = 0;
};

// Writes a dataset. Non-copyable. Destroying an uncommitted writer removes what it wrote.
class DatasetWriter {
 public:
  DatasetWriter() = default;
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Fails with AlreadyExists if `path` exists.
  Status Open(const std::string& path, const crypto::PublicKey& pk, const Schema& schema,
              const Layout& layout, uint64_t records_per_segment);
  // Appends one encoded record line (without '\n'), see FormatRecordLine, whose ciphertexts
  // carry tags made with the record's random `r` (RecordEncoder::Encode): the writer counts the
  // records of each public tuple and sums their randoms for the sealed verifier.
  Status AppendLine(std::string_view line, TagValue r);
  // Called by Commit with the final manifest; its text becomes DATASET/manifest.sig (the
  // owner's signature, store/signed_manifest.h). Without a signer the dataset is unsigned.
  void SetSigner(std::function<std::string(const Manifest&)> signer) {
    signer_ = std::move(signer);
  }
  void SetRowsRead(uint64_t rows) { manifest_.rows_read = rows; }
  void SetMinCell(uint64_t min_cell) { manifest_.min_cell = min_cell; }
  // The key the records are tagged with, sealed with the schema at Commit (required).
  void SetTagKey(const TagKey& key) { tag_key_.emplace(key); }
  // Writes the manifest (and its signature) and renames the folder into place.
  Status Commit();
  uint64_t records() const { return manifest_.record_count; }

 private:
  Status StartSegment();
  Status FinishSegment();

  std::string final_path_, temp_path_;
  Manifest manifest_;
  uint64_t records_per_segment_ = 0;
  AtomicFile segment_;
  bool segment_open_ = false;
  SegmentInfo current_;
  size_t public_columns_ = 0, ciphertexts_ = 0;
  std::unique_ptr<ColumnHasher> hasher_;
  RecordLine fields_;
  bool committed_ = false;
  std::function<std::string(const Manifest&)> signer_;
  const crypto::PublicKey* pk_ = nullptr;  // Open's, which the caller keeps until Commit
  Schema schema_;
  std::optional<TagKey> tag_key_;
  struct TupleSums {
    uint64_t records = 0;
    TagValue randoms = 0;
  };
  std::map<std::vector<std::string>, TupleSums> tuples_;
};

// Formats / parses one record line.
std::string FormatRecordLine(const crypto::PublicKey& pk,
                             const std::vector<std::string>& public_values,
                             const std::vector<crypto::Ciphertext>& ciphertexts);

std::string EncodeCiphertextField(const crypto::PublicKey& pk, const crypto::Ciphertext& c);
Result<crypto::Ciphertext> DecodeCiphertextField(const crypto::PublicKey& pk,
                                                 std::string_view base64);

// An opened dataset: manifest and public key checked against each other. `layout` is the
// compute party's (Layout::FromJson): slots, no codecs.
struct Dataset {
  std::string path;                        // local folder or URI (store/storage.h)
  std::shared_ptr<const Storage> storage;  // serves `path`; segments are streamed from it
  Manifest manifest;
  std::string manifest_json;    // the manifest file's bytes
  std::string manifest_sha256;  // of manifest_json
  crypto::PublicKey public_key;
  Layout layout;
  std::string manifest_signature;  // DATASET/manifest.sig verbatim; empty when unsigned
  std::string SegmentPath(const SegmentInfo& s) const { return path + "/segments/" + s.name; }
};
// Reads the manifest, key and signature through the storage that serves `path` (configured
// by `config`); segments are read later, as a query streams them.
Result<Dataset> OpenDataset(const std::string& path, const StorageConfig& config = {});

// Streams a segment from the dataset's storage: checks its size, splits each line, hands it to
// `use`, and checks the line count and the digests of the public column and `ciphertexts`
// (store/dataset.h above). Errors name the segment file and, for a line, its number.
Status ReadSegment(const Dataset& dataset, const SegmentInfo& segment,
                   const std::vector<int>& ciphertexts,
                   const std::function<Status(const RecordLine&)>& use);

// Checks every column of every segment against the manifest (`cipherstat verify`); a query
// checks only what it reads. `progress` gets the records checked so far after each segment.
Status VerifyDataset(const Dataset& dataset, const std::function<void(uint64_t)>& progress);

}  // namespace cipherstat
