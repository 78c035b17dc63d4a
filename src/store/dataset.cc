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
// tags (encoding/authenticator.h), public tuples, dataset identity or release policy.
constexpr int kManifestVersion = 4;
constexpr char kSealedContext[] = "cipherstat sealed schema and verifier v2, key ";

std::string HexOf(const unsigned char* bytes, size_t n) {
  std::string hex(n * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, n);
  hex.pop_back();
  return hex;
}

// 0, 1, ..., ciphertexts − 1: every ciphertext column of a line.
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
      "schema (version 2) or carried no tags for the owner to verify results with (version 3): "
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

std::string ManifestToJson(const Manifest& m) {
  nlohmann::json segments = nlohmann::json::array();
  for (const SegmentInfo& s : m.segments) {
    segments.push_back(
        {{"name", s.name},
         {"records", s.records},
         {"bytes", s.bytes},
         {"digests",
          {{"public", s.digests.public_values}, {"ciphertexts", s.digests.ciphertexts}}}});
  }
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
      {"segments", std::move(segments)}};
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
      info.bytes = s.at("bytes").get<uint64_t>();
      const auto& digests = s.at("digests");
      info.digests.public_values = digests.at("public").get<std::string>();
      info.digests.ciphertexts = digests.at("ciphertexts").get<std::vector<std::string>>();
      if (info.digests.ciphertexts.size() != static_cast<size_t>(ciphertexts)) {
        return Status::Corruption("manifest: segment " + QuoteInput(info.name) + " has " +
                                  std::to_string(info.digests.ciphertexts.size()) +
                                  " ciphertext digests, the layout " + std::to_string(ciphertexts));
      }
      if (info.name.empty() || info.name.find('/') != std::string::npos || info.name[0] == '.') {
        return Status::Corruption("manifest: bad segment name '" + QuoteInput(info.name) + "'");
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

Status DatasetWriter::StartSegment() {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05zu", manifest_.segments.size());
  current_ = SegmentInfo();
  current_.name = name;
  hasher_ = std::make_unique<ColumnHasher>(ciphertexts_, AllCiphertextColumns(ciphertexts_));
  CS_RETURN_IF_ERROR(segment_.Open(temp_path_ + "/segments/" + current_.name, kSharedFile));
  segment_open_ = true;
  return Status::OK();
}

Status DatasetWriter::FinishSegment() {
  CS_RETURN_IF_ERROR(segment_.Commit());
  segment_open_ = false;
  current_.digests = hasher_->Finish();
  manifest_.segments.push_back(current_);
  return Status::OK();
}

Status DatasetWriter::AppendLine(std::string_view line, TagValue r) {
  CS_RETURN_IF_ERROR(SplitRecordLine(line, public_columns_, ciphertexts_, &fields_));
  TupleSums& tuple =
      tuples_[std::vector<std::string>(fields_.public_values.begin(), fields_.public_values.end())];
  ++tuple.records;
  tuple.randoms = TagAdd(tuple.randoms, r);
  if (!segment_open_) CS_RETURN_IF_ERROR(StartSegment());
  hasher_->Add(fields_);
  std::string with_newline;
  with_newline.reserve(line.size() + 1);
  with_newline.append(line);
  with_newline.push_back('\n');
  CS_RETURN_IF_ERROR(segment_.Append(with_newline));
  current_.bytes += with_newline.size();
  ++current_.records;
  ++manifest_.record_count;
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

// --- Record lines --------------------------------------------------------------------------

std::string EncodeCiphertextField(const crypto::PublicKey& pk, const crypto::Ciphertext& c) {
  const std::string raw = crypto::CiphertextToFixedBytes(pk, c);
  std::string b64(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING),
                  '\0');
  sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  b64.pop_back();  // the terminating NUL
  return b64;
}

std::string FormatRecordLine(const crypto::PublicKey& pk,
                             const std::vector<std::string>& public_values,
                             const std::vector<crypto::Ciphertext>& ciphertexts) {
  std::string line;
  for (const std::string& v : public_values) {
    line += v;
    line += '\t';
  }
  for (size_t i = 0; i < ciphertexts.size(); ++i) {
    if (i > 0) line += '\t';
    line += EncodeCiphertextField(pk, ciphertexts[i]);
  }
  return line;
}

Status SplitRecordLine(std::string_view line, size_t public_columns, size_t ciphertexts,
                       RecordLine* out) {
  out->public_values.clear();
  out->ciphertext_fields.clear();
  size_t start = 0;
  const size_t expected = public_columns + ciphertexts;
  size_t fields = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    std::string_view field =
        line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    if (fields < public_columns) {
      out->public_values.push_back(field);
    } else if (fields < expected) {
      out->ciphertext_fields.push_back(field);
    }
    ++fields;
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  if (fields != expected) {
    return Status::Corruption("expected " + std::to_string(public_columns) + " public values and " +
                              std::to_string(ciphertexts) + " ciphertexts, found " +
                              std::to_string(fields) + " fields");
  }
  return Status::OK();
}

// --- Column digests ------------------------------------------------------------------------

ColumnHasher::ColumnHasher(size_t ciphertexts, const std::vector<int>& hashed)
    : ciphertexts_(ciphertexts) {
  // An index past the line's ciphertexts is never hashed, so SegmentVerifier reports it.
  for (int i : hashed) {
    if (i >= 0 && static_cast<size_t>(i) < ciphertexts) hashed_.push_back(i);
  }
  static_assert(sizeof(crypto_generichash_state) <= sizeof(State::bytes));
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(public_.bytes), nullptr, 0,
                          crypto_generichash_BYTES);
  for (int i : hashed_) {
    crypto_generichash_init(
        reinterpret_cast<crypto_generichash_state*>(ciphertexts_[static_cast<size_t>(i)].bytes),
        nullptr, 0, crypto_generichash_BYTES);
  }
}

