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
  std::string Line(const crypto::Ciphertext& c) { return FormatRecordLine(pk(), {}, {c}); }
  std::unique_ptr<Mapper> NewMapper() { return std::make_unique<Mapper>(pk(), *plan_, 1); }

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
    ASSERT_TRUE(all->AddLine(Line(c)).ok());
    ASSERT_TRUE((i % 4 == 0 ? left : right)->AddLine(Line(c)).ok());
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

TEST_F(MapperTest, RejectsMalformedCiphertextFields) {
  const std::string good = Line(crypto::EncryptCrt(*sk_, crypto::BigInt(5)));
  auto rejects = [&](const std::string& line, const char* what) {
    auto m = NewMapper();
    Status s = m->AddLine(line);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << what << ": " << s.ToString();
  };
  std::string bad = good;
  bad[100] = '!';
  rejects(bad, "a character outside base64");
  rejects(good.substr(0, good.size() - 1), "one character short");
  rejects(good + "A", "one character long");
  rejects(good + "==", "padding");
  // 512 bytes encode to 683 characters, the last holding 4 data bits and 2 zero bits: a set
  // zero bit spells the same bytes differently, which a canonical decoder refuses.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  bad = good;
  bad.back() = alphabet[alphabet.find(bad.back()) ^ 1];
  rejects(bad, "non-zero unused bits");
  rejects(FormatRecordLine(pk(), {}, {crypto::Ciphertext{pk().n_squared()}}), "n squared");
  rejects(FormatRecordLine(pk(), {}, {crypto::Ciphertext{crypto::BigInt(0)}}), "zero");
  EXPECT_TRUE(NewMapper()->AddLine(good).ok());
}

// A ciphertext sharing a factor with n passes the per-line range check; the sum it enters
// keeps the factor, so validating the sums catches it.
TEST_F(MapperTest, NonUnitInputLeavesAnInvalidSum) {
  auto m = NewMapper();
  crypto::BigInt p_multiple;
  mpz_mul_ui(p_multiple.get(), sk_->p().get(), 3);
  ASSERT_TRUE(m->AddLine(Line(crypto::EncryptCrt(*sk_, crypto::BigInt(1)))).ok());
  ASSERT_TRUE(m->AddLine(FormatRecordLine(pk(), {}, {crypto::Ciphertext{p_multiple}})).ok());
  std::vector<EncryptedGroup> groups = m->TakeGroups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_FALSE(crypto::ValidateCiphertext(pk(), groups[0].sums[0]).ok());
}

}  // namespace
}  // namespace cipherstat
