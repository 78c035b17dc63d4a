#include "crypto/bigint.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "crypto/flat_json.h"
#include "crypto/hex.h"
#include "crypto/init.h"

namespace cipherstat::crypto {
namespace {

TEST(BigIntTest, HexRoundTrip) {
  for (const char* hex : {"0", "1", "ff", "deadbeef", "123456789abcdef0123456789abcdef"}) {
    Result<BigInt> x = BigInt::FromHex(hex);
    ASSERT_TRUE(x.ok()) << hex;
    EXPECT_EQ(x->ToHex(), hex);
  }
  Result<BigInt> upper = BigInt::FromHex("DEADBEEF");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->ToHex(), "deadbeef");
  Result<BigInt> negative = BigInt::FromHex("-1f");
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(negative->ToHex(), "-1f");
}

TEST(BigIntTest, FromHexRejectsNonHex) {
  for (const char* bad : {"", "-", "0x10", "12 34", " 12", "12\n", "g", "+1", "--1"}) {
    Result<BigInt> x = BigInt::FromHex(bad);
    EXPECT_FALSE(x.ok()) << "'" << bad << "'";
    EXPECT_EQ(x.status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(BigIntTest, BytesAreBigEndianAndPadded) {
  BigInt x(0x0102);
  EXPECT_EQ(x.ToBytes(4), std::string("\x00\x00\x01\x02", 4));
  EXPECT_EQ(BigInt(0).ToBytes(3), std::string(3, '\0'));
  EXPECT_EQ(BigInt::FromBytes(std::string("\x00\x01\x02", 3)), x);
  EXPECT_EQ(BigInt::FromBytes(""), BigInt(0));
  Result<BigInt> big = BigInt::FromHex("ffeeddccbbaa99887766554433221100");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(BigInt::FromBytes(big->ToBytes(16)), *big);
  EXPECT_EQ(BigInt::FromBytes(big->ToBytes(40)), *big);
}

TEST(BigIntTest, Bits) {
  EXPECT_EQ(BigInt(0).bits(), 0u);
  EXPECT_EQ(BigInt(1).bits(), 1u);
  EXPECT_EQ(BigInt(255).bits(), 8u);
  EXPECT_EQ(BigInt(256).bits(), 9u);
}

TEST(BigIntTest, CopyAndMove) {
  BigInt a(12345);
  BigInt b = a;
  EXPECT_EQ(a, b);
  BigInt c = std::move(a);
  EXPECT_EQ(c, b);
  BigInt d;
  d = std::move(c);
  EXPECT_EQ(d, b);
  const BigInt& alias = d;
  d = alias;  // self-assignment keeps the value
  EXPECT_EQ(d, b);
  std::vector<BigInt> many(100, BigInt(7));
  many.resize(1000);  // reallocation moves every element
  EXPECT_EQ(many[99], BigInt(7));
}

TEST(BigIntTest, RandomBelowStaysInRangeAndCoversIt) {
  const BigInt bound(10);
  std::map<unsigned long, int> seen;
  for (int i = 0; i < 2000; ++i) {
    BigInt x = RandomBelow(bound);
    ASSERT_LT(mpz_cmp(x.get(), bound.get()), 0);
    ASSERT_GE(mpz_sgn(x.get()), 0);
    ++seen[mpz_get_ui(x.get())];
  }
  EXPECT_EQ(seen.size(), 10u);
  // Each value expected 200 times; 100 is ~7 standard deviations away.
  for (const auto& [value, count] : seen) EXPECT_GT(count, 100) << value;
}

TEST(BigIntTest, RandomBelowLargeBound) {
  Result<BigInt> bound = BigInt::FromHex("1" + std::string(256, '0'));  // 2^1024
  ASSERT_TRUE(bound.ok());
  BigInt a = RandomBelow(*bound);
  BigInt b = RandomBelow(*bound);
  EXPECT_NE(a, b);
  EXPECT_LT(mpz_cmp(a.get(), bound->get()), 0);
  EXPECT_GT(a.bits(), 1000u);  // fails with probability 2^-24
}

TEST(BigIntTest, RandomUnitIsCoprime) {
  const BigInt m(2 * 3 * 5 * 7 * 11);
  BigInt g;
  for (int i = 0; i < 500; ++i) {
    BigInt x = RandomUnit(m);
    ASSERT_GT(mpz_sgn(x.get()), 0);
    ASSERT_LT(mpz_cmp(x.get(), m.get()), 0);
    mpz_gcd(g.get(), x.get(), m.get());
    ASSERT_EQ(mpz_cmp_ui(g.get(), 1), 0) << x.ToHex();
  }
}

TEST(BigIntTest, InitIsIdempotentAndReallocNeverWorksInPlace) {
  EXPECT_TRUE(Init().ok());
  EXPECT_TRUE(Init().ok());
  void* (*gmp_alloc)(size_t);
  void* (*gmp_realloc)(void*, size_t, size_t);
  void (*gmp_free)(void*, size_t);
  mp_get_memory_functions(&gmp_alloc, &gmp_realloc, &gmp_free);
  auto* block = static_cast<unsigned char*>(gmp_alloc(4096));
  for (int i = 0; i < 4096; ++i) block[i] = static_cast<unsigned char>(i);
  // Shrinking is where a plain realloc stays in place and leaves the tail behind unwiped.
  auto* smaller = static_cast<unsigned char*>(gmp_realloc(block, 4096, 16));
  EXPECT_NE(smaller, block);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(smaller[i], i);
  auto* larger = static_cast<unsigned char*>(gmp_realloc(smaller, 16, 100000));
  for (int i = 0; i < 16; ++i) EXPECT_EQ(larger[i], i);
  gmp_free(larger, 100000);
}

TEST(BigIntHexTest, EncodeDecode) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexDecode("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_FALSE(HexDecode("ab cd").has_value());
  EXPECT_FALSE(HexDecode("abcd\n").has_value());
}

TEST(BigIntFlatJsonTest, ParsesTheSubset) {
  Result<FlatJsonObject> obj = FlatJsonObject::Parse(R"( {"a":"x1", "b" : 12 ,"c":""} )");
  ASSERT_TRUE(obj.ok()) << obj.status().ToString();
  ASSERT_NE(obj->Find("a"), nullptr);
  EXPECT_EQ(obj->Find("a")->value, "x1");
  EXPECT_TRUE(obj->Find("a")->is_string);
  EXPECT_EQ(obj->Find("b")->value, "12");
  EXPECT_FALSE(obj->Find("b")->is_string);
  EXPECT_EQ(obj->Find("c")->value, "");
  EXPECT_EQ(obj->Find("d"), nullptr);
  EXPECT_TRUE(FlatJsonObject::Parse("{}").ok());
}

TEST(BigIntFlatJsonTest, RejectsEverythingElse) {
  const std::map<std::string, std::string> cases = {
      {"", "expected '{'"},
      {"[]", "expected '{'"},
      {R"({"a":"b")", "expected ',' or '}'"},
      {R"({"a":"b)", "unterminated string"},
      {R"({"a":"\u0041"})", "escape sequences"},
      {R"({"a":1,"a":2})", "duplicate key"},
      {R"({"a":-1})", "expected a string or an unsigned integer"},
      {R"({"a":true})", "expected a string or an unsigned integer"},
      {R"({"a":{}})", "expected a string or an unsigned integer"},
      {R"({"a":01})", "leading zero"},
      {R"({"a":1} x)", "trailing characters"},
      {R"({a:1})", "expected a string"},
      {R"({"a" 1})", "expected ':'"},
      {R"({"a":1,})", "expected a string"},
  };
  for (const auto& [text, message] : cases) {
    Result<FlatJsonObject> obj = FlatJsonObject::Parse(text);
    ASSERT_FALSE(obj.ok()) << text;
    EXPECT_EQ(obj.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(obj.status().message().find(message), std::string::npos)
        << text << " -> " << obj.status().message();
    EXPECT_NE(obj.status().message().find("at byte"), std::string::npos);
  }
}

}  // namespace
}  // namespace cipherstat::crypto
