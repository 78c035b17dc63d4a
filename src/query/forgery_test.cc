// Issue 17: a dishonest compute party — the public key, every segment and honest results in
// hand — forges results; the owner must refuse every forgery and release every honest result
// unchanged. Each attack here is carried out on real ciphertexts with the public key only.
#include <gmp.h>
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "data/clean.h"
#include "data/generate.h"
#include "engine/mapreduce.h"
#include "pipeline/release.h"
#include "query/decode.h"
#include "query/verify.h"
#include "report/render.h"
#include "store/dataset.h"
#include "store/encrypt.h"
#include "store/result_file.h"
#include "store/signed_manifest.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using crypto::BigInt;
using crypto::Ciphertext;

// One record as the compute party holds it.
struct Record {
  std::vector<std::string> public_values;  // sex, site
  std::vector<Ciphertext> ciphertexts;     // every packed ciphertext
};

struct Encrypted {
  std::string path;
  Dataset dataset;
  std::vector<Record> records;
};

class ForgeryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_ = std::make_unique<State>();
    State& s = *state_;
    auto sk = crypto::GenerateKey(2048);
    ASSERT_TRUE(sk.ok()) << sk.status().ToString();
    s.sk = std::move(sk).value();
    const std::string raw = s.dir / "cohort.csv";
    ASSERT_TRUE(GenerateCohort({.records = 160, .seed = 17, .follow_up = true}, raw).ok());
    InferOptions infer;
    infer.products = {{"cd4", "log10_vl"}};
    auto schema = InferSchema(raw, infer);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    s.schema = std::move(schema).value();
    for (Column& c : s.schema.columns) c.is_public = c.name == "sex" || c.name == "site";
    s.schema.crosses = {Cross{"arm", {"cd4"}}};
    for (Column& c : s.schema.columns) {
      if (c.name == "months_followed") c.bins = {0, 12, 24, 36, 48, 60, INFINITY};
    }
    s.schema.survival = {{"months_followed", "died", {"arm"}}};
    ASSERT_TRUE(ValidateSchema(s.schema).ok());
    s.clean = s.dir / "cohort.clean.csv";
    CleanReport report;
    ASSERT_TRUE(CleanCsv(s.schema, raw, s.clean, &report).ok());
    s.a = Encrypt("a", &s.owner);
    s.b = Encrypt("b", &s.owner);  // the same records under the same key: another dataset
  }
  static void TearDownTestSuite() { state_.reset(); }

  struct State {
    testing::ScratchDir dir;
    crypto::SecretKey sk;
    crypto::SigningKey owner = crypto::SigningKey::Generate();
    Schema schema;
    std::string clean;
    Encrypted a, b;
  };
  static State& S() { return *state_; }
  static const crypto::PublicKey& pk() { return S().sk.public_key(); }

  static Encrypted Encrypt(const std::string& name, const crypto::SigningKey* signer) {
    Encrypted e;
    e.path = S().dir / name;
    EncryptOptions options;
    options.records_per_segment = 64;
    options.signer = signer;
    auto stats = EncryptCsv(S().schema, nullptr, &S().sk, S().clean, e.path, options);
    EXPECT_TRUE(stats.ok()) << stats.status().ToString();
    auto dataset = OpenDataset(e.path);
    EXPECT_TRUE(dataset.ok()) << dataset.status().ToString();
    e.dataset = std::move(dataset).value();
    std::vector<int> all(static_cast<size_t>(e.dataset.layout.num_ciphertexts()));
    for (size_t c = 0; c < all.size(); ++c) all[c] = static_cast<int>(c);
    for (const SegmentInfo& seg : e.dataset.manifest.segments) {
      Status read = ReadChunks(e.dataset, seg, 0, seg.chunks.size(), all, [&](const RecordView& v) {
        Record r;
        r.public_values.assign(v.public_values.begin(), v.public_values.end());
        for (std::string_view bytes : v.ciphertexts) {
          CS_ASSIGN_OR_RETURN(crypto::Ciphertext c,
                              crypto::CiphertextFromFixedBytes(e.dataset.public_key, bytes));
          r.ciphertexts.push_back(c);
        }
        e.records.push_back(std::move(r));
        return Status::OK();
      });
      EXPECT_TRUE(read.ok()) << read.ToString();
    }
    return e;
  }

  // The compute party's honest answer, through the result file as the CLI writes it.
  static EncryptedResult Query(const Encrypted& e, const std::string& sql) {
    auto plan = MakePlan(sql, e.dataset.manifest.catalog, e.dataset.layout);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    auto result = RunLocal(e.dataset, *plan, LocalOptions{});
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    auto parsed = EncryptedResultFromJson(EncryptedResultToJson(pk(), *result), &pk());
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return *parsed;
  }

  static Result<ResultTable> Release(const EncryptedResult& r, bool allow_unsigned = false) {
    return pipeline::DecryptResult(S().sk, S().owner.verify_key(), r, ReleaseOptions(0),
                                   allow_unsigned);
  }

  static ::testing::AssertionResult Refused(const EncryptedResult& r) {
    auto table = Release(r);
    if (table.ok()) {
      return ::testing::AssertionFailure() << "released:\n" << RenderText(*table);
    }
    const Status& s = table.status();
    if (s.code() != Status::Code::kCorruption ||
        s.message().rfind("result failed verification: ", 0) != 0) {
      return ::testing::AssertionFailure()
             << "refused, but not as a failed verification: " << s.ToString();
    }
    return ::testing::AssertionSuccess() << s.ToString();
  }

  // The ciphertexts of `record` that `r` sums, in r.ciphertexts order.
  static std::vector<Ciphertext> Summed(const EncryptedResult& r, const Record& record) {
    std::vector<Ciphertext> out;
    for (int k : r.ciphertexts) out.push_back(record.ciphertexts[static_cast<size_t>(k)]);
    return out;
  }
  static void AddRecord(const EncryptedResult& r, const Record& record, EncryptedGroup* g) {
    const std::vector<Ciphertext> cts = Summed(r, record);
    for (size_t i = 0; i < cts.size(); ++i) crypto::AddInPlace(pk(), &g->sums[i], cts[i]);
  }
  static void SubtractRecord(const EncryptedResult& r, const Record& record, EncryptedGroup* g) {
    BigInt minus_one;
    mpz_sub_ui(minus_one.get(), pk().n().get(), 1);
    const std::vector<Ciphertext> cts = Summed(r, record);
    for (size_t i = 0; i < cts.size(); ++i)
      crypto::AddInPlace(pk(), &g->sums[i], crypto::MulScalar(pk(), cts[i], minus_one));
  }
  static std::vector<const Record*> With(const Encrypted& e, size_t column,
                                         const std::string& value) {
    std::vector<const Record*> out;
    for (const Record& r : e.records) {
      if (r.public_values[column] == value) out.push_back(&r);
    }
    return out;
  }
  static size_t GroupOf(const EncryptedResult& r, const std::string& key) {
    for (size_t g = 0; g < r.groups.size(); ++g) {
      if (r.groups[g].key.at(0) == key) return g;
    }
    ADD_FAILURE() << "no group " << key;
    return 0;
  }
  // Index of `slot`'s sum in a result's groups, and the slot.
  static std::pair<size_t, Slot> SumOf(const EncryptedResult& r, SlotKind kind,
                                       const std::string& variable) {
    const Layout& layout = S().a.dataset.layout;
    const Slot& slot = layout.slots()[static_cast<size_t>(layout.Find(kind, variable))];
    for (size_t i = 0; i < r.ciphertexts.size(); ++i) {
      if (r.ciphertexts[i] == slot.ciphertext) return {i, slot};
    }
    ADD_FAILURE() << "the result does not sum " << variable;
    return {0, slot};
  }
  static BigInt Shifted(uint64_t value, int bits) {
    BigInt out(static_cast<unsigned long>(value));
    mpz_mul_2exp(out.get(), out.get(), static_cast<mp_bitcnt_t>(bits));
    return out;
  }

  static inline std::unique_ptr<State> state_;
};

