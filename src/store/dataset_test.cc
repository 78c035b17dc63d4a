#include "store/dataset.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/paillier.h"
#include "crypto/signing.h"
#include "encoding/layout.h"
#include "encoding/schema.h"
#include "store/json_checksum.h"
#include "store/signed_manifest.h"
#include "test_util.h"

namespace cipherstat {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

using testing::Lines;
using testing::ReadText;
using testing::WriteText;

std::string Blake2bHex(const std::string& text) {
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(text.data()),
                     text.size(), nullptr, 0);
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// Entries of `dir` whose names start with `prefix` (e.g. leftover "out.tmp-XXXXXX").
std::vector<std::string> EntriesStartingWith(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0)
      out.push_back(e.path().filename().string());
  }
  return out;
}

Schema SmallSchema() {
  Schema s;
  s.name = "small";
  s.max_records = 100;
  Column site;
  site.name = "site";
  site.kind = ColumnKind::kCategorical;
  site.levels = {"north", "south"};
  site.is_public = true;
  Column x;
  x.name = "x";
  x.kind = ColumnKind::kNumeric;
  x.min = 0;
  x.max = 1000;
  s.columns = {site, x};
  return s;
}

class DatasetTest : public ::testing::Test {
 protected:
  // Two keys, generated once and shared by the Dataset* suites.
  static void SetUpTestSuite() {
    if (sk_ != nullptr) return;
    auto sk = crypto::GenerateKey(2048);
    ASSERT_TRUE(sk.ok()) << sk.status().ToString();
    auto other = crypto::GenerateKey(2048);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    sk_ = std::make_unique<crypto::SecretKey>(std::move(sk).value());
    other_ = std::make_unique<crypto::SecretKey>(std::move(other).value());
  }
  void SetUp() override {
    ASSERT_NE(sk_, nullptr);
    auto layout = Layout::Build(schema_, static_cast<int>(pk().plaintext_bits()));
    ASSERT_TRUE(layout.ok()) << layout.status().ToString();
    layout_ = std::move(layout).value();
  }
  static const crypto::PublicKey& pk() { return sk_->public_key(); }

  // Writes `n` records (record i: site north/south, plaintexts i+1, 1000+i, ...) with
  // `per_segment` records per segment, signed by `owner` if given; returns the plaintexts.
  std::vector<std::vector<crypto::BigInt>> WriteDataset(const std::string& path, int n,
                                                        uint64_t per_segment,
                                                        const crypto::SigningKey* owner = nullptr) {
    std::vector<std::vector<crypto::BigInt>> written;
    DatasetWriter writer;
    Status s = writer.Open(path, pk(), schema_, layout_, per_segment);
    EXPECT_TRUE(s.ok()) << s.ToString();
    writer.SetTagKey(TagKey::Generate());
    if (owner != nullptr) {
      writer.SetSigner([owner](const Manifest& m) { return SignManifest(m, *owner); });
    }
    for (int i = 0; i < n; ++i) {
      std::vector<crypto::BigInt> plain;
      std::vector<crypto::Ciphertext> cts;
      for (int c = 0; c < layout_.num_ciphertexts(); ++c) {
        plain.emplace_back(static_cast<unsigned long>(1000 * c + i + 1));
        cts.push_back(crypto::Encrypt(pk(), plain.back()));
      }
      s = writer.Append({i % 2 ? "south" : "north"}, cts, RandomTagValue());
      EXPECT_TRUE(s.ok()) << s.ToString();
      written.push_back(std::move(plain));
    }
    EXPECT_EQ(writer.records(), static_cast<uint64_t>(n));
    s = writer.Commit();
    EXPECT_TRUE(s.ok()) << s.ToString();
    return written;
  }

  static inline std::unique_ptr<crypto::SecretKey> sk_, other_;
  Schema schema_ = SmallSchema();
  Layout layout_;
  ScratchDir dir_;
};

