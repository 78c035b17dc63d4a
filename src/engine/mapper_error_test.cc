// Regression (segment_fuzz): a record whose ciphertext fails to decode left a group with no
// sums in the Mapper; a later Merge indexed past its end. A failed record now leaves no trace.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/mapreduce.h"

namespace cipherstat {
namespace {

TEST(MapperErrorTest, AFailedRecordLeavesNoHalfBuiltGroup) {
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
  const std::string one =
      crypto::CiphertextToFixedBytes(pk, crypto::Encrypt(pk, crypto::BigInt(1)));
  const std::string short_bytes = one.substr(1);
  auto record = [](std::string_view site, std::string_view bytes) {
    RecordView r;
    r.public_values = {site};
    r.ciphertexts = {bytes};
    return r;
  };

  Mapper mapper(pk, *plan);
  EXPECT_FALSE(mapper.AddRecord(record("B", short_bytes)).ok());
  EXPECT_TRUE(mapper.AddRecord(record("A", one)).ok());
  Mapper other(pk, *plan);
  EXPECT_TRUE(other.AddRecord(record("B", one)).ok());
  EXPECT_FALSE(mapper.AddRecord(record("B", short_bytes)).ok());
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