constexpr size_t kSex = 0, kSite = 1;

// Honest results — with and without WHERE and GROUP BY, WHERE over both public columns, a
// private GROUP BY — are released, and equal the same query on the plaintext CSV.
TEST_F(ForgeryTest, HonestResultsAreReleasedUnchanged) {
  const std::string t = S().schema.name;
  for (const std::string& sql :
       {"SELECT COUNT(*), AVG(cd4), STDDEV(age) FROM " + t,
        "SELECT sex, COUNT(*), AVG(cd4) FROM " + t + " GROUP BY sex",
        "SELECT site, sex, COUNT(*), AVG(log10_vl) FROM " + t + " GROUP BY site, sex",
        "SELECT COUNT(*), AVG(age) FROM " + t + " WHERE sex = 'F'",
        "SELECT arm, COUNT(*), AVG(cd4) FROM " + t +
            " WHERE sex = 'M' AND site <> 'Kampala' GROUP BY arm",
        "SELECT sex, COUNT(*) FROM " + t + " WHERE site = 'nowhere' GROUP BY sex"}) {
    SCOPED_TRACE(sql);
    auto released = Release(Query(S().a, sql));
    ASSERT_TRUE(released.ok()) << released.status().ToString();
    auto plain = EvaluatePlaintext(S().schema, static_cast<int>(pk().plaintext_bits()), sql,
                                   S().clean, ReleaseOptions(0));
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_EQ(RenderCsv(*released), RenderCsv(*plain));
    EXPECT_EQ(released->dataset_id, S().a.dataset.manifest.dataset_id);
  }
}

