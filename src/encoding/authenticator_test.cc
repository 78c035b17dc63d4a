#include "encoding/authenticator.h"

#include <gmp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "encoding/layout.h"

namespace cipherstat {
namespace {

crypto::BigInt ToBig(TagValue x) {
  crypto::BigInt out;
  mpz_import(out.get(), 1, -1, sizeof x, 0, 0, &x);
  return out;
}

crypto::BigInt Prime() {
  crypto::BigInt p;
  mpz_ui_pow_ui(p.get(), 2, 127);
  mpz_sub_ui(p.get(), p.get(), 1);
  return p;
}

TagValue Random128() {
  TagValue x = 0;
  randombytes_buf(&x, sizeof x);
  return x;
}

// Against GMP on random and edge operands: reduction of any 128-bit value, sums and products
// of reduced values.
TEST(TagFieldTest, AgreesWithGmp) {
  const crypto::BigInt p = Prime();
  const TagValue top = ~static_cast<TagValue>(0);
  std::vector<TagValue> values = {
      0,   1,      2, kTagPrime - 1, kTagPrime, kTagPrime + 1, static_cast<TagValue>(1) << 127,
      top, top - 1};
  for (int i = 0; i < 300; ++i) values.push_back(Random128());
  for (TagValue x : values) {
    crypto::BigInt want;
    mpz_mod(want.get(), ToBig(x).get(), p.get());
    ASSERT_EQ(mpz_cmp(ToBig(TagReduce(x)).get(), want.get()), 0);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const TagValue a = TagReduce(values[i]), b = TagReduce(values[(i * 7 + 3) % values.size()]);
    crypto::BigInt sum, product;
    mpz_add(sum.get(), ToBig(a).get(), ToBig(b).get());
    mpz_mod(sum.get(), sum.get(), p.get());
    mpz_mul(product.get(), ToBig(a).get(), ToBig(b).get());
    mpz_mod(product.get(), product.get(), p.get());
    EXPECT_EQ(mpz_cmp(ToBig(TagAdd(a, b)).get(), sum.get()), 0);
    EXPECT_EQ(mpz_cmp(ToBig(TagMul(a, b)).get(), product.get()), 0);
  }
}

TEST(TagFieldTest, HexRoundTripsAndRefusesWhatIsNotAnElement) {
  for (TagValue x : {TagValue{0}, kTagPrime - 1, TagReduce(Random128())}) {
    auto back = TagValueFromHex(TagValueToHex(x), "t");
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(*back == x);
  }
  EXPECT_FALSE(TagValueFromHex(TagValueToHex(kTagPrime), "t").ok());
  EXPECT_FALSE(TagValueFromHex("12", "t").ok());
  EXPECT_FALSE(TagValueFromHex(std::string(31, '0') + "g", "t").ok());
  EXPECT_FALSE(TagKey::FromHex("00").ok());
  const TagKey key = TagKey::Generate();
  auto again = TagKey::FromHex(key.Hex());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->Derive("alpha", 3) == key.Derive("alpha", 3));
  EXPECT_FALSE(key.Derive("alpha", 3) == key.Derive("alpha", 4));
  EXPECT_FALSE(key.Derive("alpha", 3) == TagKey::Generate().Derive("alpha", 3));
}

Schema SmallSchema() {
  Schema s;
  s.name = "t";
  s.max_records = 1000;
  Column x;
  x.name = "x";
  x.kind = ColumnKind::kNumeric;
  x.min = 0;
  x.max = 500;
  Column g;
  g.name = "g";
  g.kind = ColumnKind::kCategorical;
  g.levels = {"a", "b", "c"};
  s.columns = {x, g};
  return s;
}

// Sums of honestly tagged records pass with the sum of their randoms, and nothing else does:
// another set's randoms, a changed slot, a record left out.
TEST(AuthenticatorTest, ChecksSumsOfTaggedRecords) {
  const Schema schema = SmallSchema();
  ASSERT_TRUE(ValidateSchema(schema).ok());
  auto layout = Layout::Build(schema, 2046);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  auto encoder = RecordEncoder::Create(schema, *layout, {"x", "g"});
  ASSERT_TRUE(encoder.ok()) << encoder.status().ToString();
  const TagKey key = TagKey::Generate();
  const Authenticator tags(key, *layout);
  const int k = 0;
  crypto::BigInt sum, sum_but_last;
  TagValue randoms = 0, randoms_but_last = 0;
  std::vector<crypto::BigInt> plaintexts;
  std::vector<std::string> public_values;
  const std::vector<std::vector<std::string>> rows = {
      {"10", "a"}, {"500", "b"}, {"0", "c"}, {"", "a"}, {"77", ""}};
  for (size_t i = 0; i < rows.size(); ++i) {
    const TagValue r = RandomTagValue();
    ASSERT_TRUE(encoder->Encode(rows[i], &plaintexts, &public_values, &tags, r).ok());
    ASSERT_TRUE(tags.Check(k, plaintexts[0], r)) << "record " << i;
    EXPECT_FALSE(tags.Check(k, plaintexts[0], TagAdd(r, 1)));
    mpz_add(sum.get(), sum.get(), plaintexts[0].get());
    randoms = TagAdd(randoms, r);
    if (i + 1 < rows.size()) {
      mpz_add(sum_but_last.get(), sum_but_last.get(), plaintexts[0].get());
      randoms_but_last = TagAdd(randoms_but_last, r);
    }
  }
  EXPECT_TRUE(tags.Check(k, sum, randoms));
  EXPECT_TRUE(tags.Check(k, sum_but_last, randoms_but_last));
  EXPECT_FALSE(tags.Check(k, sum_but_last, randoms)) << "a record left out";
  EXPECT_FALSE(tags.Check(k, sum, randoms_but_last));
  for (const Slot& s : layout->slots()) {
    crypto::BigInt edited = sum;
    crypto::BigInt one(1);
    mpz_mul_2exp(one.get(), one.get(), static_cast<mp_bitcnt_t>(s.offset));
    mpz_add(edited.get(), edited.get(), one.get());
    EXPECT_FALSE(tags.Check(k, edited, randoms)) << "slot " << s.variable;
  }
  // Another key's verifier refuses the honest sum.
  const Authenticator other(TagKey::Generate(), *layout);
  EXPECT_FALSE(other.Check(k, sum, randoms));
  // Untagged records (the plaintext evaluation) carry a zero tag, which does not verify.
  ASSERT_TRUE(encoder->Encode(rows[0], &plaintexts, &public_values).ok());
  EXPECT_FALSE(tags.Check(k, plaintexts[0], 0));
}

}  // namespace
}  // namespace cipherstat
