// Corruption: a single flipped bit or a truncation anywhere in a dataset segment, the manifest,
// an encrypted result or a keystore is detected and named, never turned into a wrong answer.
// (In a segment, a query checks the columns it reads; `cipherstat verify` checks them all.)
//
// One small dataset is encrypted once per suite; each test damages a copy of one file at a
// deterministic sample of positions (header, middle, end, and a spread in between), runs the
// step that reads it, and restores the file. "Detected" means the step fails; where the step
// succeeds anyway (a flip in a timestamp, say) its answer must equal the undamaged answer,
// which itself equals the plaintext evaluation of the same CSV.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/keystore.h"
#include "engine/mapreduce.h"
#include "pipeline/release.h"
#include "query/decode.h"
#include "report/render.h"
#include "store/dataset.h"
#include "store/encrypt.h"
#include "store/result_file.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using testing::ReadText;
using testing::ScratchDir;
using testing::WriteText;

constexpr const char* kSchemaJson = R"({
 "format": "cipherstat-schema", "version": 1, "name": "cohort", "max_records": 1000000000000,
 "columns": [
  {"name": "patient_id", "kind": "identifier"},
  {"name": "site", "kind": "categorical", "levels": ["Kampala", "Mbarara"], "public": true},
  {"name": "sex", "kind": "categorical", "levels": ["F", "M"]},
  {"name": "arm", "kind": "numeric", "min": 0, "max": 3, "decimals": 0,
   "levels": ["0", "1", "2", "3"]},
  {"name": "age", "kind": "numeric", "min": 18, "max": 90, "decimals": 0},
  {"name": "cd4", "kind": "numeric", "min": 0, "max": 2000, "decimals": 0,
   "bins": [0, 200, 350, 500, "inf"]}
 ],
 "crosses": [{"by": "arm", "over": ["cd4", "age"]}, {"by": "sex", "over": ["age", "cd4"]}]
})";

constexpr const char* kGroupedSql =
    "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm";
constexpr const char* kPublicSql =
    "SELECT site, sex, COUNT(*), AVG(age), VARIANCE(age) FROM cohort GROUP BY site, sex";

constexpr uint64_t kRecords = 48;
constexpr uint64_t kRecordsPerSegment = 16;

std::string CohortCsv() {
  std::string csv = "patient_id,site,sex,arm,age,cd4\n";
  for (uint64_t i = 0; i < kRecords; ++i) {
    csv += std::to_string(1000 + i) + "," + (i % 3 == 0 ? "Mbarara" : "Kampala") + "," +
           (i % 2 == 0 ? "F" : "M") + "," + std::to_string(i % 4) + "," +
           (i % 11 == 5 ? "" : std::to_string(18 + (i * 7) % 70)) + "," +
           std::to_string((i * 97) % 1200) + "\n";
  }
  return csv;
}

