#include "store/dataset.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <numeric>

#include "crypto/hash.h"
#include "store/json_checksum.h"
#include "store/signed_manifest.h"
#include "util/json.h"
#include "util/time.h"

namespace cipherstat {

namespace {

constexpr const char* kManifestFormat = "cipherstat-dataset";
// 1 had a SHA-256 per segment file; 2 carried the owner's schema in the clear; 3 had no
// tags (encoding/authenticator.h), public tuples, dataset identity or release policy; 4 kept
// each segment as text lines of base64 ciphertexts, with one digest per column.
constexpr int kManifestVersion = 5;
constexpr char kSealedContext[] = "cipherstat sealed schema and verifier v2, key ";

std::string HexOf(const unsigned char* bytes, size_t n) {
  std::string hex(n * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, n);
  hex.pop_back();
  return hex;
}

// 0, 1, ..., ciphertexts − 1: every ciphertext column of a record.
std::vector<int> AllCiphertextColumns(size_t ciphertexts) {
  std::vector<int> all(ciphertexts);
  std::iota(all.begin(), all.end(), 0);
  return all;
}

}  // namespace

crypto::Sealed SealOwnerSecrets(const crypto::PublicKey& pk, const OwnerSecrets& secrets) {
  nlohmann::json randoms = nlohmann::json::array();
  for (TagValue r : secrets.tuple_randoms) randoms.push_back(TagValueToHex(r));
  nlohmann::json j = {{"schema", nlohmann::json::parse(SchemaToJson(secrets.schema))},
                      {"tag_key", secrets.tag_key.Hex()},
                      {"tuple_randoms", std::move(randoms)}};
  // Padded with spaces (valid JSON whitespace) to a multiple of 4 KiB, so that the size of
  // the box does not tell how long the level names are.
  std::string text = j.dump();
  text.resize((text.size() / 4096 + 1) * 4096, ' ');
  crypto::Sealed sealed = crypto::Seal(pk, text, kSealedContext + pk.Fingerprint());
  sodium_memzero(text.data(), text.size());
  return sealed;
}

Result<OwnerSecrets> OpenOwnerSecrets(const crypto::PublicKey& pk, const crypto::Sealed& sealed,
                                      const crypto::BigInt& key, const Catalog& catalog,
                                      const std::string& layout_json, size_t tuples) {
  const std::string what = "sealed schema";
  auto text = crypto::Open(sealed, key, kSealedContext + pk.Fingerprint());
  if (!text.ok()) return text.status().WithContext(what);
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  sodium_memzero(text->data(), text->size());
  if (!j.is_object() || !j.contains("schema") || !j.contains("tag_key") ||
      !j.contains("tuple_randoms") || !j.at("tuple_randoms").is_array() ||
      !j.at("tag_key").is_string()) {
    return Status::Corruption(what + ": not a schema and verifier");
  }
  auto schema = SchemaFromJson(j.at("schema").dump());
  if (!schema.ok()) return Status::Corruption(what + ": " + schema.status().message());
  if (CatalogOf(*schema) != catalog) {
    return Status::Corruption(what + ": does not match the dataset's catalog");
  }
  CS_ASSIGN_OR_RETURN(Layout layout, Layout::Build(*schema, static_cast<int>(pk.plaintext_bits())));
  CS_RETURN_IF_ERROR(layout.CheckMatches(layout_json).WithContext(what));
  auto tag_key = TagKey::FromHex(j.at("tag_key").get<std::string>());
  if (!tag_key.ok()) return tag_key.status().WithContext(what);
  std::vector<TagValue> randoms;
  for (const nlohmann::json& r : j.at("tuple_randoms")) {
    if (!r.is_string()) return Status::Corruption(what + ": a tuple random is not a string");
    CS_ASSIGN_OR_RETURN(TagValue value, TagValueFromHex(r.get<std::string>(), what));
    randoms.push_back(value);
  }
  if (randoms.size() != tuples) {
    return Status::Corruption(what + ": " + std::to_string(randoms.size()) + " tuple randoms for " +
                              std::to_string(tuples) + " public tuples");
  }
  return OwnerSecrets{std::move(schema).value(), *tag_key, std::move(randoms)};
}

Status RefuseOldFormat(Status status, const std::string& what) {
  if (status.code() != Status::Code::kNotSupported) return status;
  return Status::NotSupported(
      what + ": " + status.message() +
      "; it was written by an older cipherstat, whose datasets showed the compute party the "
      "schema (version 2), carried no tags for the owner to verify results with (version 3) or "
      "stored ciphertexts as base64 text (version 4): "
      "re-encrypt the dataset from its clean CSV with this version, then query it again");
}

nlohmann::json PublicTuplesToJson(const std::vector<PublicTuple>& tuples) {
  nlohmann::json out = nlohmann::json::array();
  for (const PublicTuple& t : tuples) {
    nlohmann::json row = t.values;
    row.push_back(t.records);
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<PublicTuple>> PublicTuplesFromJson(const nlohmann::json& json,
                                                      size_t public_columns, uint64_t record_count,
                                                      const std::string& source) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption(source + ": public tuples: " + what);
  };
  if (!json.is_array()) return bad("not a list");
  std::vector<PublicTuple> tuples;
  uint64_t total = 0;
  for (const nlohmann::json& row : json) {
    if (!row.is_array() || row.size() != public_columns + 1 || !row.back().is_number_unsigned())
      return bad("a tuple is not " + std::to_string(public_columns) + " values and a count");
    PublicTuple t;
    for (size_t i = 0; i < public_columns; ++i) {
      if (!row[i].is_string()) return bad("a value is not a string");
      t.values.push_back(row[i].get<std::string>());
    }
    t.records = row.back().get<uint64_t>();
    if (t.records == 0 || t.records > record_count - total)
      return bad("record counts do not add up to the dataset's");
    if (!tuples.empty() && !(tuples.back().values < t.values))
      return bad("not sorted, or a tuple listed twice");
    total += t.records;
    tuples.push_back(std::move(t));
  }
  if (total != record_count) return bad("record counts do not add up to the dataset's");
  return tuples;
}

nlohmann::json SegmentsToJson(const std::vector<SegmentInfo>& segments) {
  nlohmann::json out = nlohmann::json::array();
  for (const SegmentInfo& s : segments) {
    nlohmann::json chunks = nlohmann::json::array();
    for (const ChunkInfo& c : s.chunks) {
      chunks.push_back({{"records", c.records},
                        {"public_bytes", c.public_bytes},
                        {"public", c.public_digest},
                        {"ciphertexts", c.ciphertext_digests}});
    }
    out.push_back({{"name", s.name}, {"records", s.records}, {"chunks", std::move(chunks)}});
  }
  return out;
}

std::string ManifestToJson(const Manifest& m) {
  nlohmann::json j = {
      {"format", kManifestFormat},
      {"version", kManifestVersion},
      {"name", m.name},
      {"dataset_id", m.dataset_id},
      {"created_utc", m.created_utc},
      {"key_fingerprint", m.key_fingerprint},
      {"record_count", m.record_count},
      {"min_cell", m.min_cell},
      {"catalog", nlohmann::json::parse(CatalogToJson(m.catalog))},
      {"layout", nlohmann::json::parse(m.layout_json)},
      {"sealed_schema", nlohmann::json::parse(crypto::SealedToJson(m.sealed_schema))},
      {"public_tuples", PublicTuplesToJson(m.public_tuples)},
      {"segments", SegmentsToJson(m.segments)}};
  if (m.rows_read) j["rows_read"] = *m.rows_read;
  return DumpWithChecksum(std::move(j));
}

Result<Manifest> ManifestFromJson(const std::string& json) {
  auto parsed = ParseFormat(json, kManifestFormat, "cipherstat dataset manifest", kManifestVersion);
  if (!parsed.ok()) return RefuseOldFormat(parsed.status(), "manifest");
  const nlohmann::json& j = *parsed;
  try {
    Manifest m;
    m.name = j.at("name").get<std::string>();
    m.dataset_id = j.at("dataset_id").get<std::string>();
    m.created_utc = j.at("created_utc").get<std::string>();
    m.key_fingerprint = j.at("key_fingerprint").get<std::string>();
    m.record_count = j.at("record_count").get<uint64_t>();
    m.min_cell = j.at("min_cell").get<uint64_t>();
    if (j.contains("rows_read")) m.rows_read = j.at("rows_read").get<uint64_t>();
    CS_ASSIGN_OR_RETURN(m.catalog, CatalogFromJson(j.at("catalog").dump()));
    m.layout_json = j.at("layout").dump();
    CS_ASSIGN_OR_RETURN(m.sealed_schema,
                        crypto::SealedFromJson(j.at("sealed_schema").dump(), "manifest"));
    CS_ASSIGN_OR_RETURN(const int ciphertexts, IntAt(j.at("layout"), "ciphertexts", "manifest"));
    uint64_t total = 0;
    for (const auto& s : j.at("segments")) {
      SegmentInfo info;
      info.name = s.at("name").get<std::string>();
      info.records = s.at("records").get<uint64_t>();
      if (info.name.empty() || info.name.find('/') != std::string::npos || info.name[0] == '.') {
        return Status::Corruption("manifest: bad segment name '" + QuoteInput(info.name) + "'");
      }
      const std::string where = "manifest: segment " + QuoteInput(info.name);
      uint64_t chunk_total = 0;
      for (const auto& c : s.at("chunks")) {
        ChunkInfo chunk;
        chunk.records = c.at("records").get<uint64_t>();
        chunk.public_bytes = c.at("public_bytes").get<uint64_t>();
        chunk.public_digest = c.at("public").get<std::string>();
        chunk.ciphertext_digests = c.at("ciphertexts").get<std::vector<std::string>>();
        // Bounded so that no reader allocates or adds past what a writer could have written:
        // the manifest is input the compute party does not control.
        if (chunk.records == 0 || chunk.records > kChunkRecords ||
            chunk.public_bytes < chunk.records || chunk.public_bytes > kMaxChunkPublicBytes) {
          return Status::Corruption(where + ": a chunk of " + std::to_string(chunk.records) +
                                    " records and " + std::to_string(chunk.public_bytes) +
                                    " public bytes (1-" + std::to_string(kChunkRecords) +
                                    " records, at least a byte each and at most " +
                                    std::to_string(kMaxChunkPublicBytes) + " in all)");
        }
        if (chunk.ciphertext_digests.size() != static_cast<size_t>(ciphertexts)) {
          return Status::Corruption(
              where + " has a chunk with " + std::to_string(chunk.ciphertext_digests.size()) +
              " ciphertext digests, the layout " + std::to_string(ciphertexts));
        }
        chunk_total += chunk.records;
        info.chunks.push_back(std::move(chunk));
      }
      if (chunk_total != info.records) {
        return Status::Corruption(where + ": its chunks hold " + std::to_string(chunk_total) +
                                  " records, the segment " + std::to_string(info.records));
      }
      total += info.records;
      m.segments.push_back(std::move(info));
    }
    if (m.rows_read && *m.rows_read < m.record_count) {
      return Status::Corruption("manifest: " + std::to_string(m.record_count) +
                                " records kept from " + std::to_string(*m.rows_read) +
                                " rows read");
    }
    if (total != m.record_count) {
      return Status::Corruption("manifest: segments hold " + std::to_string(total) +
                                " records but record_count is " + std::to_string(m.record_count));
    }
    CS_ASSIGN_OR_RETURN(m.public_tuples, PublicTuplesFromJson(j.at("public_tuples"),
                                                              m.catalog.PublicColumns().size(),
                                                              m.record_count, "manifest"));
    CS_RETURN_IF_ERROR(VerifyChecksum(j, "manifest"));
    return m;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("manifest: " + JsonErrorText(e));
  }
}

// --- Writer --------------------------------------------------------------------------------

DatasetWriter::DatasetWriter() = default;

DatasetWriter::~DatasetWriter() {
  // An open segment's temporary file goes with the folder.
  if (!committed_ && !temp_path_.empty()) RemoveTree(temp_path_);
}

Status DatasetWriter::Open(const std::string& path, const crypto::PublicKey& pk,
                           const Schema& schema, const Layout& layout,
                           uint64_t records_per_segment) {
  if (PathExists(path)) {
    return Status::AlreadyExists(path + ": already exists; choose another path or remove it");
  }
  final_path_ = path;
  records_per_segment_ = records_per_segment == 0 ? 1 : records_per_segment;
  CS_ASSIGN_OR_RETURN(temp_path_, MakeTempDirBeside(path));
  if (::mkdir((temp_path_ + "/segments").c_str(), 0755) != 0) {
    return Status::IOError(temp_path_ + "/segments: cannot create folder");
  }
  // The dataset is what the compute party receives: its files are meant to be read.
  CS_RETURN_IF_ERROR(
      WriteFileAtomic(temp_path_ + "/public.key", crypto::PublicKeyToJson(pk), kSharedFile));
  unsigned char id[16];
  randombytes_buf(id, sizeof id);
  manifest_.name = schema.name;
  manifest_.dataset_id = HexOf(id, sizeof id);
  manifest_.created_utc = UtcNow();
  manifest_.key_fingerprint = pk.Fingerprint();
  manifest_.catalog = CatalogOf(schema);
  manifest_.layout_json = layout.ToJson();
  pk_ = &pk;
  schema_ = schema;
  public_columns_ = manifest_.catalog.PublicColumns().size();
  ciphertexts_ = static_cast<size_t>(layout.num_ciphertexts());
  return Status::OK();
}

// BLAKE2b-256 states of one chunk's columns: the public lines and each ciphertext column.
class DatasetWriter::ChunkHasher {
 public:
  explicit ChunkHasher(size_t ciphertexts) : states_(ciphertexts + 1) { Reset(); }
  void Reset() {
    for (State& state : states_) crypto_generichash_init(&state.s, nullptr, 0, kDigestBytes);
  }
  // Column -1 is the public lines.
  void Update(int column, std::string_view bytes) {
    crypto_generichash_update(&states_[static_cast<size_t>(column + 1)].s,
                              reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }
  std::string FinishHex(int column) {
    unsigned char digest[kDigestBytes];
    crypto_generichash_final(&states_[static_cast<size_t>(column + 1)].s, digest, sizeof digest);
    return HexOf(digest, sizeof digest);
  }

 private:
  static constexpr size_t kDigestBytes = crypto_generichash_BYTES;
  struct alignas(64) State {
    crypto_generichash_state s;
  };
  std::vector<State> states_;
};

Status DatasetWriter::StartSegment() {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05zu", manifest_.segments.size());
  current_ = SegmentInfo();
  current_.name = name;
  const std::string base = temp_path_ + "/segments/" + current_.name;
  CS_RETURN_IF_ERROR(public_file_.Open(base + ".pub", kSharedFile));
  ciphertext_files_.clear();
  for (size_t k = 0; k < ciphertexts_; ++k) {
    ciphertext_files_.push_back(std::make_unique<AtomicFile>());
    CS_RETURN_IF_ERROR(
        ciphertext_files_.back()->Open(base + ".c" + std::to_string(k), kSharedFile));
  }
  if (hasher_ == nullptr) hasher_ = std::make_unique<ChunkHasher>(ciphertexts_);
  hasher_->Reset();
  chunk_ = ChunkInfo();
  segment_open_ = true;
  return Status::OK();
}

void DatasetWriter::FinishChunk() {
  chunk_.public_digest = hasher_->FinishHex(-1);
  for (size_t k = 0; k < ciphertexts_; ++k)
    chunk_.ciphertext_digests.push_back(hasher_->FinishHex(static_cast<int>(k)));
  current_.chunks.push_back(std::move(chunk_));
  chunk_ = ChunkInfo();
  hasher_->Reset();
}

Status DatasetWriter::FinishSegment() {
  if (chunk_.records > 0) FinishChunk();
  CS_RETURN_IF_ERROR(public_file_.Commit());
  for (auto& file : ciphertext_files_) CS_RETURN_IF_ERROR(file->Commit());
  segment_open_ = false;
  manifest_.segments.push_back(std::move(current_));
  return Status::OK();
}

Status DatasetWriter::Append(const std::vector<std::string>& public_values,
                             const std::vector<crypto::Ciphertext>& ciphertexts, TagValue r) {
  if (public_values.size() != public_columns_ || ciphertexts.size() != ciphertexts_) {
    return Status::InvalidArgument("dataset writer: expected " + std::to_string(public_columns_) +
                                   " public values and " + std::to_string(ciphertexts_) +
                                   " ciphertexts per record");
  }
  std::string line;
  for (size_t i = 0; i < public_values.size(); ++i) {
    if (public_values[i].find_first_of("\t\n\r") != std::string::npos) {
      return Status::InvalidArgument("dataset writer: a public value holds a tab or newline");
    }
    if (i > 0) line += '\t';
    line += public_values[i];
  }
  line += '\n';
  TupleSums& tuple = tuples_[public_values];
  ++tuple.records;
  tuple.randoms = TagAdd(tuple.randoms, r);
  if (!segment_open_) CS_RETURN_IF_ERROR(StartSegment());
  CS_RETURN_IF_ERROR(public_file_.Append(line));
  hasher_->Update(-1, line);
  chunk_.public_bytes += line.size();
  for (size_t k = 0; k < ciphertexts_; ++k) {
    const std::string bytes = crypto::CiphertextToFixedBytes(*pk_, ciphertexts[k]);
    CS_RETURN_IF_ERROR(ciphertext_files_[k]->Append(bytes));
    hasher_->Update(static_cast<int>(k), bytes);
  }
  ++chunk_.records;
  ++current_.records;
  ++manifest_.record_count;
  if (chunk_.records >= kChunkRecords) FinishChunk();
  if (current_.records >= records_per_segment_) CS_RETURN_IF_ERROR(FinishSegment());
  return Status::OK();
}

Status DatasetWriter::Commit() {
  if (!tag_key_) return Status::InvalidArgument("dataset writer: no tag key to seal");
  if (segment_open_) CS_RETURN_IF_ERROR(FinishSegment());
  OwnerSecrets secrets{schema_, *tag_key_, {}};
  for (auto& [values, sums] : tuples_) {
    manifest_.public_tuples.push_back({values, sums.records});
    secrets.tuple_randoms.push_back(sums.randoms);
    sums.randoms = 0;
  }
  manifest_.sealed_schema = SealOwnerSecrets(*pk_, secrets);
  sodium_memzero(secrets.tuple_randoms.data(), secrets.tuple_randoms.size() * sizeof(TagValue));
  CS_RETURN_IF_ERROR(
      WriteFileAtomic(temp_path_ + "/manifest.json", ManifestToJson(manifest_), kSharedFile));
  if (signer_)
    CS_RETURN_IF_ERROR(
        WriteFileAtomic(temp_path_ + "/manifest.sig", signer_(manifest_), kSharedFile));
  CS_RETURN_IF_ERROR(CommitDirectory(temp_path_, final_path_));
  committed_ = true;
  return Status::OK();
}

// --- Fields ------------------------------------------------------------------------------

std::string EncodeCiphertextField(const crypto::PublicKey& pk, const crypto::Ciphertext& c) {
  const std::string raw = crypto::CiphertextToFixedBytes(pk, c);
  std::string b64(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING),
                  '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  b64.pop_back();  // the terminating NUL
  return b64;
}

Status SplitPublicLine(std::string_view line, size_t public_columns,
                       std::vector<std::string_view>* values) {
  values->clear();
  if (public_columns == 0) {
    if (line.empty()) return Status::OK();
    return Status::Corruption("expected no public values, found a non-empty line");
  }
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    values->push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  if (values->size() != public_columns) {
    return Status::Corruption("expected " + std::to_string(public_columns) +
                              " public values, found " + std::to_string(values->size()));
  }
  return Status::OK();
}

Result<crypto::Ciphertext> DecodeCiphertextField(const crypto::PublicKey& pk,
                                                 std::string_view base64) {
  std::string raw(pk.ciphertext_bytes() + 1, '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), base64.data(),
                        base64.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0) {
    return Status::Corruption("ciphertext field is not valid base64 of the right length");
  }
  raw.resize(len);
  return crypto::CiphertextFromFixedBytes(pk, raw);
}

// --- Reader --------------------------------------------------------------------------------

Result<Dataset> OpenDataset(const std::string& path, const StorageConfig& config) {
  Dataset d;
  d.path = path;
  CS_ASSIGN_OR_RETURN(d.storage, StorageFor(path, config));
  const Storage& storage = *d.storage;
  auto manifest_text = storage.ReadFile(path + "/manifest.json", 256u << 20);
  if (!manifest_text.ok()) {
    return manifest_text.status().WithContext(path + " is not a complete cipherstat dataset");
  }
  d.manifest_json = std::move(manifest_text).value();
  auto manifest = ManifestFromJson(d.manifest_json);
  if (!manifest.ok()) return manifest.status().WithContext(path + "/manifest.json");
  d.manifest = std::move(manifest).value();
  d.manifest_sha256 = Sha256Hex(d.manifest_json);
  auto key_text = storage.ReadFile(path + "/public.key", 1 << 20);
  if (!key_text.ok()) return key_text.status();
  auto pk = crypto::PublicKeyFromJson(*key_text);
  if (!pk.ok()) return pk.status().WithContext(path + "/public.key");
  d.public_key = std::move(pk).value();
  if (d.public_key.Fingerprint() != d.manifest.key_fingerprint) {
    return Status::Corruption(path + ": public.key does not match the manifest's key fingerprint");
  }
  auto layout = Layout::FromJson(d.manifest.layout_json);
  if (!layout.ok()) return layout.status().WithContext(path + "/manifest.json");
  d.layout = std::move(layout).value();
  if (d.layout.plaintext_bits() != static_cast<int>(d.public_key.plaintext_bits())) {
    return Status::Corruption(path + "/manifest.json: the slot layout is not for this key");
  }
  // The owner's signature travels into every result. Here it is checked only against the
  // manifest beside it, under the key it names (store/signed_manifest.h); the decrypting party
  // checks it under the owner's key.
  CS_ASSIGN_OR_RETURN(bool signed_dataset, storage.Exists(path + "/manifest.sig"));
  if (signed_dataset) {
    CS_ASSIGN_OR_RETURN(d.manifest_signature, storage.ReadFile(path + "/manifest.sig", 256u << 20));
    CS_RETURN_IF_ERROR(
        CheckManifestAgainstSignature(d.manifest, d.manifest_signature).WithContext(path));
  }
  return d;
}

std::string Dataset::SegmentFile(const SegmentInfo& s, int column) const {
  return path + "/segments/" + s.name + (column < 0 ? ".pub" : ".c" + std::to_string(column));
}

namespace {

// Chunks read with one request per file (ReadChunks): 4 × 4,096 records × 512 bytes is 8 MiB
// per ciphertext column read with a 2048-bit key.
constexpr size_t kChunksPerRead = 4;

std::string DigestHex(std::string_view bytes) {
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  return HexOf(digest, sizeof digest);
}

std::string ChunkName(size_t chunk, uint64_t first_record, uint64_t records) {
  return "chunk " + std::to_string(chunk) + " (records " + std::to_string(first_record + 1) + "-" +
         std::to_string(first_record + records) + ")";
}

}  // namespace

Status ReadChunks(const Dataset& dataset, const SegmentInfo& segment, size_t first_chunk,
                  size_t chunk_count, const std::vector<int>& ciphertexts,
                  const std::function<Status(const RecordView&)>& use) {
  if (first_chunk > segment.chunks.size() || chunk_count > segment.chunks.size() - first_chunk) {
    return Status::InvalidArgument("segment " + segment.name + " has " +
                                   std::to_string(segment.chunks.size()) + " chunks, not " +
                                   std::to_string(first_chunk + chunk_count));
  }
  std::shared_ptr<const Storage> storage = dataset.storage;
  if (storage == nullptr) {  // a Dataset put together by hand rather than by OpenDataset
    CS_ASSIGN_OR_RETURN(storage, StorageFor(dataset.path));
  }
  const size_t public_columns = dataset.manifest.catalog.PublicColumns().size();
  const size_t columns = static_cast<size_t>(dataset.layout.num_ciphertexts());
  const uint64_t width = dataset.public_key.ciphertext_bytes();
  for (int c : ciphertexts) {
    if (c < 0 || static_cast<size_t>(c) >= columns) {
      return Status::InvalidArgument("no ciphertext column " + std::to_string(c));
    }
  }
  uint64_t first_record = 0, public_offset = 0;
  for (size_t i = 0; i < first_chunk; ++i) {
    first_record += segment.chunks[i].records;
    public_offset += segment.chunks[i].public_bytes;
  }
  const std::string public_path = dataset.SegmentFile(segment, -1);
  std::vector<std::string> column_bytes(columns);
  RecordView record;
  record.ciphertexts.assign(columns, std::string_view());
  const size_t end = first_chunk + chunk_count;
  // A few chunks a request: fewer round trips to remote storage, memory still bounded.
  for (size_t read_first = first_chunk; read_first < end;) {
    const size_t read_end = std::min(end, read_first + kChunksPerRead);
    uint64_t read_records = 0, read_public_bytes = 0;
    for (size_t i = read_first; i < read_end; ++i) {
      read_records += segment.chunks[i].records;
      read_public_bytes += segment.chunks[i].public_bytes;
    }
    auto public_bytes = storage->ReadRange(public_path, public_offset, read_public_bytes);
    if (!public_bytes.ok()) return public_bytes.status().WithContext(public_path);
    for (int c : ciphertexts) {
      const std::string path = dataset.SegmentFile(segment, c);
      auto bytes = storage->ReadRange(path, first_record * width, read_records * width);
      if (!bytes.ok()) return bytes.status().WithContext(path);
      column_bytes[static_cast<size_t>(c)] = std::move(bytes).value();
    }
    std::string_view lines = *public_bytes;
    uint64_t read_offset = 0;  // records of this read before the current chunk
    for (size_t i = read_first; i < read_end; ++i) {
      const ChunkInfo& chunk = segment.chunks[i];
      const std::string chunk_name = ChunkName(i, first_record, chunk.records);
      // Check the whole chunk before handing out any of its records.
      if (chunk.public_bytes > lines.size())
        return Status::Corruption(public_path + ": short read");
      const std::string_view chunk_lines = lines.substr(0, chunk.public_bytes);
      if (DigestHex(chunk_lines) != chunk.public_digest) {
        return Status::Corruption(public_path + ": " + chunk_name +
                                  " differs from the manifest's digest: the segment was altered");
      }
      for (int c : ciphertexts) {
        const std::string_view bytes = std::string_view(column_bytes[static_cast<size_t>(c)])
                                           .substr(read_offset * width, chunk.records * width);
        if (DigestHex(bytes) != chunk.ciphertext_digests[static_cast<size_t>(c)]) {
          return Status::Corruption(dataset.SegmentFile(segment, c) + ": " + chunk_name +
                                    " differs from the manifest's digest: the segment was altered");
        }
      }
      std::string_view rest = chunk_lines;
      for (uint64_t r = 0; r < chunk.records; ++r) {
        const size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) {
          return Status::Corruption(public_path + ": " + chunk_name + " holds fewer lines (" +
                                    std::to_string(r) + ") than its records");
        }
        Status s = SplitPublicLine(rest.substr(0, nl), public_columns, &record.public_values);
        for (int c : ciphertexts) {
          record.ciphertexts[static_cast<size_t>(c)] =
              std::string_view(column_bytes[static_cast<size_t>(c)])
                  .substr((read_offset + r) * width, width);
        }
        if (s.ok()) s = use(record);
        if (!s.ok()) {
          return s.WithContext(dataset.path + "/segments/" + segment.name + " record " +
                               std::to_string(first_record + r + 1));
        }
        rest.remove_prefix(nl + 1);
      }
      if (!rest.empty()) {
        return Status::Corruption(public_path + ": " + chunk_name + " holds more lines than its " +
                                  std::to_string(chunk.records) + " records");
      }
      lines.remove_prefix(chunk.public_bytes);
      read_offset += chunk.records;
      first_record += chunk.records;
      public_offset += chunk.public_bytes;
    }
    read_first = read_end;
  }
  return Status::OK();
}

Status VerifyDataset(const Dataset& dataset, const std::function<void(uint64_t)>& progress) {
  const size_t columns = static_cast<size_t>(dataset.layout.num_ciphertexts());
  const std::vector<int> all = AllCiphertextColumns(columns);
  const uint64_t width = dataset.public_key.ciphertext_bytes();
  std::shared_ptr<const Storage> storage = dataset.storage;
  if (storage == nullptr) {
    CS_ASSIGN_OR_RETURN(storage, StorageFor(dataset.path));
  }
  uint64_t done = 0;
  for (const SegmentInfo& segment : dataset.manifest.segments) {
    // Sizes first: a reader of chunks never looks past the last one, so bytes appended to a
    // file would go unseen.
    uint64_t public_size = 0;
    for (const ChunkInfo& chunk : segment.chunks) public_size += chunk.public_bytes;
    for (int c = -1; c < static_cast<int>(columns); ++c) {
      const std::string path = dataset.SegmentFile(segment, c);
      const uint64_t expected = c < 0 ? public_size : segment.records * width;
      CS_ASSIGN_OR_RETURN(uint64_t size, storage->FileSize(path));
      if (size != expected) {
        return Status::Corruption(path + ": " + std::to_string(size) +
                                  " bytes, the manifest says " + std::to_string(expected) +
                                  ": truncated or altered");
      }
    }
    CS_RETURN_IF_ERROR(ReadChunks(dataset, segment, 0, segment.chunks.size(), all,
                                  [](const RecordView&) { return Status::OK(); }));
    done += segment.records;
    if (progress) progress(done);
  }
  return Status::OK();
}

}  // namespace cipherstat