TEST_F(DatasetTest, WriterAndReaderRoundTrip) {
  const std::string path = dir_ / "data";
  const auto written = WriteDataset(path, 5, 2);
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "data.tmp").empty());

  auto dataset = OpenDataset(path);
  ASSERT_TRUE(dataset.ok()) << dataset.status().ToString();
  const Manifest& m = dataset->manifest;
  EXPECT_EQ(m.name, "small");
  EXPECT_EQ(m.record_count, 5u);
  EXPECT_EQ(m.key_fingerprint, pk().Fingerprint());
  EXPECT_EQ(m.catalog, CatalogOf(schema_));
  EXPECT_TRUE(layout_.CheckMatches(m.layout_json).ok());
  EXPECT_EQ(dataset->public_key.Fingerprint(), pk().Fingerprint());
  EXPECT_EQ(dataset->manifest_sha256, Sha256Hex(ReadText(path + "/manifest.json")));
  ASSERT_EQ(m.segments.size(), 3u);  // 2 + 2 + 1

  size_t record = 0;
  const uint64_t expected_records[] = {2, 2, 1};
  const size_t columns = static_cast<size_t>(layout_.num_ciphertexts());
  const size_t width = pk().ciphertext_bytes();
  for (size_t si = 0; si < m.segments.size(); ++si) {
    const SegmentInfo& seg = m.segments[si];
    EXPECT_EQ(seg.records, expected_records[si]);
    ASSERT_EQ(seg.chunks.size(), 1u);
    const ChunkInfo& chunk = seg.chunks[0];
    EXPECT_EQ(chunk.records, seg.records);
    // The files, read back as bytes, and the digests recomputed with one-shot BLAKE2b.
    const std::string public_file = ReadText(dataset->SegmentFile(seg, -1));
    EXPECT_EQ(chunk.public_bytes, public_file.size());
    EXPECT_EQ(chunk.public_digest, Blake2bHex(public_file));
    std::vector<std::string> column_files;
    ASSERT_EQ(chunk.ciphertext_digests.size(), columns);
    for (size_t c = 0; c < columns; ++c) {
      column_files.push_back(ReadText(dataset->SegmentFile(seg, static_cast<int>(c))));
      EXPECT_EQ(column_files[c].size(), seg.records * width);
      EXPECT_EQ(chunk.ciphertext_digests[c], Blake2bHex(column_files[c])) << c;
    }
    const std::vector<std::string> lines = Lines(public_file);
    ASSERT_EQ(lines.size(), seg.records);
    for (size_t r = 0; r < lines.size(); ++r, ++record) {
      ASSERT_LT(record, written.size());
      EXPECT_EQ(lines[r], record % 2 ? "south" : "north");
      for (size_t c = 0; c < columns; ++c) {
        auto ct = crypto::CiphertextFromFixedBytes(dataset->public_key,
                                                   column_files[c].substr(r * width, width));
        ASSERT_TRUE(ct.ok()) << ct.status().ToString();
        auto m_ = crypto::Decrypt(*sk_, *ct);
        ASSERT_TRUE(m_.ok());
        EXPECT_TRUE(*m_ == written[record][c]) << "record " << record << " ciphertext " << c;
      }
    }
  }
  EXPECT_EQ(record, 5u);
}

// Segments are cut into chunks of kChunkRecords; ReadChunks reads any run of them, in order,
// only the columns asked for.
TEST_F(DatasetTest, ChunksSplitASegmentAndReadOnTheirOwn) {
  const std::string path = dir_ / "chunked";
  const uint64_t n = 5 * kChunkRecords + 5;  // 6 chunks: more than one read's worth
  const size_t columns = static_cast<size_t>(layout_.num_ciphertexts());
  // Record i holds ciphertext pool[(i + c) % 7] in column c (encrypting 8,197 records
  // one by one would be slow; the reader does not care).
  std::vector<crypto::Ciphertext> pool;
  for (unsigned long v = 1; v <= 7; ++v) pool.push_back(crypto::Encrypt(pk(), crypto::BigInt(v)));
  {
    DatasetWriter writer;
    ASSERT_TRUE(writer.Open(path, pk(), schema_, layout_, 1u << 20).ok());
    writer.SetTagKey(TagKey::Generate());
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<crypto::Ciphertext> cts;
      for (size_t c = 0; c < columns; ++c) cts.push_back(pool[(i + c) % pool.size()]);
      ASSERT_TRUE(writer.Append({std::to_string(i)}, cts, 0).ok());
    }
    ASSERT_TRUE(writer.Commit().ok());
  }
  auto dataset = OpenDataset(path);
  ASSERT_TRUE(dataset.ok()) << dataset.status().ToString();
  ASSERT_EQ(dataset->manifest.segments.size(), 1u);
  const SegmentInfo& seg = dataset->manifest.segments[0];
  ASSERT_EQ(seg.chunks.size(), 6u);
  EXPECT_EQ(seg.chunks[0].records, kChunkRecords);
  EXPECT_EQ(seg.chunks[5].records, 5u);
  const int last = static_cast<int>(columns) - 1;
  uint64_t seen = 0;
  Status s = ReadChunks(*dataset, seg, 1, 5, {last}, [&](const RecordView& record) {
    const uint64_t i = kChunkRecords + seen++;
    EXPECT_EQ(record.public_values.at(0), std::to_string(i));
    for (int c = 0; c < last; ++c) EXPECT_TRUE(record.ciphertexts[static_cast<size_t>(c)].empty());
    EXPECT_EQ(
        record.ciphertexts[static_cast<size_t>(last)],
        crypto::CiphertextToFixedBytes(pk(), pool[(i + static_cast<uint64_t>(last)) % pool.size()]))
        << i;
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, 4 * kChunkRecords + 5);
  EXPECT_FALSE(
      ReadChunks(*dataset, seg, 5, 2, {0}, [](const RecordView&) { return Status::OK(); }).ok())
      << "past the last chunk";
  EXPECT_TRUE(VerifyDataset(*dataset, nullptr).ok());
}