// Byte positions to damage in a file of `size` bytes: the first and last bytes, a window at
// the start (headers, JSON keys), the middle, the end, and a fixed spread in between.
std::vector<size_t> SamplePositions(size_t size, size_t spread) {
  std::vector<size_t> out;
  if (size == 0) return out;
  for (size_t i = 0; i < 6 && i < size; ++i) out.push_back(i);
  for (size_t i = 0; i < 4; ++i) out.push_back(std::min(size - 1, size / 2 + i * 3));
  for (size_t i = 1; i <= 4; ++i) out.push_back(size - std::min(size, i * 2 - 1));
  uint64_t x = 0x9E3779B97F4A7C15ULL ^ size;  // splitmix64: deterministic per file size
  for (size_t i = 0; i < spread; ++i) {
    x += 0x9E3779B97F4A7C15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    out.push_back(static_cast<size_t>((z ^ (z >> 31)) % size));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string FlipBit(std::string bytes, size_t pos, int bit) {
  bytes[pos] = static_cast<char>(static_cast<unsigned char>(bytes[pos]) ^ (1u << bit));
  return bytes;
}

std::string Describe(size_t pos, int bit, const std::string& original) {
  const char ch = original[pos];
  return "bit " + std::to_string(bit) + " of byte " + std::to_string(pos) + " ('" +
         (ch >= 32 && ch < 127 ? std::string(1, ch) : "\\x" + std::to_string(ch & 0xff)) + "')";
}

class CorruptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ScratchDir>();
    auto sk = crypto::GenerateKey(2048);
    ASSERT_TRUE(sk.ok()) << sk.status().ToString();
    sk_ = std::make_unique<crypto::SecretKey>(std::move(sk).value());
    owner_ = std::make_unique<crypto::SigningKey>(crypto::SigningKey::Generate());
    auto schema = SchemaFromJson(kSchemaJson);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    schema_ = *schema;
    WriteText(P("clean.csv"), CohortCsv());
    EncryptOptions options;
    options.threads = 2;
    options.records_per_segment = kRecordsPerSegment;
    options.signer = owner_.get();
    auto stats = EncryptCsv(schema_, nullptr, sk_.get(), P("clean.csv"), P("dataset"), options);
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    for (const char* sql : {kGroupedSql, kPublicSql}) {
      auto table = RunPipeline(P("dataset"), sql, nullptr);
      ASSERT_TRUE(table.ok()) << table.status().ToString();
      expected_.push_back(*table);
      // The undamaged answer is the plaintext answer.
      ASSERT_EQ(*table, PlaintextAnswer(sql));
    }
  }
  static void TearDownTestSuite() {
    sk_.reset();
    owner_.reset();
    dir_.reset();
  }

  static std::string P(const std::string& name) { return *dir_ / name; }
  // The released JSON of `sql` computed on the clean CSV, with the facts only the encrypted
  // dataset knows (its key, identity and creation time) copied from its manifest.
  static std::string PlaintextAnswer(const std::string& sql) {
    auto dataset = OpenDataset(P("dataset"));
    EXPECT_TRUE(dataset.ok()) << dataset.status().ToString();
    auto plain = EvaluatePlaintext(schema_, dataset->layout.plaintext_bits(), sql, P("clean.csv"),
                                   ReleaseOptions(0));
    EXPECT_TRUE(plain.ok()) << plain.status().ToString();
    if (!dataset.ok() || !plain.ok()) return "";
    plain->key_fingerprint = dataset->manifest.key_fingerprint;
    plain->dataset_id = dataset->manifest.dataset_id;
    plain->dataset_created_utc = dataset->manifest.created_utc;
    return RenderJson(*plain);
  }

  // Query, write the encrypted result to `result_path` (when given), read it back, decrypt.
  // Returns the released table as JSON; no small-cell suppression, so that every cell counts.
  static Result<std::string> RunPipeline(const std::string& dataset_path, const std::string& sql,
                                         const std::string* result_path) {
    CS_ASSIGN_OR_RETURN(Dataset dataset, OpenDataset(dataset_path));
    CS_ASSIGN_OR_RETURN(Plan plan, MakePlan(sql, dataset.manifest.catalog, dataset.layout));
    LocalOptions options;
    options.threads = 1;
    CS_ASSIGN_OR_RETURN(EncryptedResult result, RunLocal(dataset, plan, options));
    const std::string path = result_path ? *result_path : P("scratch-result.json");
    CS_RETURN_IF_ERROR(WriteFileAtomic(path, EncryptedResultToJson(dataset.public_key, result)));
    return DecryptResultFile(path);
  }

  static Result<std::string> DecryptResultFile(const std::string& path) {
    CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    auto parsed = EncryptedResultFromJson(text, &sk_->public_key());
    if (!parsed.ok()) return parsed.status().WithContext(path);
    auto table = pipeline::DecryptResult(*sk_, owner_->verify_key(), *parsed, ReleaseOptions(0));
    if (!table.ok()) return table.status().WithContext(path);
    return RenderJson(*table);
  }

  static inline std::unique_ptr<ScratchDir> dir_;
  static inline std::unique_ptr<crypto::SigningKey> owner_;
  static inline std::unique_ptr<crypto::SecretKey> sk_;
  static inline Schema schema_;
  static inline std::vector<std::string> expected_;
};

