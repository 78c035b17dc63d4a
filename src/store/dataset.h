// The encrypted dataset on storage the owner does not trust.
//
//   DATASET/manifest.json             catalog (encoding/catalog.h), slot layout, the owner's
//                                     schema sealed for the key holders, key fingerprint,
//                                     record count, and each segment's chunks with their
//                                     digests
//   DATASET/public.key                the public key (all the compute party needs)
//   DATASET/segments/part-NNNNN.pub   one line per record: its public values, tab-separated,
//                                     in schema order
//   DATASET/segments/part-NNNNN.cK    ciphertext column K: each record's K-th packed
//                                     ciphertext as pk.ciphertext_bytes() big-endian bytes,
//                                     record after record (fixed width, no separators)
// Columns in files of their own make a query's I/O proportional to the ciphertexts its plan
// reads, and fixed-width binary needs no decoding and lets any reader seek to a record.
// A segment is cut into chunks of kChunkRecords records; the manifest holds each chunk's
// public-file length and a digest per column, so that any range of chunks can be read and
// checked on its own (a Hadoop map task takes a range, not a whole segment) and a query hashes
// only the columns it reads. A chunk is checked whole before any of its records is used.
// A dataset is written into a temporary folder and renamed into place when complete.
//
// What the compute party learns from a dataset is exactly: the catalog (column names and
// kinds, which are public, how many level and bin slots a private column has), the slot
// layout (which ciphertext, offset and width hold what, by index), the public columns' values,
// the record count, segment and chunk sizes and digests, the creation time and the public key.
// The schema as the owner wrote it (bounds, decimals, level names, bin edges, derived rules)
// is sealed (crypto/seal.h) under the dataset's own Paillier key, so that exactly who can
// decrypt a result can decode it: the owner, or t custodians in `combine`. Manifest version 5;
// older manifests are refused with a request to re-encrypt.
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

// Records per chunk, the unit a reader reads and checks at once (the last chunk of a segment
// may be shorter). Readers take each chunk's size from the manifest, not from this constant.
inline constexpr uint64_t kChunkRecords = 4096;
// The most bytes of public values a chunk may hold (a manifest claiming more is corrupt).
inline constexpr uint64_t kMaxChunkPublicBytes = uint64_t{64} << 20;

// A chunk's place in its segment's files and its BLAKE2b-256 digests (hex).
struct ChunkInfo {
  uint64_t records = 0;
  uint64_t public_bytes = 0;                    // its lines in the .pub file, each '\n' included
  std::string public_digest;                    // of those bytes
  std::vector<std::string> ciphertext_digests;  // per column: of its records' fixed-width bytes
  bool operator==(const ChunkInfo&) const = default;
};

struct SegmentInfo {
  std::string name;  // files DATASET/segments/NAME.pub and NAME.c0, NAME.c1, ...
  uint64_t records = 0;
  std::vector<ChunkInfo> chunks;
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

// Manifest fields shared with the signed manifest (store/signed_manifest.h).
nlohmann::json SegmentsToJson(const std::vector<SegmentInfo>& segments);

// One record as a reader sees it: views into the chunk being read.
struct RecordView {
  std::vector<std::string_view> public_values;
  // Per ciphertext column, pk.ciphertext_bytes() big-endian bytes; empty for a column the
  // reader did not ask for.
  std::vector<std::string_view> ciphertexts;
};

// Splits one line of a .pub file into exactly `public_columns` values (none for an empty
// line when there are no public columns); Corruption saying what differs otherwise.
Status SplitPublicLine(std::string_view line, size_t public_columns,
                       std::vector<std::string_view>* values);

// Writes a dataset. Non-copyable. Destroying an uncommitted writer removes what it wrote.
class DatasetWriter {
 public:
  DatasetWriter();
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  // Fails with AlreadyExists if `path` exists.
  Status Open(const std::string& path, const crypto::PublicKey& pk, const Schema& schema,
              const Layout& layout, uint64_t records_per_segment);
  // Appends one record: its public values (schema order; no tabs or newlines) and its
  // ciphertexts, which carry tags made with the record's random `r` (RecordEncoder::Encode):
  // the writer counts the records of each public tuple and sums their randoms for the sealed
  // verifier.
  Status Append(const std::vector<std::string>& public_values,
                const std::vector<crypto::Ciphertext>& ciphertexts, TagValue r);
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
  void FinishChunk();
  Status FinishSegment();

  std::string final_path_, temp_path_;
  Manifest manifest_;
  uint64_t records_per_segment_ = 0;
  AtomicFile public_file_;
  std::vector<std::unique_ptr<AtomicFile>> ciphertext_files_;  // one per column
  bool segment_open_ = false;
  SegmentInfo current_;
  ChunkInfo chunk_;
  class ChunkHasher;
  std::unique_ptr<ChunkHasher> hasher_;
  size_t public_columns_ = 0, ciphertexts_ = 0;
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

// A ciphertext as result files and Streaming partials carry it: base64 of its fixed-width
// bytes.
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
  // The segment's .pub file (column -1) or ciphertext column `column`'s file.
  std::string SegmentFile(const SegmentInfo& s, int column) const;
};
// Reads the manifest, key and signature through the storage that serves `path` (configured
// by `config`); segments are read later, as a query streams them.
Result<Dataset> OpenDataset(const std::string& path, const StorageConfig& config = {});

// Reads chunks [first_chunk, first_chunk + chunk_count) of a segment from the dataset's
// storage, reading the .pub file and the files of the ciphertext columns `ciphertexts` only.
// Each chunk is checked against the manifest (sizes, line count, the digests of the public
// values and of the columns read) before `use` sees any of its records, in order. Errors name
// the file and chunk, or for a malformed line its record number in the segment.
Status ReadChunks(const Dataset& dataset, const SegmentInfo& segment, size_t first_chunk,
                  size_t chunk_count, const std::vector<int>& ciphertexts,
                  const std::function<Status(const RecordView&)>& use);

// Checks every file of every segment against the manifest, their sizes included
// (`cipherstat verify`); a query checks only the chunks and columns it reads. `progress` gets the
// records checked so far after each segment.
Status VerifyDataset(const Dataset& dataset, const std::function<void(uint64_t)>& progress);

}  // namespace cipherstat