// Attack 1: a slot's sum shifted by g^(δ·2^offset); counts unchanged.
TEST_F(ForgeryTest, AShiftedSlotIsRefused) {
  EncryptedResult r =
      Query(S().a, "SELECT sex, COUNT(*), AVG(cd4) FROM " + S().schema.name + " GROUP BY sex");
  ASSERT_TRUE(Release(r).ok());
  const auto [index, slot] = SumOf(r, SlotKind::kSum, "cd4");
  Ciphertext& c = r.groups[0].sums[index];
  c = crypto::AddPlain(pk(), c, Shifted(100 * r.groups[0].records, slot.offset));
  EXPECT_TRUE(Refused(r));
}

// Attack 2: five records moved from group F to group M, with and without adjusting the
// record counts.
TEST_F(ForgeryTest, RecordsMovedBetweenPublicGroupsAreRefused) {
  const EncryptedResult honest =
      Query(S().a, "SELECT sex, COUNT(*), AVG(cd4) FROM " + S().schema.name + " GROUP BY sex");
  const std::vector<const Record*> women = With(S().a, kSex, "F");
  ASSERT_GE(women.size(), 5u);
  for (bool adjust_counts : {false, true}) {
    EncryptedResult r = honest;
    EncryptedGroup& f = r.groups[GroupOf(r, "F")];
    EncryptedGroup& m = r.groups[GroupOf(r, "M")];
    for (size_t i = 0; i < 5; ++i) {
      SubtractRecord(r, *women[i], &f);
      AddRecord(r, *women[i], &m);
    }
    if (adjust_counts) f.records -= 5, m.records += 5;
    EXPECT_TRUE(Refused(r)) << "counts adjusted: " << adjust_counts;
  }
}

// Attack 3: the answer to WHERE sex = 'F' relabelled as WHERE sex = 'M'.
TEST_F(ForgeryTest, ARelabelledWhereIsRefused) {
  EncryptedResult r =
      Query(S().a, "SELECT COUNT(*), AVG(age) FROM " + S().schema.name + " WHERE sex = 'F'");
  ASSERT_TRUE(Release(r).ok());
  r.sql = "SELECT COUNT(*), AVG(age) FROM " + S().schema.name + " WHERE sex = 'M'";
  EXPECT_TRUE(Refused(r));
  // Even with the count claimed for M.
  r.groups[0].records = With(S().a, kSex, "M").size();
  EXPECT_TRUE(Refused(r));
}

// Attack 4: one matching record divided out under WHERE, the count lowered or not.
TEST_F(ForgeryTest, ARecordDroppedUnderWhereIsRefused) {
  const std::string site = S().a.records[0].public_values[kSite];
  const EncryptedResult honest = Query(
      S().a, "SELECT COUNT(*), AVG(cd4) FROM " + S().schema.name + " WHERE site = '" + site + "'");
  ASSERT_TRUE(Release(honest).ok());
  for (bool lower_count : {false, true}) {
    EncryptedResult r = honest;
    SubtractRecord(r, S().a.records[0], &r.groups[0]);
    if (lower_count) r.groups[0].records -= 1;
    EXPECT_TRUE(Refused(r)) << "count lowered: " << lower_count;
  }
}

// Attack 5: decryption as an oracle — one patient's ciphertexts, padded with encryptions of
// constants so that the group's count reads what the owner expects.
TEST_F(ForgeryTest, OneRecordPaddedToLookLikeAGroupIsRefused) {
  EncryptedResult r = Query(
      S().a, "SELECT COUNT(*), AVG(age), AVG(cd4) FROM " + S().schema.name + " WHERE sex = 'F'");
  const uint64_t count = r.groups[0].records;
  ASSERT_GE(count, 11u);
  const Record& patient = *With(S().a, kSex, "F")[0];
  r.groups[0].sums = Summed(r, patient);
  const auto [index, slot] = SumOf(r, SlotKind::kCount, "");
  Ciphertext& c = r.groups[0].sums[index];
  c = crypto::AddPlain(pk(), c, Shifted(count - 1, slot.offset));
  EXPECT_TRUE(Refused(r));
}

