#include "store/dataset.h"

#include <sodium.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "store/json_checksum.h"

namespace cipherstat {

namespace {

constexpr const char* kManifestFormat = "cipherstat-dataset";
constexpr int kManifestVersion = 1;

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string HexOf(const unsigned char* bytes, size_t n) {
  std::string hex(n * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, n);
  hex.pop_back();
  return hex;
}

}  // namespace

Sha256::Sha256() {
  static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(state_));
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

void Sha256::Update(std::string_view data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string Sha256::FinishHex() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), digest);
  return HexOf(digest, sizeof digest);
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.FinishHex();
}

std::string ManifestToJson(const Manifest& m) {
  nlohmann::json segments = nlohmann::json::array();
  for (const SegmentInfo& s : m.segments) {
    segments.push_back(
        {{"name", s.name}, {"records", s.records}, {"bytes", s.bytes}, {"sha256", s.sha256}});
  }
  nlohmann::json j = {{"format", kManifestFormat},
                      {"version", kManifestVersion},
                      {"name", m.name},
                      {"created_utc", m.created_utc},
                      {"key_fingerprint", m.key_fingerprint},
                      {"record_count", m.record_count},
                      {"schema", nlohmann::json::parse(SchemaToJson(m.schema))},
                      {"layout", nlohmann::json::parse(m.layout_json)},
                      {"segments", std::move(segments)}};
  return DumpWithChecksum(std::move(j));
}

Result<Manifest> ManifestFromJson(const std::string& json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("manifest: not valid JSON");
  try {
    if (j.value("format", "") != kManifestFormat) {
      return Status::Corruption("manifest: not a cipherstat dataset manifest");
    }
    if (j.at("version").get<int>() != kManifestVersion) {
      return Status::NotSupported("manifest: version " + j.at("version").dump() +
                                  " is not supported");
    }
    Manifest m;
    m.name = j.at("name").get<std::string>();
    m.created_utc = j.at("created_utc").get<std::string>();
    m.key_fingerprint = j.at("key_fingerprint").get<std::string>();
    m.record_count = j.at("record_count").get<uint64_t>();
    CS_ASSIGN_OR_RETURN(m.schema, SchemaFromJson(j.at("schema").dump()));
    m.layout_json = j.at("layout").dump();
    uint64_t total = 0;
    for (const auto& s : j.at("segments")) {
      SegmentInfo info;
      info.name = s.at("name").get<std::string>();
      info.records = s.at("records").get<uint64_t>();
      info.bytes = s.at("bytes").get<uint64_t>();
      info.sha256 = s.at("sha256").get<std::string>();
      if (info.name.empty() || info.name.find('/') != std::string::npos || info.name[0] == '.') {
        return Status::Corruption("manifest: bad segment name '" + info.name + "'");
      }
      total += info.records;
      m.segments.push_back(std::move(info));
    }
    if (total != m.record_count) {
      return Status::Corruption("manifest: segments hold " + std::to_string(total) +
                                " records but record_count is " + std::to_string(m.record_count));
    }
    CS_RETURN_IF_ERROR(VerifyChecksum(j, "manifest"));
    return m;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("manifest: ") + e.what());
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
  CS_RETURN_IF_ERROR(WriteFileAtomic(temp_path_ + "/public.key", crypto::PublicKeyToJson(pk)));
  manifest_.name = schema.name;
  manifest_.created_utc = UtcNow();
  manifest_.key_fingerprint = pk.Fingerprint();
  manifest_.schema = schema;
  manifest_.layout_json = layout.ToJson();
  return Status::OK();
}

Status DatasetWriter::StartSegment() {
  char name[32];
  std::snprintf(name, sizeof name, "part-%05zu", manifest_.segments.size());
  current_ = SegmentInfo();
  current_.name = name;
  hash_ = Sha256();
  CS_RETURN_IF_ERROR(segment_.Open(temp_path_ + "/segments/" + current_.name));
  segment_open_ = true;
  return Status::OK();
}

Status DatasetWriter::FinishSegment() {
  CS_RETURN_IF_ERROR(segment_.Commit());
  segment_open_ = false;
  current_.sha256 = hash_.FinishHex();
  manifest_.segments.push_back(current_);
  return Status::OK();
}

Status DatasetWriter::AppendLine(std::string_view line) {
  if (!segment_open_) CS_RETURN_IF_ERROR(StartSegment());
  std::string with_newline;
  with_newline.reserve(line.size() + 1);
  with_newline.append(line);
  with_newline.push_back('\n');
  CS_RETURN_IF_ERROR(segment_.Append(with_newline));
  hash_.Update(with_newline);
  current_.bytes += with_newline.size();
  ++current_.records;
  ++manifest_.record_count;
  if (current_.records >= records_per_segment_) CS_RETURN_IF_ERROR(FinishSegment());
  return Status::OK();
}

Status DatasetWriter::Commit() {
  if (segment_open_) CS_RETURN_IF_ERROR(FinishSegment());
  CS_RETURN_IF_ERROR(WriteFileAtomic(temp_path_ + "/manifest.json", ManifestToJson(manifest_)));
  if (signer_)
    CS_RETURN_IF_ERROR(WriteFileAtomic(temp_path_ + "/manifest.sig", signer_(manifest_)));
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

Result<Dataset> OpenDataset(const std::string& path) {
  Dataset d;
  d.path = path;
  auto manifest_text = ReadFile(path + "/manifest.json", 256u << 20);
  if (!manifest_text.ok()) {
    return manifest_text.status().WithContext(path + " is not a complete cipherstat dataset");
  }
  auto manifest = ManifestFromJson(*manifest_text);
  if (!manifest.ok()) return manifest.status().WithContext(path + "/manifest.json");
  d.manifest = std::move(manifest).value();
  d.manifest_sha256 = Sha256Hex(*manifest_text);
  auto key_text = ReadFile(path + "/public.key", 1 << 20);
  if (!key_text.ok()) return key_text.status();
  auto pk = crypto::PublicKeyFromJson(*key_text);
  if (!pk.ok()) return pk.status().WithContext(path + "/public.key");
  d.public_key = std::move(pk).value();
  if (d.public_key.Fingerprint() != d.manifest.key_fingerprint) {
    return Status::Corruption(path + ": public.key does not match the manifest's key fingerprint");
  }
  auto layout = Layout::Build(d.manifest.schema, static_cast<int>(d.public_key.plaintext_bits()));
  if (!layout.ok()) return layout.status().WithContext(path + "/manifest.json");
  d.layout = std::move(layout).value();
  CS_RETURN_IF_ERROR(
      d.layout.CheckMatches(d.manifest.layout_json).WithContext(path + "/manifest.json"));
  // The owner's signature travels, unverified here, into every result (the compute party has
  // no reason to trust or distrust it; the decrypting party checks it).
  if (PathExists(path + "/manifest.sig")) {
    CS_ASSIGN_OR_RETURN(d.manifest_signature, ReadFile(path + "/manifest.sig", 256u << 20));
  }
  return d;
}

}  // namespace cipherstat