void ColumnHasher::Update(State* state, std::string_view field) {
  auto* s = reinterpret_cast<crypto_generichash_state*>(state->bytes);
  crypto_generichash_update(s, reinterpret_cast<const unsigned char*>(field.data()), field.size());
  crypto_generichash_update(s, reinterpret_cast<const unsigned char*>("\n"), 1);
}

std::string ColumnHasher::FinishHex(State* state) {
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state->bytes), digest,
                           sizeof digest);
  return HexOf(digest, sizeof digest);
}

void ColumnHasher::Add(const RecordLine& line) {
  // The public values are one contiguous run of the line, tabs included.
  std::string_view public_values;
  if (!line.public_values.empty()) {
    const char* begin = line.public_values.front().data();
    const char* end = line.public_values.back().data() + line.public_values.back().size();
    public_values = std::string_view(begin, static_cast<size_t>(end - begin));
  }
  Update(&public_, public_values);
  for (int i : hashed_) {
    const size_t c = static_cast<size_t>(i);
    Update(&ciphertexts_[c], line.ciphertext_fields[c]);
  }
}

SegmentDigests ColumnHasher::Finish() {
  SegmentDigests d;
  d.public_values = FinishHex(&public_);
  d.ciphertexts.assign(ciphertexts_.size(), std::string());
  for (int i : hashed_) {
    const size_t c = static_cast<size_t>(i);
    d.ciphertexts[c] = FinishHex(&ciphertexts_[c]);
  }
  return d;
}

SegmentVerifier::SegmentVerifier(const SegmentInfo& segment, size_t public_columns,
                                 size_t ciphertexts, const std::vector<int>& read)
    : segment_(segment),
      public_columns_(public_columns),
      ciphertexts_(ciphertexts),
      read_(read),
      hasher_(ciphertexts, read) {}

