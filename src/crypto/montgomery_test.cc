#include "crypto/montgomery.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// --- The IFMA lanes (crypto/ifma.h), checked against mpz and against the mpn path -----------

#define REQUIRE_IFMA() \
  if (!IfmaModulus::Available()) GTEST_SKIP() << "this CPU has no AVX-512 IFMA"

// Lane values below 2N, in and out of 52-bit limbs.
BigInt ReadLane(const IfmaModulus& ifma, const std::vector<LaneBlock>& x, size_t lane) {
  return ifma.GetLane(x.data(), lane);
}
void WriteLane(const IfmaModulus& ifma, std::vector<LaneBlock>* x, size_t lane, const BigInt& v) {
  std::vector<mp_limb_t> limbs(mpz_size(v.get()) + 1, 0);
  std::copy(mpz_limbs_read(v.get()), mpz_limbs_read(v.get()) + mpz_size(v.get()), limbs.begin());
  ifma.SetLane(x->data(), lane, limbs.data(), limbs.size());
}

TEST(IfmaTest, EightLanesMatchMpzOnRandomAndEdgeInputs) {
  REQUIRE_IFMA();
  for (size_t bits : {64u, 520u, 2047u, 4096u, 4094u, 6144u, 8190u}) {
    const BigInt n = RandomOddModulus(bits);
    IfmaModulus ifma(n);
    BigInt max = n;
    mpz_sub_ui(max.get(), max.get(), 1);
    BigInt r(0);
    mpz_setbit(r.get(), 52 * ifma.limbs());
    const BigInt r_mod_n = MulMod(r, BigInt(1), n);
    for (int round = 0; round < 8; ++round) {
      std::vector<LaneBlock> a(ifma.limbs()), b(ifma.limbs()), out(ifma.limbs());
      std::vector<BigInt> av, bv;
      for (size_t lane = 0; lane < 8; ++lane) {
        // Round 0 uses edge values; later rounds random ones, some of them in [N, 2N).
        BigInt x = round == 0 ? (lane % 2 ? max : BigInt(lane / 2)) : RandomBelow(n);
        BigInt y = round == 0 ? (lane < 4 ? max : BigInt(1)) : RandomBelow(n);
        if (round >= 4 && lane % 3 == 0) mpz_add(x.get(), x.get(), n.get());
        WriteLane(ifma, &a, lane, x);
        WriteLane(ifma, &b, lane, y);
        av.push_back(x);
        bv.push_back(y);
      }
      ifma.Multiply(out.data(), a.data(), b.data());
      for (size_t lane = 0; lane < 8; ++lane) {
        // out·R ≡ a·b (mod N).
        EXPECT_EQ(MulMod(ReadLane(ifma, out, lane), r_mod_n, n), MulMod(av[lane], bv[lane], n))
            << bits << " bits, round " << round << ", lane " << lane;
      }
    }
  }
}

TEST(IfmaTest, AChainOfProductsStaysBelowTwoNAndCorrect) {
  REQUIRE_IFMA();
  // All-ones limbs: the largest intermediate values.
  BigInt n;
  mpz_setbit(n.get(), 4096);
  mpz_sub_ui(n.get(), n.get(), 1);
  IfmaModulus ifma(n);
  std::vector<LaneBlock> acc(ifma.limbs()), x(ifma.limbs());
  ifma.SetOne(acc.data());
  std::vector<BigInt> expected(8, BigInt(1));
  constexpr int kRounds = 300;
  for (int round = 0; round < kRounds; ++round) {
    for (size_t lane = 0; lane < 8; ++lane) {
      BigInt v = RandomBelow(n);
      if (round % 50 == 0) mpz_sub_ui(v.get(), n.get(), 1);
      WriteLane(ifma, &x, lane, v);
      expected[lane] = MulMod(expected[lane], v, n);
    }
    ifma.Multiply(acc.data(), acc.data(), x.data());
  }
  for (size_t lane = 0; lane < 8; ++lane) {
    // acc = R·∏x·R^−rounds.
    EXPECT_EQ(MulMod(ReadLane(ifma, acc, lane), ifma.RPower(kRounds - 1), n), expected[lane])
        << "lane " << lane;
  }
}

