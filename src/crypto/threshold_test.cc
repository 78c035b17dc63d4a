// Threshold Paillier (crypto/threshold.h): t-of-n decryption, proofs of correct partial
// decryption, and every way a partial can be wrong. 1024-bit test-only keys (allow_small)
// keep the suite fast; the arithmetic does not depend on the size.
#include "crypto/threshold.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "crypto/threshold_files.h"
#include "test_util.h"

namespace cipherstat::crypto {
namespace {

class ThresholdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto key = GenerateThresholdKey(1024, 5, 3, /*allow_small=*/true);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = std::make_unique<ThresholdKey>(std::move(key).value());
  }
  static void TearDownTestSuite() { key_.reset(); }

  static const ThresholdKey& K() { return *key_; }
  static const PublicKey& Pk() { return key_->pub.pk; }

  // Partials of `c` from the given custodians (1-based), each verified.
  static std::vector<PartialDecryption> Partials(const Ciphertext& c, std::vector<int> who) {
    std::vector<PartialDecryption> out;
    for (int i : who) out.push_back(PartialDecrypt(K().shares[static_cast<size_t>(i - 1)], c));
    return out;
  }
  static Result<BigInt> Combine(const std::vector<PartialDecryption>& partials) {
    std::vector<const PartialDecryption*> ptrs;
    for (const auto& p : partials) ptrs.push_back(&p);
    return CombinePartials(K().pub, ptrs);
  }

  // Custodian 2's partial file for one ciphertext.
  static PartialFile CustodianTwosPartial() {
    PartialFile file;
    file.result_sha256 = std::string(64, 'a');
    file.key_fingerprint = Pk().Fingerprint();
    file.custodian = 2;
    file.partials.push_back(PartialDecrypt(K().shares[1], Encrypt(Pk(), BigInt(7))));
    return file;
  }

  static inline std::unique_ptr<ThresholdKey> key_;
};

TEST_F(ThresholdTest, SafePrimesAndShape) {
  EXPECT_EQ(Pk().bits(), 1024);
  EXPECT_EQ(K().shares.size(), 5u);
  EXPECT_EQ(K().pub.verification.size(), 5u);
  EXPECT_EQ(K().pub.delta, BigInt(120));
  BigInt p = RandomSafePrime(256);
  EXPECT_EQ(p.bits(), 256u);
  BigInt half;
  mpz_sub_ui(half.get(), p.get(), 1);
  mpz_tdiv_q_2exp(half.get(), half.get(), 1);
  EXPECT_GT(mpz_probab_prime_p(p.get(), 40), 0);
  EXPECT_GT(mpz_probab_prime_p(half.get(), 40), 0);
}

TEST_F(ThresholdTest, AnyThresholdSubsetDecrypts) {
  const BigInt m(123456789);
  const Ciphertext c = Encrypt(Pk(), m);
  const std::vector<std::vector<int>> subsets = {{1, 2, 3}, {3, 4, 5}, {5, 1, 3}, {2, 4, 5}};
  for (const auto& subset : subsets) {
    auto partials = Partials(c, subset);
    for (const auto& p : partials) EXPECT_TRUE(VerifyPartial(K().pub, c, p).ok());
    auto got = Combine(partials);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, m);
  }
  // More than t partials: the first t are used.
  auto all = Combine(Partials(c, {1, 2, 3, 4, 5}));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, m);
}

TEST_F(ThresholdTest, DecryptsHomomorphicSumsAndLargePlaintexts) {
  BigInt a, b;
  a = RandomBelow(Pk().half_n());
  b = RandomBelow(Pk().half_n());
  const Ciphertext sum = Add(Pk(), Encrypt(Pk(), a), Encrypt(Pk(), b));
  auto got = Combine(Partials(sum, {2, 3, 4}));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  BigInt want;
  mpz_add(want.get(), a.get(), b.get());
  EXPECT_EQ(*got, want);
  auto zero = Combine(Partials(Encrypt(Pk(), BigInt(0)), {1, 4, 5}));
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, BigInt(0));
}