TEST_F(DatasetTest, Sha256KnownAnswerAndIncremental) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.Update("a");
  h.Update("");
  h.Update("bc");
  EXPECT_EQ(h.FinishHex(), Sha256Hex("abc"));
}

TEST_F(DatasetTest, UncommittedWriterLeavesNothing) {
  const std::string path = dir_ / "abandoned";
  {
    DatasetWriter writer;
    ASSERT_TRUE(writer.Open(path, pk(), schema_, layout_, 2).ok());
    std::vector<crypto::Ciphertext> cts(static_cast<size_t>(layout_.num_ciphertexts()),
                                        crypto::Encrypt(pk(), crypto::BigInt(7)));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer.Append({"north"}, cts, 0).ok());
    EXPECT_FALSE(fs::exists(path)) << "visible before Commit";
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "abandoned").empty());
  {
    DatasetWriter writer;  // opened, nothing appended
    ASSERT_TRUE(writer.Open(path, pk(), schema_, layout_, 2).ok());
  }
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "abandoned").empty());
}

TEST_F(DatasetTest, OpenOnAnExistingPathFailsAlreadyExists) {
  const std::string path = dir_ / "taken";
  fs::create_directory(path);
  WriteText(path + "/keep.txt", "mine");
  DatasetWriter writer;
  Status s = writer.Open(path, pk(), schema_, layout_, 2);
  EXPECT_EQ(s.code(), Status::Code::kAlreadyExists) << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
  EXPECT_EQ(ReadText(path + "/keep.txt"), "mine");
  EXPECT_EQ(std::distance(fs::directory_iterator(path), fs::directory_iterator()), 1);
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "taken.tmp").empty());
  // A plain file in the way counts too.
  WriteText(dir_ / "file", "x");
  DatasetWriter writer2;
  EXPECT_EQ(writer2.Open(dir_ / "file", pk(), schema_, layout_, 2).code(),
            Status::Code::kAlreadyExists);
}