// PowSecret against mpz_powm lane by lane: secret-style moduli (squares of odd numbers, as p²
// is) and random odd ones; exponents of every length class and edge shape; bases from 0 to 2N.
TEST(IfmaTest, PowSecretMatchesMpzLaneByLane) {
  REQUIRE_IFMA();
  for (size_t bits : {64u, 1023u, 2048u, 3072u}) {
    for (const bool square : {false, true}) {
      BigInt n = RandomOddModulus(square ? bits / 2 : bits);
      if (square) n = n * n;
      const IfmaModulus ifma(
          n, square ? IfmaModulus::Secrecy::kSecret : IfmaModulus::Secrecy::kPublic);
      std::vector<BigInt> exponents = {BigInt(1), BigInt(2), BigInt(31), BigInt(32)};
      for (size_t e_bits : {5u, 6u, 64u, 65u, 1024u}) {
        BigInt ones;
        mpz_setbit(ones.get(), e_bits);
        mpz_sub_ui(ones.get(), ones.get(), 1);
        exponents.push_back(ones);
        BigInt power;
        mpz_setbit(power.get(), e_bits - 1);
        exponents.push_back(power);
        BigInt random = RandomBelow(power);
        mpz_setbit(random.get(), e_bits - 1);
        exponents.push_back(random);
      }
      for (const BigInt& e : exponents) {
        std::vector<LaneBlock> x(ifma.limbs()), out(ifma.limbs());
        std::vector<BigInt> bases;
        for (size_t lane = 0; lane < 8; ++lane) {
          BigInt b = lane == 0   ? BigInt(0)
                     : lane == 1 ? BigInt(1)
                     : lane == 2 ? n - BigInt(1)
                                 : RandomBelow(n);
          if (lane == 3) b += n;  // in [N, 2N)
          WriteLane(ifma, &x, lane, b);
          bases.push_back(b);
        }
        ifma.ToMontgomery(x.data(), x.data());
        ifma.PowSecret(out.data(), x.data(), mpz_limbs_read(e.get()), e.bits());
        ifma.FromMontgomery(out.data(), out.data());
        for (size_t lane = 0; lane < 8; ++lane) {
          BigInt expected;
          mpz_powm(expected.get(), bases[lane].get(), e.get(), n.get());
          EXPECT_EQ(ReadLane(ifma, out, lane), expected)
              << bits << " bits, square " << square << ", e of " << e.bits() << " bits, lane "
              << lane;
        }
      }
    }
  }
}

// The plain lane arithmetic against mpz: a product of different widths, a + b − c, selection.
TEST(IfmaTest, PlainLaneArithmeticMatchesMpz) {
  REQUIRE_IFMA();
  constexpr size_t la = 40, lb = 39, wide = la + lb;
  std::vector<LaneBlock> a(wide), b(wide), c(wide), out(wide), sum(wide);
  std::vector<BigInt> av, bv, cv;
  BigInt bound_a, bound_b;
  mpz_setbit(bound_a.get(), 52 * la);
  mpz_setbit(bound_b.get(), 52 * lb);
  for (size_t lane = 0; lane < 8; ++lane) {
    // Lane 0: all-ones limbs, the largest columns.
    const BigInt x = lane == 0 ? bound_a - BigInt(1) : RandomBelow(bound_a);
    const BigInt y = lane == 0 ? bound_b - BigInt(1) : RandomBelow(bound_b);
    const BigInt z = lane == 1 ? x : RandomBelow(x);  // a − c >= 0 with b = 0 below
    av.push_back(x);
    bv.push_back(y);
    cv.push_back(z);
    for (auto [v, buffer] : {std::pair{&x, &a}, std::pair{&y, &b}, std::pair{&z, &c}}) {
      std::vector<uint64_t> digits(wide);
      ToLimbs52(mpz_limbs_read(v->get()), mpz_size(v->get()), digits.data(), wide);
      for (size_t i = 0; i < wide; ++i) (*buffer)[i].v[lane] = digits[i];
    }
  }
  MultiplyLanes(out.data(), a.data(), la, b.data(), lb);
  const std::vector<LaneBlock> zero(wide);
  AddSubtractLanes(sum.data(), a.data(), zero.data(), c.data(), wide);
  std::vector<mp_limb_t> limbs((52 * wide + 63) / 64);
  auto read = [&](const std::vector<LaneBlock>& x, size_t lane) {
    ExportLane(x.data(), wide, lane, limbs.data(), limbs.size());
    BigInt v;
    mpz_import(v.get(), limbs.size(), -1, sizeof(mp_limb_t), 0, 0, limbs.data());
    return v;
  };
  for (size_t lane = 0; lane < 8; ++lane) {
    EXPECT_EQ(read(out, lane), av[lane] * bv[lane]) << "lane " << lane;
    EXPECT_EQ(read(sum, lane), av[lane] - cv[lane]) << "lane " << lane;
  }
  // Selection: lane j takes entry index[j], whatever the others take (limb-major entries).
  constexpr size_t kEntries = 64, kLimbs = 3;
  std::vector<uint64_t> entries(kEntries * kLimbs);
  for (size_t i = 0; i < entries.size(); ++i) entries[i] = i * 7919;
  const uint64_t index[8] = {0, 63, 5, 5, 17, 62, 1, 40};
  std::vector<LaneBlock> picked(kLimbs);
  SelectPerLane(picked.data(), entries.data(), kEntries, kLimbs, index);
  for (size_t lane = 0; lane < 8; ++lane) {
    for (size_t i = 0; i < kLimbs; ++i) {
      EXPECT_EQ(picked[i].v[lane], entries[i * kEntries + index[lane]]) << lane << ", " << i;
    }
  }
}