// Attack 6's first half: raw record ciphertexts posing as groups never reach a decryption.
TEST_F(ForgeryTest, RawRecordsPosingAsGroupsFailTheShapeCheck) {
  EncryptedResult r = Query(S().a, "SELECT COUNT(*), AVG(cd4) FROM " + S().schema.name);
  const EncryptedGroup whole = r.groups[0];
  r.groups.clear();
  for (size_t i = 0; i < 20; ++i) {
    EncryptedGroup g = whole;
    g.records = 1;
    g.sums = Summed(r, S().a.records[i]);
    r.groups.push_back(g);
  }
  auto facts = ResultFacts(r, S().owner.verify_key());
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  EXPECT_EQ(CheckResultShape(*facts, r).status().code(), Status::Code::kCorruption);
  EXPECT_TRUE(Refused(r));
}

// Attack 7: dataset B's result relabelled with dataset A's signed manifest, and A's sums with
// a record of B swapped in for one of A's.
TEST_F(ForgeryTest, AnotherDatasetsCiphertextsAreRefused) {
  const std::string sql =
      "SELECT sex, COUNT(*), AVG(cd4) FROM " + S().schema.name + " GROUP BY sex";
  const EncryptedResult of_a = Query(S().a, sql);
  EncryptedResult of_b = Query(S().b, sql);
  ASSERT_TRUE(Release(of_b).ok());
  ASSERT_NE(S().a.dataset.manifest.dataset_id, S().b.dataset.manifest.dataset_id);
  EncryptedResult relabelled = of_a;
  relabelled.groups = of_b.groups;
  EXPECT_TRUE(Refused(relabelled));

  EncryptedResult mixed = of_a;
  EncryptedGroup& g = mixed.groups[0];
  const std::vector<const Record*> of_a_records = With(S().a, kSex, g.key[0]);
  const std::vector<const Record*> of_b_records = With(S().b, kSex, g.key[0]);
  SubtractRecord(mixed, *of_a_records[0], &g);
  AddRecord(mixed, *of_b_records[1], &g);  // another patient's record in B
  EXPECT_TRUE(Refused(mixed));
}

// Any single bit of any slot of any summed ciphertext — data, tag, or beyond the slots.
TEST_F(ForgeryTest, AnEditOfAnySlotIsRefused) {
  const EncryptedResult honest =
      Query(S().a, "SELECT sex, COUNT(*), AVG(cd4), VARIANCE(age) FROM " + S().schema.name +
                       " GROUP BY sex");
  const Layout& layout = S().a.dataset.layout;
  int edits = 0;
  for (size_t i = 0; i < honest.ciphertexts.size(); ++i) {
    for (const Slot& s : layout.slots()) {
      if (s.ciphertext != honest.ciphertexts[i]) continue;
      for (int bit : {0, s.width - 1}) {
        EncryptedResult r = honest;
        r.groups[1].sums[i] =
            crypto::AddPlain(pk(), r.groups[1].sums[i], Shifted(1, s.offset + bit));
        EXPECT_TRUE(Refused(r)) << "slot " << static_cast<int>(s.kind) << " " << s.variable
                                << " bit " << bit;
        ++edits;
      }
    }
    EncryptedResult r = honest;  // above every slot
    r.groups[0].sums[i] =
        crypto::AddPlain(pk(), r.groups[0].sums[i], Shifted(1, layout.plaintext_bits() - 1));
    EXPECT_TRUE(Refused(r));
  }
  EXPECT_GT(edits, 10);
}

// The slots of products and survival pairs are tagged like every other: an honest correlation
// and Kaplan–Meier curve are released as the plaintext computation gives them, and an edit of
// any slot they read is refused.
TEST_F(ForgeryTest, ProductAndSurvivalSlotsAreVerifiedToo) {
  const std::string sql =
      "SELECT sex, CORR(cd4, log10_vl), REGR_COUNT(cd4, log10_vl), "
      "KAPLAN_MEIER(months_followed, died), EVENTS(months_followed, died) "
      "FROM " +
      S().schema.name + " GROUP BY sex";
  const EncryptedResult honest = Query(S().a, sql);
  auto released = Release(honest);
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  auto plain = EvaluatePlaintext(S().schema, static_cast<int>(pk().plaintext_bits()), sql,
                                 S().clean, ReleaseOptions(0));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(RenderCsv(*released), RenderCsv(*plain));
  const Layout& layout = S().a.dataset.layout;
  int edits = 0;
  for (size_t i = 0; i < honest.ciphertexts.size(); ++i) {
    for (const Slot& s : layout.slots()) {
      if (s.ciphertext != honest.ciphertexts[i] || s.cases.empty()) continue;
      EncryptedResult r = honest;
      r.groups[0].sums[i] = crypto::AddPlain(pk(), r.groups[0].sums[i], Shifted(1, s.offset));
      EXPECT_TRUE(Refused(r)) << "slot " << static_cast<int>(s.kind) << " " << s.variable
                              << " cases " << s.cases << " bin " << s.bin;
      ++edits;
    }
  }
  EXPECT_GT(edits, 20);  // 6 of the product set, 12 of the survival pair
}