TEST_F(DatasetTest, ACommittedDatasetCannotBeOverwritten) {
  const std::string path = dir_ / "data";
  WriteDataset(path, 2, 10);
  const std::string manifest = ReadText(path + "/manifest.json");
  DatasetWriter writer;
  EXPECT_EQ(writer.Open(path, pk(), schema_, layout_, 2).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(ReadText(path + "/manifest.json"), manifest);
}

TEST_F(DatasetTest, AnEmptyDatasetRoundTrips) {
  const std::string path = dir_ / "empty";
  WriteDataset(path, 0, 10);
  auto dataset = OpenDataset(path);
  ASSERT_TRUE(dataset.ok()) << dataset.status().ToString();
  EXPECT_EQ(dataset->manifest.record_count, 0u);
  EXPECT_TRUE(dataset->manifest.segments.empty());
}

// --- Manifest parsing ------------------------------------------------------------------------

class DatasetManifestTest : public DatasetTest {
 protected:
  void SetUp() override {
    DatasetTest::SetUp();
    WriteDataset(dir_ / "data", 3, 2);
    text_ = ReadText(dir_ / "data/manifest.json");
    json_ = nlohmann::json::parse(text_);
  }
  Status Parse(const nlohmann::json& j) { return ManifestFromJson(j.dump()).status(); }
  std::string text_;
  nlohmann::json json_;
};

TEST_F(DatasetManifestTest, ValidManifestRoundTrips) {
  auto m = ManifestFromJson(text_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->record_count, 3u);
  ASSERT_EQ(m->segments.size(), 2u);
  EXPECT_EQ(m->segments[0].name, "part-00000");
  EXPECT_EQ(ManifestToJson(*m), text_);
}

TEST_F(DatasetManifestTest, RejectsBadJson) {
  for (const char* bad : {"", "{", "{not json", "[]", "42", "\"manifest\"", "null"}) {
    auto m = ManifestFromJson(bad);
    EXPECT_EQ(m.status().code(), Status::Code::kCorruption)
        << "'" << bad << "': " << m.status().ToString();
  }
  EXPECT_EQ(ManifestFromJson(text_.substr(0, text_.size() / 2)).status().code(),
            Status::Code::kCorruption);
}

TEST_F(DatasetManifestTest, RejectsAnotherFormat) {
  auto j = json_;
  j["format"] = "cipherstat-result";
  Status s = Parse(j);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  j.erase("format");
  EXPECT_FALSE(Parse(j).ok());
}

TEST_F(DatasetManifestTest, RejectsVersion6) {
  auto j = json_;
  j["version"] = 6;
  Status s = Parse(j);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("version 6"), std::string::npos) << s.ToString();
  j["version"] = "5";
  EXPECT_FALSE(Parse(j).ok()) << "a version that is a string";
}

// Version 3 had no tags (encoding/authenticator.h): its results could not be verified, so such
// a dataset is refused with what to do.
TEST_F(DatasetManifestTest, AManifestWithoutTagsIsRefusedWithARequestToReEncrypt) {
  auto j = json_;
  j["version"] = 3;
  j.erase("public_tuples");
  j.erase("dataset_id");
  j.erase("min_cell");
  const Status s = Parse(j);
  EXPECT_EQ(s.code(), Status::Code::kNotSupported) << s.ToString();
  EXPECT_NE(s.ToString().find("no tags"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("re-encrypt"), std::string::npos) << s.ToString();
}

// Version 2 showed the compute party the owner's schema; such a dataset is refused with what
// to do, not read.
TEST_F(DatasetManifestTest, AnOldFormatDatasetIsRefusedWithARequestToReEncrypt) {
  auto j = json_;
  j["version"] = 2;
  j.erase("catalog");
  j.erase("sealed_schema");
  j["schema"] = nlohmann::json::parse(SchemaToJson(schema_));
  Status s = Parse(j);
  EXPECT_EQ(s.code(), Status::Code::kNotSupported) << s.ToString();
  EXPECT_NE(s.ToString().find("re-encrypt"), std::string::npos) << s.ToString();
  // The same through OpenDataset, which names the file.
  WriteText(dir_ / "data/manifest.json", j.dump());
  auto opened = OpenDataset(dir_ / "data");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().ToString().find("manifest.json"), std::string::npos)
      << opened.status().ToString();
  EXPECT_NE(opened.status().ToString().find("re-encrypt"), std::string::npos)
      << opened.status().ToString();
}

// What the compute party reads of the schema is its catalog; the rest is sealed and opens
// only with the key's plaintext, and only as the schema behind that catalog and layout.
TEST_F(DatasetManifestTest, TheManifestCarriesTheCatalogAndASealedSchema) {
  auto m = ManifestFromJson(text_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->catalog, CatalogOf(schema_));
  EXPECT_FALSE(json_.contains("schema"));
  EXPECT_EQ(text_.find("\"max\""), std::string::npos) << text_;
  auto key = crypto::SealedKey(pk(), m->sealed_schema);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto k = crypto::Decrypt(*sk_, *key);
  ASSERT_TRUE(k.ok());
  const size_t tuples = m->public_tuples.size();
  auto opened = OpenOwnerSecrets(pk(), m->sealed_schema, *k, m->catalog, m->layout_json, tuples);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(SchemaToJson(opened->schema), SchemaToJson(schema_));
  EXPECT_EQ(opened->tuple_randoms.size(), tuples);
  // Under another catalog (a renamed column) it does not open.
  Catalog renamed = m->catalog;
  renamed.columns[0].name = "town";
  EXPECT_EQ(
      OpenOwnerSecrets(pk(), m->sealed_schema, *k, renamed, m->layout_json, tuples).status().code(),
      Status::Code::kCorruption);
  // Nor with a wrong key plaintext.
  EXPECT_EQ(OpenOwnerSecrets(pk(), m->sealed_schema, *k + crypto::BigInt(1), m->catalog,
                             m->layout_json, tuples)
                .status()
                .code(),
            Status::Code::kCorruption);
  // Nor as the verifier of a dataset with other public tuples.
  EXPECT_EQ(OpenOwnerSecrets(pk(), m->sealed_schema, *k, m->catalog, m->layout_json, tuples + 1)
                .status()
                .code(),
            Status::Code::kCorruption);
}