TEST_F(ThresholdTest, FewerThanThresholdGiveAClearError) {
  const Ciphertext c = Encrypt(Pk(), BigInt(42));
  auto got = Combine(Partials(c, {1, 2}));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(got.status().ToString().find("3 of 5 custodians are needed, 2"), std::string::npos)
      << got.status().ToString();
  // The same custodian twice counts once.
  auto twice = Combine(Partials(c, {1, 2, 2}));
  EXPECT_FALSE(twice.ok());
}

TEST_F(ThresholdTest, PartialFromAnotherShareIsDetected) {
  const Ciphertext c = Encrypt(Pk(), BigInt(7));
  PartialDecryption p = PartialDecrypt(K().shares[1], c);  // custodian 2 …
  p.index = 1;                                             // … claiming to be custodian 1
  Status s = VerifyPartial(K().pub, c, p);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.ToString().find("custodian 1"), std::string::npos) << s.ToString();
  p.index = 9;
  EXPECT_EQ(VerifyPartial(K().pub, c, p).code(), Status::Code::kCorruption);
}

TEST_F(ThresholdTest, PartialForAnotherCiphertextIsDetected) {
  const Ciphertext c = Encrypt(Pk(), BigInt(7));
  const Ciphertext other = Encrypt(Pk(), BigInt(7));
  PartialDecryption p = PartialDecrypt(K().shares[0], other);
  EXPECT_EQ(VerifyPartial(K().pub, c, p).code(), Status::Code::kCorruption);
  EXPECT_TRUE(VerifyPartial(K().pub, other, p).ok());
}

TEST_F(ThresholdTest, TamperedPartialIsDetected) {
  const Ciphertext c = Encrypt(Pk(), BigInt(1000));
  const PartialDecryption honest = PartialDecrypt(K().shares[2], c);
  ASSERT_TRUE(VerifyPartial(K().pub, c, honest).ok());
  {
    PartialDecryption p = honest;  // value times (1+n): still a unit, wrong by a plaintext
    BigInt g;
    mpz_add_ui(g.get(), Pk().n().get(), 1);
    mpz_mul(p.value.get(), p.value.get(), g.get());
    mpz_mod(p.value.get(), p.value.get(), Pk().n_squared().get());
    EXPECT_EQ(VerifyPartial(K().pub, c, p).code(), Status::Code::kCorruption);
  }
  {
    PartialDecryption p = honest;
    mpz_add_ui(p.response.get(), p.response.get(), 1);
    EXPECT_EQ(VerifyPartial(K().pub, c, p).code(), Status::Code::kCorruption);
  }
  {
    PartialDecryption p = honest;
    mpz_add_ui(p.challenge.get(), p.challenge.get(), 1);
    EXPECT_EQ(VerifyPartial(K().pub, c, p).code(), Status::Code::kCorruption);
  }
  {
    PartialDecryption p = honest;
    p.value = BigInt(0);
    EXPECT_EQ(VerifyPartial(K().pub, c, p).code(), Status::Code::kCorruption);
  }
}

TEST_F(ThresholdTest, PublicAndShareJsonRoundTrip) {
  const std::string pub_json = ThresholdPublicToJson(K().pub);
  auto pub = ThresholdPublicFromJson(pub_json, /*allow_small=*/true);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(pub->pk.n(), Pk().n());
  EXPECT_EQ(pub->threshold, 3);
  EXPECT_EQ(pub->verification, K().pub.verification);
  EXPECT_FALSE(ThresholdPublicFromJson(pub_json).ok()) << "1024-bit keys are test-only";

  const std::string share_json = KeyShareToJson(K().shares[3]);
  auto share = KeyShareFromJson(share_json, /*allow_small=*/true);
  ASSERT_TRUE(share.ok()) << share.status().ToString();
  EXPECT_EQ(share->index, 4);
  EXPECT_EQ(share->secret, K().shares[3].secret);
  const Ciphertext c = Encrypt(Pk(), BigInt(5));
  EXPECT_TRUE(VerifyPartial(*pub, c, PartialDecrypt(*share, c)).ok());

  std::string bad = share_json;
  bad.replace(bad.find("\"index\":4"), 9, "\"index\":0");
  EXPECT_FALSE(KeyShareFromJson(bad, true).ok());
  EXPECT_FALSE(KeyShareFromJson("{}", true).ok());
}

