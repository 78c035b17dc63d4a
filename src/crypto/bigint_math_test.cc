// BigInt as a number: the arithmetic, comparisons and conversions the query decoder's
// formulas are written with.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "crypto/bigint.h"

namespace cipherstat::crypto {
namespace {

BigInt TwoTo(unsigned long exponent) { return BigInt::Power(2, exponent); }

TEST(BigIntMath, ArithmeticIsExactAndSigned) {
  const BigInt big = TwoTo(70);
  EXPECT_EQ((big + BigInt(5)) - BigInt(5), big);
  EXPECT_EQ(big * big, TwoTo(140));
  EXPECT_EQ(BigInt::FromLong(-7) * BigInt(3), BigInt::FromLong(-21));
  EXPECT_EQ(BigInt(3) - BigInt(10), BigInt::FromLong(-7));
  BigInt x(1);
  x += BigInt(2);
  x *= BigInt(5);
  x -= BigInt(1);
  EXPECT_EQ(x, BigInt(14));
  EXPECT_EQ(BigInt::Power(10, 20).ToDecimal(), "100000000000000000000");
  EXPECT_EQ(BigInt::FromLong(-21).ToDecimal(), "-21");
  EXPECT_EQ(BigInt().ToDecimal(), "0");
  EXPECT_EQ(BigInt::FromLong(-5).sign(), -1);
  EXPECT_EQ(BigInt().sign(), 0);
}

TEST(BigIntMath, ComparesWithBigIntsAndMachineIntegersOfEitherSign) {
  EXPECT_LT(BigInt(5), BigInt(6));
  EXPECT_GT(TwoTo(64), BigInt(std::numeric_limits<unsigned long>::max()));
  EXPECT_TRUE(BigInt(5) == 5);
  EXPECT_TRUE(BigInt(5) == uint64_t{5});
  EXPECT_TRUE(BigInt(5) < 6);
  EXPECT_TRUE(BigInt(0) > -1);  // a signed comparison, not 0 > ULONG_MAX
  EXPECT_TRUE(BigInt::FromLong(-1) < 0);
  EXPECT_TRUE(BigInt::FromLong(-1) < uint64_t{0});
  EXPECT_TRUE(TwoTo(64) > std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(BigInt::FromLong(std::numeric_limits<long>::min()) ==
              std::numeric_limits<long>::min());
}

TEST(BigIntMath, ConvertsToLongWhenItFitsAndToDoubleByTruncation) {
  EXPECT_EQ(BigInt::FromLong(-42).ToLong(), -42);
  EXPECT_EQ(BigInt(std::numeric_limits<long>::max()).ToLong(), std::numeric_limits<long>::max());
  EXPECT_EQ(BigInt(static_cast<unsigned long>(std::numeric_limits<long>::max()) + 1).ToLong(),
            std::nullopt);
  // 2^53 + 1 lies halfway between two doubles; the conversion truncates.
  EXPECT_EQ((TwoTo(53) + BigInt(1)).ToDouble(), 9007199254740992.0);
  EXPECT_EQ((TwoTo(54) + BigInt(3)).ToDouble(), 18014398509481984.0);
}

// IEEE division of exactly representable integers is correctly rounded, and has no ties, so
// it must agree with the exact rational rounding everywhere.
TEST(BigIntMath, NearestDoubleAgreesWithIeeeDivisionOfSmallIntegers) {
  std::mt19937_64 random(13);
  std::uniform_int_distribution<long> value(-(1L << 53) + 1, (1L << 53) - 1);
  for (int i = 0; i < 20000; ++i) {
    const long a = value(random);
    long b = value(random) >> (random() % 50);  // denominators of every size
    if (b == 0) b = 3;
    ASSERT_EQ(NearestDouble(BigInt::FromLong(a), BigInt::FromLong(b)),
              static_cast<double>(a) / static_cast<double>(b))
        << a << " / " << b;
  }
}

TEST(BigIntMath, NearestDoubleRoundsAwayFromTruncationWhenNearerAndKeepsItOnTies) {
  // 2^54 + 3: doubles there are 4 apart; 2^54 + 4 is nearer than the truncated 2^54.
  EXPECT_EQ(NearestDouble(TwoTo(54) + BigInt(3), BigInt(1)), 18014398509481988.0);
  EXPECT_EQ(NearestDouble(BigInt::FromLong(-1) * (TwoTo(54) + BigInt(3)), BigInt(1)),
            -18014398509481988.0);
  // A tie keeps the value nearer zero.
  EXPECT_EQ(NearestDouble(TwoTo(53) + BigInt(1), BigInt(1)), 9007199254740992.0);
  EXPECT_EQ(NearestDouble(BigInt(1), BigInt(3)), 1.0 / 3.0);
  EXPECT_EQ(NearestDouble(BigInt(2), BigInt::FromLong(-3)), -2.0 / 3.0);
  // Far beyond the range of doubles in both terms.
  EXPECT_EQ(NearestDouble(BigInt::Power(10, 400), BigInt::Power(10, 399)), 10.0);
  EXPECT_EQ(NearestDouble(BigInt(), BigInt(7)), 0.0);
}

}  // namespace
}  // namespace cipherstat::crypto