TEST_F(DatasetManifestTest, RejectsSegmentNamesThatLeaveTheSegmentsFolder) {
  for (const char* name :
       {"../manifest.json", "sub/part-00000", "/etc/passwd", "", ".", "..", ".hidden"}) {
    auto j = json_;
    j["segments"][0]["name"] = name;
    Status s = Parse(j);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << "'" << name << "': " << s.ToString();
  }
}

TEST_F(DatasetManifestTest, RejectsARecordCountThatDisagreesWithTheSegments) {
  auto j = json_;
  j["record_count"] = 4;
  Status s = Parse(j);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("record_count"), std::string::npos) << s.ToString();
  j = json_;
  j["segments"][1]["records"] = 2;
  EXPECT_EQ(Parse(j).code(), Status::Code::kCorruption);
  j = json_;
  j["segments"].erase(1);
  EXPECT_EQ(Parse(j).code(), Status::Code::kCorruption) << "a segment left out";
}

// The manifest is input the compute side does not control: chunk fields that no writer could
// have written are refused before any reader sizes a buffer or an offset by them (sums that
// wrapped around 2^64 once let a reader run off the end of its buffer).
TEST_F(DatasetManifestTest, RejectsChunksNoWriterWrites) {
  ASSERT_EQ(json_["segments"][0]["chunks"].size(), 1u);
  auto rejects = [&](const std::function<void(nlohmann::json&)>& change, const char* what,
                     const char* message) {
    auto j = json_;
    change(j["segments"][0]["chunks"][0]);
    const Status s = Parse(j);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << what << ": " << s.ToString();
    EXPECT_NE(s.message().find(message), std::string::npos) << what << ": " << s.ToString();
  };
  rejects([](nlohmann::json& c) { c["records"] = 0; }, "no records", "a chunk of 0 records");
  rejects([](nlohmann::json& c) { c["records"] = kChunkRecords + 1; }, "too many records",
          "a chunk of");
  rejects([](nlohmann::json& c) { c["records"] = uint64_t{1} << 55; }, "a huge count",
          "a chunk of");
  rejects([](nlohmann::json& c) { c["public_bytes"] = 1; }, "lines shorter than a byte",
          "public bytes");
  rejects([](nlohmann::json& c) { c["public_bytes"] = uint64_t{1} << 63; }, "a huge length",
          "public bytes");
  rejects([](nlohmann::json& c) { c["ciphertexts"].erase(0); }, "a digest missing",
          "ciphertext digests");
  rejects([](nlohmann::json& c) { c["records"] = c["records"].get<int>() + 1; },
          "chunks that do not add up to the segment", "its chunks hold");
}

// The public tuples are the owner's map of what a query selects (query/verify.h): they must
// list each combination once, in order, with counts adding up to the dataset's.
TEST_F(DatasetManifestTest, RejectsPublicTuplesThatDoNotDescribeTheRecords) {
  ASSERT_EQ(json_["public_tuples"], nlohmann::json::parse(R"([["north",2],["south",1]])"))
      << json_["public_tuples"].dump();
  for (const char* tuples :
       {R"([["north",3],["south",1]])", R"([["north",2]])", R"([["south",1],["north",2]])",
        R"([["north",1],["north",1],["south",1]])", R"([["north",3],["south",0]])",
        R"([["north","x",2],["south",1]])", R"([["north",2],["south",1],["west",0]])", R"({})"}) {
    auto j = json_;
    j["public_tuples"] = nlohmann::json::parse(tuples);
    const Status s = Parse(j);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << tuples;
    EXPECT_NE(s.message().find("public tuples"), std::string::npos) << s.ToString();
  }
}