// A damaged partial decryption file or public key names the file, the field or the byte offset
// and the fault: never the kilobytes of hex around it.
TEST_F(ThresholdTest, DamagedFilesAreNamedNotEchoed) {
  const PartialFile file = CustodianTwosPartial();
  const std::string text = PartialFileToJson(file);
  ASSERT_TRUE(PartialFileFromJson(text, "p.json").ok());
  const size_t cut = text.find("\"c\"") + 300;
  ASSERT_LT(cut, text.size());
  Status s = PartialFileFromJson(text.substr(0, cut), "p.json").status();
  EXPECT_EQ(s.ToString(),
            "Corruption: p.json: not valid JSON (at byte " + std::to_string(cut + 1) + ")");
  std::string retyped = text;
  const std::string custodian = "\"custodian\": 2";
  retyped.replace(retyped.find(custodian), custodian.size(),
                  "\"custodian\": \"" + std::string(2000, 'f') + "\"");
  s = PartialFileFromJson(retyped, "p.json").status();
  EXPECT_EQ(s.ToString(), "Corruption: p.json: 'custodian' is not an integer");

  const std::string pub = PublicKeyToJson(Pk());
  s = PublicKeyFromJson(pub.substr(0, 200), /*allow_small=*/true).status();
  EXPECT_EQ(s.ToString(), "Invalid argument: public key: not valid JSON (at byte 201)");
  EXPECT_LE(testing::LongestHexRun(s.ToString()), 64u);
}

// A partial file is sealed to the combiner: it opens with that combiner's key alone, an altered
// box does not open, and an unsealed (version 1) file is refused with what to do.
TEST_F(ThresholdTest, PartialFileOpensOnlyForItsCombiner) {
  const PartialFile file = CustodianTwosPartial();
  const CombinerKey combiner = CombinerKey::Generate();
  const std::string sealed = SealPartialFile(file, combiner.public_key());
  EXPECT_EQ(sealed.find(file.result_sha256), std::string::npos) << "content in the clear";
  auto opened = OpenPartialFile(sealed, combiner, "p.json");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->custodian, 2);
  EXPECT_EQ(opened->partials[0].value, file.partials[0].value);

  const CombinerKey other = CombinerKey::Generate();
  Status s = OpenPartialFile(sealed, other, "p.json").status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with("p.json: not sealed to this combiner (sealed to "))
      << s.ToString();
  // Relabelled for the other combiner: still does not open.
  std::string relabelled = sealed;
  const std::string to = combiner.public_key().Hex();
  relabelled.replace(relabelled.find(to), to.size(), other.public_key().Hex());
  s = OpenPartialFile(relabelled, other, "p.json").status();
  EXPECT_TRUE(s.message().starts_with("p.json: not sealed to this combiner (it does not open"))
      << s.ToString();
  // One hex digit of the box changed.
  std::string altered = sealed;
  const size_t digit = altered.find("\"box\": \"") + 100;
  altered[digit] = altered[digit] == '1' ? '2' : '1';
  s = OpenPartialFile(altered, combiner, "p.json").status();
  EXPECT_TRUE(s.message().starts_with("p.json: not sealed to this combiner (it does not open"))
      << s.ToString();

  const std::string unsealed =
      R"({"format":"cipherstat-partial-decryption","version":1,"custodian":2,"partials":[]})";
  s = OpenPartialFile(unsealed, combiner, "p.json").status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(s.message().starts_with("p.json: an unsealed partial decryption (version 1)"))
      << s.ToString();
  EXPECT_FALSE(OpenPartialFile(PartialFileToJson(file), combiner, "p.json").ok())
      << "the content alone is not a partial file";
}

TEST(ThresholdDealTest, RefusesBadParameters) {
  EXPECT_FALSE(GenerateThresholdKey(1024, 1, 1, true).ok());
  EXPECT_FALSE(GenerateThresholdKey(1024, 3, 4, true).ok());
  EXPECT_FALSE(GenerateThresholdKey(1024, 3, 0, true).ok());
  EXPECT_FALSE(GenerateThresholdKey(1024, 3, 2).ok()) << "1024 bits only with allow_small";
  // Primes that are not safe.
  auto p = GenerateKey(2048);
  ASSERT_TRUE(p.ok());
  auto dealt = DealThresholdKey(p->p(), p->q(), 3, 2);
  EXPECT_FALSE(dealt.ok());
}

}  // namespace
}  // namespace cipherstat::crypto
