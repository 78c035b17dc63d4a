// Regression (segment_fuzz): a line whose ciphertext fails to decode left a group with no
// sums in the Mapper; a later Merge indexed past its end. A failed line now leaves no trace.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/mapreduce.h"

namespace cipherstat {
namespace {

TEST(MapperErrorTest, AFailedLineLeavesNoHalfBuiltGroup) {
  auto sk = crypto::GenerateKey(2048);
  ASSERT_TRUE(sk.ok());
  const crypto::PublicKey& pk = sk->public_key();
  auto schema = SchemaFromJson(R"({"format": "cipherstat-schema", "version": 1, "name": "t",
    "columns": [{"name": "site", "kind": "categorical", "levels": ["A", "B"], "public": true},
                {"name": "cd4", "kind": "numeric", "min": 0, "max": 2000, "decimals": 0}]})");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  auto layout = Layout::Build(*schema, static_cast<int>(pk.plaintext_bits()));
  ASSERT_TRUE(layout.ok());
  ASSERT_EQ(layout->num_ciphertexts(), 1);
  auto plan = MakePlan("SELECT site, COUNT(*) FROM t GROUP BY site", CatalogOf(*schema), *layout);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  auto one = crypto::BigInt::FromHex("1");
  const std::string good = FormatRecordLine(pk, {"A"}, {crypto::Encrypt(pk, *one)});
  const std::string bad = "B\tnot-base64";

  Mapper mapper(pk, *plan, 1);
  EXPECT_FALSE(mapper.AddLine(bad).ok());
  EXPECT_TRUE(mapper.AddLine(good).ok());
  Mapper other(pk, *plan, 1);
  EXPECT_TRUE(other.AddLine("B\t" + good.substr(2)).ok());
  EXPECT_FALSE(mapper.AddLine(bad).ok());
  mapper.Merge(std::move(other));  // used to index the empty sums of group B
  std::vector<EncryptedGroup> groups = mapper.TakeGroups();
  ASSERT_EQ(groups.size(), 2u);
  for (const EncryptedGroup& g : groups) {
    EXPECT_EQ(g.sums.size(), 1u) << g.key[0];
    EXPECT_EQ(g.records, 1u) << g.key[0];
  }
}

}  // namespace
}  // namespace cipherstat