Status SegmentVerifier::AddLine(std::string_view line, RecordLine* fields) {
  ++lines_;
  bytes_ += line.size() + 1;
  CS_RETURN_IF_ERROR(SplitRecordLine(line, public_columns_, ciphertexts_, fields));
  hasher_.Add(*fields);
  return Status::OK();
}

Status SegmentVerifier::Finish() {
  if (bytes_ != segment_.bytes) {
    return Status::Corruption(std::to_string(bytes_) + " bytes, the manifest says " +
                              std::to_string(segment_.bytes) + ": truncated or altered");
  }
  if (lines_ != segment_.records) {
    return Status::Corruption("holds " + std::to_string(lines_) + " records, the manifest says " +
                              std::to_string(segment_.records));
  }
  const SegmentDigests got = hasher_.Finish();
  if (got.public_values != segment_.digests.public_values) {
    return Status::Corruption(
        "the public values differ from the manifest's digest: the segment was altered");
  }
  for (int i : read_) {
    const size_t c = static_cast<size_t>(i);
    if (c >= segment_.digests.ciphertexts.size() ||
        got.ciphertexts[c] != segment_.digests.ciphertexts[c]) {
      return Status::Corruption("ciphertext column " + std::to_string(c) +
                                " differs from the manifest's digest: the segment was altered");
    }
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

Status ReadSegment(const Dataset& dataset, const SegmentInfo& segment,
                   const std::vector<int>& ciphertexts,
                   const std::function<Status(const RecordLine&)>& use) {
  const std::string path = dataset.SegmentPath(segment);
  std::shared_ptr<const Storage> storage = dataset.storage;
  if (storage == nullptr) {  // a Dataset put together by hand rather than by OpenDataset
    CS_ASSIGN_OR_RETURN(storage, StorageFor(dataset.path));
  }
  SegmentVerifier verifier(segment, dataset.manifest.catalog.PublicColumns().size(),
                           static_cast<size_t>(dataset.layout.num_ciphertexts()), ciphertexts);
  RecordLine fields;
  std::string pending;  // a line not yet complete
  bool opened = false;
  auto check_size = [&](uint64_t size) -> Status {
    opened = true;
    if (size == segment.bytes) return Status::OK();
    return Status::Corruption(path + ": size differs from the manifest (" +
                              std::to_string(segment.bytes) +
                              " bytes expected): truncated or altered");
  };
  auto add_lines = [&](std::string_view chunk) -> Status {
    size_t start = 0;
    while (true) {
      size_t nl = chunk.find('\n', start);
      if (nl == std::string_view::npos) {
        pending.append(chunk.substr(start));
        return Status::OK();
      }
      std::string_view line;
      if (pending.empty()) {
        line = chunk.substr(start, nl - start);
      } else {
        pending.append(chunk.substr(start, nl - start));
        line = pending;
      }
      Status status = verifier.AddLine(line, &fields);
      if (status.ok()) status = use(fields);
      if (!status.ok()) {
        return status.WithContext(path + " line " + std::to_string(verifier.lines()));
      }
      pending.clear();
      start = nl + 1;
    }
  };
  Status status = storage->StreamFile(path, check_size, add_lines);
  if (!status.ok() && !opened) {
    return status.WithContext(path + ": cannot open segment listed in the manifest");
  }
  CS_RETURN_IF_ERROR(status);
  if (!pending.empty()) return Status::Corruption(path + ": last line is incomplete");
  return verifier.Finish().WithContext(path);
}

Status VerifyDataset(const Dataset& dataset, const std::function<void(uint64_t)>& progress) {
  const std::vector<int> all =
      AllCiphertextColumns(static_cast<size_t>(dataset.layout.num_ciphertexts()));
  uint64_t done = 0;
  for (const SegmentInfo& segment : dataset.manifest.segments) {
    CS_RETURN_IF_ERROR(
        ReadSegment(dataset, segment, all, [](const RecordLine&) { return Status::OK(); }));
    done += segment.records;
    if (progress) progress(done);
  }
  return Status::OK();
}

}  // namespace cipherstat