// Every count around the switch to the lanes and around a full batch of eight, with and
// without IFMA, against mpz; merges in every combination of scalar and lane state.
TEST(IfmaTest, AccumulatorOnLanesEqualsMpzAndTheMpnPath) {
  REQUIRE_IFMA();
  const BigInt n = RandomOddModulus(4096);
  auto with = std::make_shared<const MontgomeryModulus>(n);
  auto without = std::make_shared<const MontgomeryModulus>(n, /*allow_ifma=*/false);
  ASSERT_NE(with->ifma(), nullptr);
  ASSERT_EQ(without->ifma(), nullptr);
  const int s = static_cast<int>(ProductAccumulator::kScalarFactors);
  std::vector<BigInt> factors;
  for (int i = 0; i < s + 200; ++i) {
    BigInt x = RandomBelow(n);
    mpz_setbit(x.get(), 0);
    factors.push_back(x);
  }
  for (int count : {0, 1, s - 1, s, s + 1, s + 7, s + 8, s + 9, s + 16, s + 23, s + 200}) {
    ProductAccumulator fast(with), slow(without);
    BigInt expected(1);
    for (int i = 0; i < count; ++i) {
      fast.Multiply(factors[static_cast<size_t>(i)]);
      slow.Multiply(factors[static_cast<size_t>(i)]);
      expected = MulMod(expected, factors[static_cast<size_t>(i)], n);
    }
    EXPECT_EQ(fast.Finish(), expected) << count << " factors";
    EXPECT_EQ(slow.Finish(), expected) << count << " factors";
    EXPECT_EQ(fast.factors(), static_cast<uint64_t>(count));
    for (int other : {0, 3, s + 5, s + 120}) {
      ProductAccumulator left = fast, right(with);
      BigInt merged = expected;
      for (int i = 0; i < other; ++i) {
        right.Multiply(factors[static_cast<size_t>(i)]);
        merged = MulMod(merged, factors[static_cast<size_t>(i)], n);
      }
      left.Merge(right);
      EXPECT_EQ(left.Finish(), merged) << count << " merged with " << other;
      EXPECT_EQ(left.factors(), static_cast<uint64_t>(count + other));
    }
  }
}

// On a real key: the accumulated product of ciphertexts decrypts to the sum of plaintexts.
TEST(MontgomeryTest, HomomorphicSumDecrypts) {
  Result<SecretKey> sk = GenerateKey(2048);
  ASSERT_TRUE(sk.ok());
  const PublicKey& pk = sk->public_key();
  ProductAccumulator acc(std::make_shared<const MontgomeryModulus>(pk.n_squared()));
  unsigned long sum = 0;
  for (unsigned long m = 1; m <= 100; ++m) {  // past kScalarFactors: the lanes too, with IFMA
    acc.Multiply(EncryptCrt(*sk, BigInt(m * 1000003)).value);
    sum += m * 1000003;
  }
  Result<BigInt> plain = Decrypt(*sk, Ciphertext{acc.Finish()});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, BigInt(sum));
}

}  // namespace
}  // namespace cipherstat::crypto
