#include "crypto/montgomery.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "crypto/paillier.h"

namespace cipherstat::crypto {
namespace {

BigInt MulMod(const BigInt& a, const BigInt& b, const BigInt& m) {
  BigInt out;
  mpz_mul(out.get(), a.get(), b.get());
  mpz_mod(out.get(), out.get(), m.get());
  return out;
}

// A random odd modulus of `bits` bits (top bit set): Montgomery needs only oddness.
BigInt RandomOddModulus(size_t bits) {
  BigInt bound;
  mpz_setbit(bound.get(), bits - 1);
  BigInt m = RandomBelow(bound);
  mpz_setbit(m.get(), bits - 1);
  mpz_setbit(m.get(), 0);
  return m;
}

// a·b·R^−1 ≡ MulRedc(a, b): checked as MulRedc(a, b)·R ≡ a·b (mod N).
void CheckMulRedc(const MontgomeryModulus& mont, const BigInt& a, const BigInt& b) {
  const size_t k = mont.limbs();
  std::vector<mp_limb_t> la(k), lb(k), out(k);
  mont.ToLimbs(a, la.data());
  mont.ToLimbs(b, lb.data());
  mont.MulRedc(out.data(), la.data(), lb.data());
  BigInt got = mont.FromLimbs(out.data());
  ASSERT_LT(mpz_cmp(got.get(), mont.modulus().get()), 0) << "result not fully reduced";
  EXPECT_EQ(MulMod(got, mont.RPower(1), mont.modulus()), MulMod(a, b, mont.modulus()));
}

TEST(MontgomeryTest, MulRedcMatchesMpzOnRandomInputs) {
  for (size_t bits : {64u, 130u, 1024u, 2048u, 4096u, 4095u}) {
    MontgomeryModulus mont(RandomOddModulus(bits));
    for (int i = 0; i < 50; ++i) {
      CheckMulRedc(mont, RandomBelow(mont.modulus()), RandomBelow(mont.modulus()));
    }
    const BigInt a = RandomBelow(mont.modulus());
    CheckMulRedc(mont, a, a);  // the squaring path
  }
}

TEST(MontgomeryTest, EdgeValues) {
  MontgomeryModulus mont(RandomOddModulus(4096));
  BigInt max = mont.modulus();
  mpz_sub_ui(max.get(), max.get(), 1);
  const BigInt zero(0), one(1), two(2);
  const std::vector<const BigInt*> edges = {&zero, &one, &two, &max};
  for (const BigInt* a : edges) {
    for (const BigInt* b : edges) CheckMulRedc(mont, *a, *b);
  }
  // A modulus of all-ones limbs makes every intermediate as large as possible.
  BigInt ones;
  mpz_setbit(ones.get(), 4096);
  mpz_sub_ui(ones.get(), ones.get(), 1);
  MontgomeryModulus worst(ones);
  BigInt top = ones;
  mpz_sub_ui(top.get(), top.get(), 1);
  CheckMulRedc(worst, top, top);
  CheckMulRedc(worst, top, one);
}

TEST(MontgomeryTest, FormConversionsRoundTrip) {
  MontgomeryModulus mont(RandomOddModulus(2048));
  const BigInt x = RandomBelow(mont.modulus());
  EXPECT_EQ(mont.FromMontgomery(mont.ToMontgomery(x)), x);
}

TEST(MontgomeryTest, AccumulatorEqualsMpzProduct) {
  auto mont = std::make_shared<const MontgomeryModulus>(RandomOddModulus(4096));
  for (int count : {0, 1, 2, 3, 17}) {
    ProductAccumulator acc(mont);
    BigInt expected(1);
    for (int i = 0; i < count; ++i) {
      BigInt x = RandomBelow(mont->modulus());
      if (mpz_sgn(x.get()) == 0) mpz_set_ui(x.get(), 1);
      acc.Multiply(x);
      expected = MulMod(expected, x, mont->modulus());
    }
    EXPECT_EQ(acc.Finish(), expected) << count << " factors";
    EXPECT_EQ(acc.factors(), static_cast<uint64_t>(count));
  }
}

TEST(MontgomeryTest, MergeEqualsOneLongProduct) {
  auto mont = std::make_shared<const MontgomeryModulus>(RandomOddModulus(4096));
  ProductAccumulator left(mont), right(mont), empty(mont);
  BigInt expected(1);
  for (int i = 0; i < 10; ++i) {
    BigInt x = RandomBelow(mont->modulus());
    mpz_setbit(x.get(), 0);
    (i % 3 == 0 ? left : right).Multiply(x);
    expected = MulMod(expected, x, mont->modulus());
  }
  left.Merge(empty);
  left.Merge(right);
  EXPECT_EQ(left.Finish(), expected);
  empty.Merge(left);
  EXPECT_EQ(empty.Finish(), expected);
}

// On a real key: the accumulated product of ciphertexts decrypts to the sum of plaintexts.
TEST(MontgomeryTest, HomomorphicSumDecrypts) {
  Result<SecretKey> sk = GenerateKey(2048);
  ASSERT_TRUE(sk.ok());
  const PublicKey& pk = sk->public_key();
  ProductAccumulator acc(std::make_shared<const MontgomeryModulus>(pk.n_squared()));
  unsigned long sum = 0;
  for (unsigned long m = 1; m <= 20; ++m) {
    acc.Multiply(EncryptCrt(*sk, BigInt(m * 1000003)).value);
    sum += m * 1000003;
  }
  Result<BigInt> plain = Decrypt(*sk, Ciphertext{acc.Finish()});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, BigInt(sum));
}

}  // namespace
}  // namespace cipherstat::crypto