// A result replayed for another query, two results merged, a group list reordered or cut.
TEST_F(ForgeryTest, ReplayedMergedReorderedOrTruncatedResultsAreRefused) {
  const std::string t = S().schema.name;
  const EncryptedResult by_sex =
      Query(S().a, "SELECT sex, COUNT(*), AVG(cd4) FROM " + t + " GROUP BY sex");
  ASSERT_EQ(by_sex.groups.size(), 2u);
  {
    EncryptedResult r = by_sex;
    r.sql = "SELECT site, COUNT(*), AVG(cd4) FROM " + t + " GROUP BY site";
    EXPECT_TRUE(Refused(r)) << "replayed as GROUP BY site";
  }
  {
    EncryptedResult r = Query(S().a, "SELECT COUNT(*), AVG(cd4) FROM " + t + " WHERE sex = 'F'");
    r.sql = "SELECT COUNT(*), AVG(cd4) FROM " + t;
    r.groups[0].records = S().a.records.size();
    EXPECT_TRUE(Refused(r)) << "replayed without its WHERE";
  }
  {
    const std::string site = S().a.records[0].public_values[kSite];
    EncryptedResult r = by_sex;
    const EncryptedResult other = Query(S().a, "SELECT sex, COUNT(*), AVG(cd4) FROM " + t +
                                                   " WHERE site = '" + site + "' GROUP BY sex");
    r.groups[0] = other.groups[0];
    EXPECT_TRUE(Refused(r)) << "a group taken from another result";
    r = by_sex;
    r.groups.push_back(other.groups[0]);
    EXPECT_TRUE(Refused(r)) << "two results merged";
  }
  {
    EncryptedResult r = by_sex;
    std::swap(r.groups[0], r.groups[1]);
    EXPECT_TRUE(Refused(r)) << "reordered";
    std::swap(r.groups[0].sums, r.groups[1].sums);
    std::swap(r.groups[0].records, r.groups[1].records);
    EXPECT_TRUE(Refused(r)) << "keys swapped";
    r = by_sex;
    r.groups.pop_back();
    EXPECT_TRUE(Refused(r)) << "truncated";
  }
}

// A forged group key reaches the message quoted, never as raw bytes for the terminal.
TEST_F(ForgeryTest, AForgedGroupKeyIsQuotedNotEchoed) {
  EncryptedResult r =
      Query(S().a, "SELECT sex, COUNT(*) FROM " + S().schema.name + " GROUP BY sex");
  r.groups[0].key[0] = "F\x1b[2J";
  auto table = Release(r);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message().find('\x1b'), std::string::npos) << table.status().ToString();
  EXPECT_NE(table.status().message().find("result failed verification: group 1 is group (F"),
            std::string::npos)
      << table.status().ToString();
}

// An unsigned dataset's result (--allow-unsigned) is still checked against the tags the
// compute party cannot make: an honest one is released, a shifted one refused.
TEST_F(ForgeryTest, UnsignedDatasetsAreCheckedToo) {
  const Encrypted unsigned_dataset = Encrypt("unsigned", nullptr);
  const std::string sql =
      "SELECT sex, COUNT(*), AVG(cd4) FROM " + S().schema.name + " GROUP BY sex";
  EncryptedResult r = Query(unsigned_dataset, sql);
  ASSERT_TRUE(r.manifest_signature.empty());
  auto honest = Release(r, /*allow_unsigned=*/true);
  ASSERT_TRUE(honest.ok()) << honest.status().ToString();
  const auto [index, slot] = SumOf(r, SlotKind::kSum, "cd4");
  r.groups[0].sums[index] =
      crypto::AddPlain(pk(), r.groups[0].sums[index], Shifted(1, slot.offset));
  auto forged = Release(r, /*allow_unsigned=*/true);
  EXPECT_EQ(forged.status().code(), Status::Code::kCorruption) << forged.status().ToString();
}

}  // namespace
}  // namespace cipherstat