TEST_F(DatasetManifestTest, RejectsMissingOrMistypedFields) {
  for (const char* field : {"name", "key_fingerprint", "record_count", "catalog", "layout",
                            "sealed_schema", "segments"}) {
    auto j = json_;
    j.erase(field);
    EXPECT_FALSE(Parse(j).ok()) << "without " << field;
  }
  auto j = json_;
  j["record_count"] = "three";
  EXPECT_EQ(Parse(j).code(), Status::Code::kCorruption);
  j = json_;
  j["segments"] = "part-00000";
  EXPECT_FALSE(Parse(j).ok());
  j = json_;
  j["catalog"]["columns"][0]["levels"] = -1;  // the catalog is validated too
  EXPECT_FALSE(Parse(j).ok());
  j = json_;
  j["sealed_schema"]["box"] = "not base64!";
  EXPECT_FALSE(Parse(j).ok());
}

// --- Public lines ------------------------------------------------------------------------------

TEST_F(DatasetTest, SplitPublicLineChecksTheValueCount) {
  std::vector<std::string_view> out;
  ASSERT_TRUE(SplitPublicLine("north\t2020", 2, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], "2020");
  ASSERT_TRUE(SplitPublicLine("", 1, &out).ok()) << "an empty (NULL) public value";
  EXPECT_EQ(out.at(0), "");
  ASSERT_TRUE(SplitPublicLine("", 0, &out).ok());
  EXPECT_TRUE(out.empty());
  for (const char* bad : {"north", "north\t2020\tx", "\t\t"}) {
    Status s = SplitPublicLine(bad, 2, &out);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << "'" << bad << "'";
    EXPECT_NE(s.message().find("expected 2 public values"), std::string::npos) << s.ToString();
  }
  EXPECT_FALSE(SplitPublicLine("x", 0, &out).ok());
}

std::string Base64(const std::string& raw,
                   int variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING) {
  std::string out(sodium_base64_encoded_len(raw.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), variant);
  out.resize(out.size() - 1);
  return out;
}

TEST_F(DatasetTest, DecodeCiphertextFieldRejectsBadBase64AndWrongLengths) {
  const crypto::Ciphertext c = crypto::Encrypt(pk(), crypto::BigInt(42));
  const std::string raw = crypto::CiphertextToFixedBytes(pk(), c);
  ASSERT_EQ(raw.size(), pk().ciphertext_bytes());
  auto ok = DecodeCiphertextField(pk(), Base64(raw));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->value == c.value);

  auto expect_bad = [&](const std::string& field, const char* what) {
    auto r = DecodeCiphertextField(pk(), field);
    EXPECT_FALSE(r.ok()) << what;
    if (!r.ok()) {
      EXPECT_NE(r.status().code(), Status::Code::kOk) << what;
    }
  };
  std::string bad = Base64(raw);
  bad[10] = '!';
  expect_bad(bad, "a character outside base64");
  expect_bad("", "empty");
  expect_bad(Base64(raw, sodium_base64_VARIANT_ORIGINAL), "padded base64");
  expect_bad(Base64(raw.substr(1)), "one byte short");
  expect_bad(Base64(raw + std::string(1, '\0')), "one byte long");
  expect_bad(Base64(raw + std::string(7, '\x01')), "several bytes long");
  expect_bad(Base64(std::string(raw.size(), '\xff')), "a value above n squared");
  expect_bad(Base64(std::string(raw.size(), '\0')), "zero");
  expect_bad(Base64(raw) + " ", "trailing space");
  // n itself shares a factor with n.
  expect_bad(Base64(pk().n().ToBytes(raw.size())), "a multiple of n");
}

// --- Opening -----------------------------------------------------------------------------------

TEST_F(DatasetTest, OpenDatasetRejectsAPublicKeyOfAnotherKeyNamingTheFingerprint) {
  const std::string path = dir_ / "data";
  WriteDataset(path, 2, 10);
  WriteText(path + "/public.key", crypto::PublicKeyToJson(other_->public_key()));
  auto dataset = OpenDataset(path);
  ASSERT_FALSE(dataset.ok());
  EXPECT_NE(dataset.status().ToString().find("fingerprint"), std::string::npos)
      << dataset.status().ToString();
}