// A query checks the bytes it uses (the public values, the separators and the ciphertext
// columns it reads: store/dataset.h): a flip there is detected and names the segment. A flip
// in a ciphertext column the query does not read cannot change its answer, and does not.
TEST_F(CorruptionTest, EverySampledBitFlipAQueryReadsIsDetectedAndNamesTheSegment) {
  auto dataset = OpenDataset(P("dataset"));
  ASSERT_TRUE(dataset.ok());
  ASSERT_EQ(dataset->manifest.segments.size(), kRecords / kRecordsPerSegment);
  // The first of these that leaves a ciphertext column unread.
  std::string sql;
  Result<Plan> plan = Status::NotFound("no query skips a ciphertext column");
  for (const char* candidate : {kGroupedSql, kPublicSql, "SELECT COUNT(*), AVG(age) FROM cohort",
                                "SELECT sex, COUNT(*) FROM cohort GROUP BY sex"}) {
    sql = candidate;
    plan = MakePlan(sql, dataset->manifest.catalog, dataset->layout);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    if (plan->ciphertexts.size() < static_cast<size_t>(dataset->layout.num_ciphertexts())) break;
  }
  ASSERT_LT(plan->ciphertexts.size(), static_cast<size_t>(dataset->layout.num_ciphertexts()))
      << "the test needs a query that skips a ciphertext column";
  auto expected = RunPipeline(P("dataset"), sql, nullptr);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  ASSERT_EQ(*expected, PlaintextAnswer(sql));
  const int columns = dataset->layout.num_ciphertexts();
  int detected = 0, unread = 0;
  for (const SegmentInfo& segment : dataset->manifest.segments) {
    // The public file (-1), always read, and each ciphertext column's file.
    for (int column = -1; column < columns; ++column) {
      const std::string path = dataset->SegmentFile(segment, column);
      const std::string name = path.substr(path.rfind('/') + 1);
      const std::string original = ReadText(path);
      ASSERT_FALSE(original.empty());
      const bool read = column < 0 || std::find(plan->ciphertexts.begin(), plan->ciphertexts.end(),
                                                column) != plan->ciphertexts.end();
      for (size_t pos : SamplePositions(original.size(), 6)) {
        const int bit = static_cast<int>(pos % 8);
        WriteText(path, FlipBit(original, pos, bit));
        auto table = RunPipeline(P("dataset"), sql, nullptr);
        // `cipherstat verify` checks every column, so it notices every flip.
        Status whole = VerifyDataset(*dataset, nullptr);
        WriteText(path, original);
        EXPECT_EQ(whole.code(), Status::Code::kCorruption)
            << name << ": " << Describe(pos, bit, original) << ": " << whole.ToString();
        EXPECT_NE(whole.ToString().find(name), std::string::npos) << whole.ToString();
        if (!read && table.ok()) {
          ASSERT_EQ(*table, *expected)
              << name << ": " << Describe(pos, bit, original) << " gave a wrong answer";
          ++unread;
          continue;
        }
        ASSERT_FALSE(table.ok()) << name << ": " << Describe(pos, bit, original)
                                 << " (a column the query reads) was not detected";
        EXPECT_EQ(table.status().code(), Status::Code::kCorruption) << table.status().ToString();
        EXPECT_NE(table.status().ToString().find(name + ": chunk 0"), std::string::npos)
            << table.status().ToString();
        ++detected;
      }
    }
  }
  EXPECT_GE(detected, 30);
  EXPECT_GE(unread, 10);
  std::printf("segment flips: %d detected, %d in unread columns (same answer)\n", detected, unread);
}

TEST_F(CorruptionTest, AnAlteredPublicLineIsNamedByFileAndChunk) {
  auto dataset = OpenDataset(P("dataset"));
  ASSERT_TRUE(dataset.ok());
  const SegmentInfo& segment = dataset->manifest.segments[1];
  const std::string path = dataset->SegmentFile(segment, -1);
  const std::string original = ReadText(path);
  // A tab into the third line: one field too many. The chunk's digest catches it before any
  // line is parsed.
  size_t third = original.find('\n', original.find('\n') + 1) + 1;
  std::string damaged = original;
  damaged[third] = '\t';
  WriteText(path, damaged);
  auto table = RunPipeline(P("dataset"), kGroupedSql, nullptr);
  WriteText(path, original);
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().ToString().find("part-00001.pub: chunk 0 (records 1-" +
                                           std::to_string(segment.records) + ")"),
            std::string::npos)
      << table.status().ToString();
}

TEST_F(CorruptionTest, TruncatedSegmentFilesAreDetected) {
  auto dataset = OpenDataset(P("dataset"));
  ASSERT_TRUE(dataset.ok());
  const SegmentInfo& segment = dataset->manifest.segments.back();
  auto plan = MakePlan(kGroupedSql, dataset->manifest.catalog, dataset->layout);
  ASSERT_TRUE(plan.ok());
  for (int column : {-1, plan->ciphertexts.at(0)}) {
    const std::string path = dataset->SegmentFile(segment, column);
    const std::string name = path.substr(path.rfind('/') + 1);
    const std::string original = ReadText(path);
    for (size_t keep : {size_t{0}, size_t{1}, original.size() / 2, original.size() - 1}) {
      WriteText(path, original.substr(0, keep));
      auto table = RunPipeline(P("dataset"), kGroupedSql, nullptr);
      WriteText(path, original);
      ASSERT_FALSE(table.ok()) << name << " truncated to " << keep << " bytes";
      EXPECT_NE(table.status().ToString().find(name + ": ends before byte"), std::string::npos)
          << table.status().ToString();
    }
  }
  // Bytes appended change no answer (no reader looks past the manifest's chunks), but
  // `cipherstat verify` reports them.
  const std::string path = dataset->SegmentFile(segment, 0);
  const std::string original = ReadText(path);
  WriteText(path, original + "extra");
  Status whole = VerifyDataset(*dataset, nullptr);
  WriteText(path, original);
  EXPECT_EQ(whole.code(), Status::Code::kCorruption) << whole.ToString();
  EXPECT_NE(whole.ToString().find("truncated or altered"), std::string::npos) << whole.ToString();
}

