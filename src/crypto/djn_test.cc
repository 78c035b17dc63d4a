#include "crypto/djn.h"

#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

namespace cipherstat::crypto {
namespace {

class DjnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<SecretKey> sk = GenerateKey(2048);
    ASSERT_TRUE(sk.ok()) << sk.status().ToString();
    sk_ = new SecretKey(std::move(sk).value());
    djn_ = new DjnEncryptor(DjnEncryptor::Create(sk_->public_key()));
  }
  static void TearDownTestSuite() {
    delete djn_;
    delete sk_;
  }
  void SetUp() override { ASSERT_NE(djn_, nullptr); }
  static const PublicKey& pk() { return sk_->public_key(); }
  static SecretKey* sk_;
  static DjnEncryptor* djn_;
};
SecretKey* DjnTest::sk_ = nullptr;
DjnEncryptor* DjnTest::djn_ = nullptr;

BigInt Decrypted(const SecretKey& sk, const Ciphertext& c) {
  Result<BigInt> m = Decrypt(sk, c);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : BigInt(0);
}

TEST_F(DjnTest, ExponentIsAtLeastTwiceTheSecurityLevel) {
  EXPECT_GE(DjnEncryptor::ExponentBits(2048), 2 * 112);
  EXPECT_GE(DjnEncryptor::ExponentBits(3072), 2 * 128);
  EXPECT_GE(DjnEncryptor::ExponentBits(4096), 2 * 152);
  EXPECT_EQ(djn_->exponent_bits(), 448);
}

// The table product equals the definition (1 + m·n)·h_s^a mod n², for edge exponents too, on
// both paths (IFMA lanes, one at a time and eight at a time; GMP with masked table scans).
TEST_F(DjnTest, TableProductEqualsDirectExponentiation) {
  BigInt all_ones;
  mpz_setbit(all_ones.get(), static_cast<mp_bitcnt_t>(djn_->exponent_bits()));
  mpz_sub_ui(all_ones.get(), all_ones.get(), 1);
  BigInt bound;
  mpz_setbit(bound.get(), static_cast<mp_bitcnt_t>(djn_->exponent_bits()));
  BigInt top;
  mpz_setbit(top.get(), static_cast<mp_bitcnt_t>(djn_->exponent_bits() - 1));
  const DjnEncryptor gmp = DjnEncryptor::FromBase(pk(), djn_->h_s(), /*allow_ifma=*/false);
  EXPECT_FALSE(gmp.uses_ifma());
  std::vector<BigInt> as = {BigInt(0),          BigInt(1),         BigInt(63), BigInt(64),
                            BigInt(255),        BigInt(256),       all_ones,   top,
                            RandomBelow(bound), RandomBelow(bound)};
  std::vector<BigInt> ms, expected;
  for (size_t i = 0; i < as.size(); ++i) {
    const BigInt m = i == 0 ? pk().n() - BigInt(1) : i == 1 ? BigInt(0) : RandomBelow(pk().n());
    BigInt c, gm;
    mpz_powm(c.get(), djn_->h_s().get(), as[i].get(), pk().n_squared().get());
    mpz_mul(gm.get(), m.get(), pk().n().get());
    mpz_add_ui(gm.get(), gm.get(), 1);
    mpz_mul(c.get(), c.get(), gm.get());
    mpz_mod(c.get(), c.get(), pk().n_squared().get());
    ms.push_back(m);
    expected.push_back(c);
    EXPECT_EQ(djn_->EncryptWithExponent(m, as[i]).value, c) << as[i].ToHex();
    EXPECT_EQ(gmp.EncryptWithExponent(m, as[i]).value, c) << as[i].ToHex();
  }
  std::vector<Ciphertext> batch(ms.size());
  djn_->EncryptWithExponents(ms, as, batch);
  for (size_t i = 0; i < ms.size(); ++i) EXPECT_EQ(batch[i].value, expected[i]) << i;
}

// Every ciphertext of a batch has its own exponent: none equal, even for equal plaintexts, and
// all decrypt; the GMP path likewise.
TEST_F(DjnTest, BatchesDrawAFreshExponentPerCiphertext) {
  const DjnEncryptor gmp = DjnEncryptor::FromBase(pk(), djn_->h_s(), /*allow_ifma=*/false);
  for (const DjnEncryptor* e : {static_cast<const DjnEncryptor*>(djn_), &gmp}) {
    std::vector<BigInt> ms(17, BigInt(7));
    ms[16] = RandomBelow(pk().n());
    std::vector<Ciphertext> cs(ms.size());
    e->EncryptBatch(ms, cs);
    for (size_t i = 0; i < cs.size(); ++i) {
      EXPECT_EQ(Decrypted(*sk_, cs[i]), ms[i]) << i;
      for (size_t j = 0; j < i; ++j) EXPECT_NE(cs[i].value, cs[j].value) << i << ", " << j;
    }
  }
}

TEST_F(DjnTest, DecryptsWithTheStandardDecryption) {
  BigInt max = pk().n();
  mpz_sub_ui(max.get(), max.get(), 1);
  for (const BigInt& m : {BigInt(0), BigInt(1), max, RandomBelow(pk().n())}) {
    const Ciphertext c = djn_->Encrypt(m);
    EXPECT_TRUE(ValidateCiphertext(pk(), c).ok());
    EXPECT_EQ(Decrypted(*sk_, c), m);
  }
}

TEST_F(DjnTest, RandomizedAndHomomorphicWithStandardCiphertexts) {
  const Ciphertext a = djn_->Encrypt(BigInt(40));
  const Ciphertext b = djn_->Encrypt(BigInt(40));
  EXPECT_NE(a.value, b.value);
  const Ciphertext sum = Add(pk(), Add(pk(), a, b), EncryptCrt(*sk_, BigInt(2)));
  EXPECT_EQ(Decrypted(*sk_, sum), BigInt(82));
}

// h_s = h^n for h = −x² is an n-th residue: the encryption of 0 under any exponent.
TEST_F(DjnTest, BaseIsAnNthResidue) {
  EXPECT_EQ(Decrypted(*sk_, Ciphertext{djn_->h_s()}), BigInt(0));
  const DjnEncryptor other = DjnEncryptor::Create(pk());
  EXPECT_NE(other.h_s(), djn_->h_s());
}

}  // namespace
}  // namespace cipherstat::crypto
