#include "crypto/djn.h"

#include <gtest/gtest.h>

#include <memory>
#include <utility>

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

// The table product equals the definition (1 + m·n)·h_s^a mod n², for edge exponents too.
TEST_F(DjnTest, TableProductEqualsDirectExponentiation) {
  BigInt all_ones;
  mpz_setbit(all_ones.get(), static_cast<mp_bitcnt_t>(djn_->exponent_bits()));
  mpz_sub_ui(all_ones.get(), all_ones.get(), 1);
  BigInt bound;
  mpz_setbit(bound.get(), static_cast<mp_bitcnt_t>(djn_->exponent_bits()));
  for (const BigInt& a : {BigInt(0), BigInt(1), BigInt(255), BigInt(256), all_ones,
                          RandomBelow(bound), RandomBelow(bound)}) {
    const BigInt m = RandomBelow(pk().n());
    BigInt expected, gm;
    mpz_powm(expected.get(), djn_->h_s().get(), a.get(), pk().n_squared().get());
    mpz_mul(gm.get(), m.get(), pk().n().get());
    mpz_add_ui(gm.get(), gm.get(), 1);
    mpz_mul(expected.get(), expected.get(), gm.get());
    mpz_mod(expected.get(), expected.get(), pk().n_squared().get());
    EXPECT_EQ(djn_->EncryptWithExponent(m, a).value, expected) << a.ToHex();
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
