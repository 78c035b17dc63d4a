// Mapper internals: Montgomery sums equal the textbook product, merging is exact, and the
// ciphertext decoder rejects everything but canonical base64 of a value in (0, n²).
#include "engine/mapreduce.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "encoding/layout.h"

namespace cipherstat {
namespace {

class MapperTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto sk = crypto::GenerateKey(2048);
    ASSERT_TRUE(sk.ok());
    sk_ = new crypto::SecretKey(std::move(sk).value());
  }
  static void TearDownTestSuite() { delete sk_; }
  void SetUp() override {
    ASSERT_NE(sk_, nullptr);
    Column x;
    x.name = "x";
    x.min = 0;
    x.max = 100;
    schema_.name = "t";
    schema_.columns = {x};
    auto layout = Layout::Build(schema_, static_cast<int>(pk().plaintext_bits()));
    ASSERT_TRUE(layout.ok()) << layout.status().ToString();
    layout_ = std::move(layout).value();
    auto plan = MakePlan("SELECT COUNT(*), AVG(x) FROM t", CatalogOf(schema_), layout_);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    plan_ = std::make_unique<Plan>(std::move(plan).value());
    ASSERT_EQ(layout_.num_ciphertexts(), 1);
  }
  static const crypto::PublicKey& pk() { return sk_->public_key(); }
  // A record of one ciphertext column, as ReadChunks hands it out: fixed-width bytes.
  static Status Add(Mapper* m, std::string_view bytes) {
    RecordView record;
    record.ciphertexts = {bytes};
    return m->AddRecord(record);
  }
  static Status Add(Mapper* m, const crypto::Ciphertext& c) {
    return Add(m, crypto::CiphertextToFixedBytes(pk(), c));
  }
  std::unique_ptr<Mapper> NewMapper() { return std::make_unique<Mapper>(pk(), *plan_); }

  static crypto::SecretKey* sk_;
  Schema schema_;
  Layout layout_;
  std::unique_ptr<Plan> plan_;
};
crypto::SecretKey* MapperTest::sk_ = nullptr;

TEST_F(MapperTest, SumEqualsTextbookProductAndMergeIsExact) {
  auto all = NewMapper(), left = NewMapper(), right = NewMapper();
  crypto::Ciphertext expected = crypto::EncryptedZero();
  unsigned long plain = 0;
  for (unsigned long i = 1; i <= 25; ++i) {
    const crypto::Ciphertext c = crypto::EncryptCrt(*sk_, crypto::BigInt(i * 1000 + 7));
    plain += i * 1000 + 7;
    crypto::AddInPlace(pk(), &expected, c);
    ASSERT_TRUE(Add(all.get(), c).ok());
    ASSERT_TRUE(Add((i % 4 == 0 ? left : right).get(), c).ok());
  }
  left->Merge(std::move(*right));
  for (Mapper* m : {all.get(), left.get()}) {
    EXPECT_EQ(m->records_read(), 25u);
    std::vector<EncryptedGroup> groups = m->TakeGroups();
    ASSERT_EQ(groups.size(), 1u);
    EXPECT_EQ(groups[0].records, 25u);
    ASSERT_EQ(groups[0].sums.size(), 1u);
    EXPECT_EQ(groups[0].sums[0].value, expected.value);
    auto m_sum = crypto::Decrypt(*sk_, groups[0].sums[0]);
    ASSERT_TRUE(m_sum.ok());
    EXPECT_EQ(*m_sum, crypto::BigInt(plain));
  }
}

TEST_F(MapperTest, RejectsMalformedCiphertexts) {
  const std::string good =
      crypto::CiphertextToFixedBytes(pk(), crypto::EncryptCrt(*sk_, crypto::BigInt(5)));
  auto rejects = [&](const std::string& bytes, const char* what) {
    auto m = NewMapper();
    Status s = Add(m.get(), bytes);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << what << ": " << s.ToString();
    EXPECT_EQ(m->TakeGroups().size(), 0u) << what << ": a rejected record left a group";
  };
  rejects(good.substr(0, good.size() - 1), "one byte short");
  rejects(good + "A", "one byte long");
  rejects("", "empty");
  rejects(crypto::CiphertextToFixedBytes(pk(), crypto::Ciphertext{pk().n_squared()}), "n squared");
  rejects(crypto::CiphertextToFixedBytes(pk(), crypto::Ciphertext{crypto::BigInt(0)}), "zero");
  rejects(std::string(good.size(), '\xff'), "above n squared");
  EXPECT_TRUE(Add(NewMapper().get(), good).ok());
}

// A ciphertext sharing a factor with n passes the per-line range check; the sum it enters
// keeps the factor, so validating the sums catches it.
TEST_F(MapperTest, NonUnitInputLeavesAnInvalidSum) {
  auto m = NewMapper();
  crypto::BigInt p_multiple;
  mpz_mul_ui(p_multiple.get(), sk_->p().get(), 3);
  ASSERT_TRUE(Add(m.get(), crypto::EncryptCrt(*sk_, crypto::BigInt(1))).ok());
  ASSERT_TRUE(Add(m.get(), crypto::Ciphertext{p_multiple}).ok());
  std::vector<EncryptedGroup> groups = m->TakeGroups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(crypto::ValidateCiphertext(pk(), groups[0].sums[0]).ok());
}

// Map work is cut by chunks, not segments: ranges of about the asked records, never across a
// segment, every chunk in exactly one range, in order.
TEST(SplitIntoRangesTest, RangesCoverEveryChunkOnceWithinSegments) {
  Manifest m;
  auto segment = [](const std::string& name, std::vector<uint64_t> chunk_records) {
    SegmentInfo s;
    s.name = name;
    for (uint64_t r : chunk_records) {
      ChunkInfo c;
      c.records = r;
      s.records += r;
      s.chunks.push_back(c);
    }
    return s;
  };
  m.segments = {segment("a", {4096, 4096, 4096, 4096, 100}), segment("b", {4096, 7}),
                segment("c", {})};
  EXPECT_EQ(
      SplitIntoRanges(m, 8192),
      (std::vector<ChunkRange>{{0, 0, 2, 8192}, {0, 2, 2, 8192}, {0, 4, 1, 100}, {1, 0, 2, 4103}}));
  // One chunk a range at the least; one range a segment at the most.
  EXPECT_EQ(SplitIntoRanges(m, 1).size(), 7u);
  EXPECT_EQ(SplitIntoRanges(m, uint64_t{1} << 40),
            (std::vector<ChunkRange>{{0, 0, 5, 16484}, {1, 0, 2, 4103}}));
}

}  // namespace
}  // namespace cipherstat