TEST_F(CorruptionTest, BitFlipsInTheManifestAreDetectedOrChangeNothing) {
  const std::string path = P("dataset/manifest.json");
  const std::string original = ReadText(path);
  int detected = 0, harmless = 0;
  for (size_t pos : SamplePositions(original.size(), 60)) {
    const int bit = static_cast<int>(pos % 8);
    WriteText(path, FlipBit(original, pos, bit));
    for (size_t q = 0; q < 2; ++q) {
      auto table = RunPipeline(P("dataset"), q == 0 ? kGroupedSql : kPublicSql, nullptr);
      if (table.ok()) {
        ASSERT_EQ(*table, expected_[q])
            << "manifest " << Describe(pos, bit, original) << " gave a wrong answer";
        ++harmless;
      } else {
        ++detected;
      }
    }
    WriteText(path, original);
  }
  EXPECT_GT(detected, 0);
  std::printf("manifest flips: %d detected, %d harmless (same answer)\n", detected, harmless);
}

TEST_F(CorruptionTest, ATruncatedManifestIsNamed) {
  const std::string path = P("dataset/manifest.json");
  const std::string original = ReadText(path);
  for (size_t keep : {size_t{0}, size_t{1}, original.size() / 2, original.size() - 2}) {
    WriteText(path, original.substr(0, keep));
    auto table = RunPipeline(P("dataset"), kGroupedSql, nullptr);
    WriteText(path, original);
    ASSERT_FALSE(table.ok()) << "truncated to " << keep << " bytes";
    EXPECT_NE(table.status().ToString().find("manifest.json"), std::string::npos)
        << table.status().ToString();
  }
}

TEST_F(CorruptionTest, BitFlipsInAResultFileAreDetectedOrChangeNothing) {
  for (size_t q = 0; q < 2; ++q) {
    const std::string path = P("result" + std::to_string(q) + ".json");
    auto table = RunPipeline(P("dataset"), q == 0 ? kGroupedSql : kPublicSql, &path);
    ASSERT_TRUE(table.ok());
    const std::string original = ReadText(path);
    for (size_t pos : SamplePositions(original.size(), 60)) {
      const int bit = static_cast<int>(pos % 8);
      WriteText(path, FlipBit(original, pos, bit));
      auto damaged = DecryptResultFile(path);
      if (damaged.ok()) {
        ASSERT_EQ(*damaged, expected_[q])
            << "result " << Describe(pos, bit, original) << " gave a wrong answer";
      } else {
        EXPECT_NE(damaged.status().ToString().find(path), std::string::npos)
            << damaged.status().ToString();
      }
    }
    for (size_t keep : {size_t{0}, size_t{1}, original.size() / 2, original.size() - 3}) {
      WriteText(path, original.substr(0, keep));
      EXPECT_FALSE(DecryptResultFile(path).ok()) << "truncated to " << keep << " bytes";
    }
  }
}

TEST_F(CorruptionTest, BitFlipsAndTruncationInAKeystoreAreDetected) {
  const std::string path = P("secret.key");
  crypto::Passphrase pass("correct horse");
  ASSERT_TRUE(crypto::WriteKeystore(path, *sk_, pass, crypto::FastKdfLimits()).ok());
  const std::string original = ReadText(path);
  // Each flip that survives parsing costs one Argon2id run, so the sample is smaller.
  for (size_t pos : SamplePositions(original.size(), 6)) {
    const int bit = static_cast<int>(pos % 8);
    WriteText(path, FlipBit(original, pos, bit));
    auto sk = crypto::ReadKeystore(path, pass);
    ASSERT_FALSE(sk.ok()) << "keystore " << Describe(pos, bit, original) << " was not detected";
    EXPECT_NE(sk.status().ToString().find(path), std::string::npos) << sk.status().ToString();
  }
  for (size_t keep : {size_t{0}, size_t{1}, original.size() / 2, original.size() - 3}) {
    WriteText(path, original.substr(0, keep));
    auto sk = crypto::ReadKeystore(path, pass);
    ASSERT_FALSE(sk.ok()) << "truncated to " << keep << " bytes";
    EXPECT_NE(sk.status().ToString().find(path), std::string::npos) << sk.status().ToString();
  }
  WriteText(path, original);
  EXPECT_TRUE(crypto::ReadKeystore(path, pass).ok());
}

}  // namespace
}  // namespace cipherstat