TEST_F(DatasetTest, OpenDatasetRejectsIncompleteOrAlteredDatasets) {
  const std::string path = dir_ / "data";
  WriteDataset(path, 2, 10);
  const std::string manifest = ReadText(path + "/manifest.json");
  {  // No manifest: a half-written dataset.
    fs::rename(path + "/manifest.json", path + "/manifest.json.away");
    auto d = OpenDataset(path);
    EXPECT_FALSE(d.ok());
    EXPECT_NE(d.status().ToString().find(path), std::string::npos) << d.status().ToString();
    fs::rename(path + "/manifest.json.away", path + "/manifest.json");
  }
  {  // A layout that does not match the schema.
    auto j = nlohmann::json::parse(manifest);
    j["layout"]["slots"][0]["width"] = j["layout"]["slots"][0]["width"].get<int>() + 1;
    WriteText(path + "/manifest.json", j.dump(1));
    auto d = OpenDataset(path);
    EXPECT_EQ(d.status().code(), Status::Code::kCorruption) << d.status().ToString();
    WriteText(path + "/manifest.json", manifest);
  }
  {  // No public key.
    fs::remove(path + "/public.key");
    EXPECT_FALSE(OpenDataset(path).ok());
  }
  EXPECT_FALSE(OpenDataset(dir_ / "nowhere").ok());
}

// --- The owner's signature, as the compute side checks it (issue 17, attack 7) ----------------

// Two datasets of one owner, A (3 records) and B (5): the folders a compute party holds.
class SignedDatasetTest : public DatasetTest {
 protected:
  void SetUp() override {
    DatasetTest::SetUp();
    WriteDataset(a_, 3, 2, &owner_);
    WriteDataset(b_, 5, 2, &owner_);
  }
  static void ExpectRefusedAsADifferentManifest(const std::string& path, const std::string& field) {
    auto d = OpenDataset(path);
    ASSERT_FALSE(d.ok()) << "a manifest.json the owner did not sign was opened";
    EXPECT_EQ(d.status().code(), Status::Code::kCorruption);
    const std::string message = d.status().message();
    EXPECT_NE(message.find(path +
                           ": manifest.json differs from the owner's signed manifest.sig "
                           "(field \"" +
                           field + "\")"),
              std::string::npos)
        << message;
  }

  const crypto::SigningKey owner_ = crypto::SigningKey::Generate();
  const std::string a_ = dir_ / "a";
  const std::string b_ = dir_ / "b";
};

TEST_F(SignedDatasetTest, AnHonestSignedDatasetOpens) {
  auto d = OpenDataset(a_);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->manifest_signature, ReadText(a_ + "/manifest.sig"));
  EXPECT_TRUE(CheckManifestAgainstSignature(d->manifest, d->manifest_signature).ok());
}

TEST_F(SignedDatasetTest, AnotherDatasetBesideThisManifestSigIsRefused) {
  // B's manifest.json and segments under A's manifest.sig: each file is genuine, and the
  // signature verifies, but it vouches for A.
  fs::copy_file(a_ + "/manifest.sig", b_ + "/manifest.sig", fs::copy_options::overwrite_existing);
  ExpectRefusedAsADifferentManifest(b_, "dataset_id");
}

TEST_F(SignedDatasetTest, AnEditedRecordCountIsRefused) {
  // One byte of the count (3 -> 4) and of a segment's, with the checksum recomputed as anyone
  // can: consistent enough for ManifestFromJson, but not what the owner signed.
  auto j = nlohmann::json::parse(ReadText(a_ + "/manifest.json"));
  ASSERT_EQ(j["record_count"], 3);
  j.erase("checksum");
  j["record_count"] = 4;
  j["segments"][1]["records"] = j["segments"][1]["records"].get<int>() + 1;
  j["segments"][1]["chunks"][0]["records"] =
      j["segments"][1]["chunks"][0]["records"].get<int>() + 1;
  j["public_tuples"][0][1] = j["public_tuples"][0][1].get<int>() + 1;
  WriteText(a_ + "/manifest.json", DumpWithChecksum(j));
  ASSERT_TRUE(ManifestFromJson(ReadText(a_ + "/manifest.json")).ok());
  ExpectRefusedAsADifferentManifest(a_, "record_count");
}

TEST_F(SignedDatasetTest, AManifestSigThatDoesNotVerifyIsRefused) {
  std::string sig = ReadText(a_ + "/manifest.sig");
  const size_t at = sig.find("\"signature\": \"") + 14;
  sig[at] = sig[at] == '0' ? '1' : '0';
  WriteText(a_ + "/manifest.sig", sig);
  auto d = OpenDataset(a_);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Status::Code::kCorruption) << d.status().ToString();
  EXPECT_NE(d.status().message().find("signed manifest"), std::string::npos)
      << d.status().ToString();
}

}  // namespace
}  // namespace cipherstat
