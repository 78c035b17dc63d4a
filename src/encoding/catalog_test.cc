#include "encoding/catalog.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace cipherstat {
namespace {

// A schema whose every private detail is a distinctive string: none may reach the catalog.
Schema Secretive() {
  auto schema = SchemaFromJson(R"({
    "format": "cipherstat-schema", "version": 1, "name": "cohort", "max_records": 5000,
    "columns": [
      {"name": "pid", "kind": "identifier"},
      {"name": "site", "kind": "categorical", "levels": ["Kampala", "Durban"], "public": true},
      {"name": "dx", "kind": "categorical", "levels": ["common_dx", "rare_dx_Q7"]},
      {"name": "vl", "kind": "numeric", "min": -17, "max": 9183746, "decimals": 0,
       "bins": [0, 271, 4096, "inf"]},
      {"name": "arm", "kind": "numeric", "min": 0, "max": 3, "decimals": 0,
       "levels": ["0", "1", "2", "3"]},
      {"name": "temp", "kind": "numeric", "min": 31.5, "max": 42.25, "decimals": 2}
    ],
    "derived": [{"name": "suppressed", "column": "vl", "op": "<", "value": 313}],
    "crosses": [{"by": "dx", "over": ["vl", "suppressed"]}],
    "missing_values": ["", "NA", "not_recorded_X"]
  })");
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : Schema{};
}

TEST(CatalogTest, HoldsNamesKindsAndCountsOnly) {
  const Catalog c = CatalogOf(Secretive());
  const std::string json = CatalogToJson(c);
  for (const char* secret : {"rare_dx_Q7", "common_dx", "9183746", "-17", "271", "4096", "313",
                             "31.5", "42.25", "not_recorded_X", "Kampala", "5000", "\"<\""}) {
    EXPECT_EQ(json.find(secret), std::string::npos) << secret << " in " << json;
  }
  ASSERT_EQ(c.columns.size(), 6u);
  EXPECT_EQ(c.FindColumn("dx")->levels, 2);
  EXPECT_EQ(c.FindColumn("vl")->bins, 3);
  EXPECT_EQ(c.FindColumn("arm")->levels, 4);
  EXPECT_TRUE(c.FindColumn("site")->is_public);
  EXPECT_EQ(c.FindColumn("site")->levels, 0);  // its values are in the records already
  EXPECT_EQ(c.FindColumn("pid")->kind, ColumnKind::kIdentifier);
  EXPECT_TRUE(c.IsDerived("suppressed"));
  EXPECT_TRUE(c.HasCross("dx", "suppressed"));
  EXPECT_EQ(c.PublicColumns(), std::vector<std::string>{"site"});
}

TEST(CatalogTest, JsonRoundTrips) {
  const Catalog c = CatalogOf(Secretive());
  auto read = CatalogFromJson(CatalogToJson(c));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, c);
}

TEST(CatalogTest, MalformedCatalogsAreCorruption) {
  for (const char* bad : {
           "",
           "[]",
           R"({"name":"t"})",
           R"({"name":"t","columns":[{"name":"a","kind":"secret"}],"derived":[],"crosses":[]})",
           R"({"name":"t","columns":[{"name":"a","kind":"numeric"},{"name":"a","kind":"numeric"}],
               "derived":[],"crosses":[]})",
           R"({"name":"t","columns":[{"name":"a","kind":"numeric","levels":-2}],"derived":[],
               "crosses":[]})",
           R"({"name":"t","columns":[{"name":"a","kind":"numeric"}],"derived":[],
               "crosses":[{"by":"a","over":["a"]}]})",
       }) {
    EXPECT_EQ(CatalogFromJson(bad).status().code(), Status::Code::kCorruption) << bad;
  }
}

TEST(CatalogTest, DescriptionNamesEveryColumnAndNoSecret) {
  const auto lines = DescribeCatalog(CatalogOf(Secretive()));
  ASSERT_EQ(lines.size(), 7u);  // six columns and one indicator
  EXPECT_EQ(lines[2], "dx: private categorical, encrypted; 2 levels, by number only");
  EXPECT_EQ(lines[6], "suppressed: private 0/1 indicator, encrypted; its rule is sealed");
  for (const std::string& line : lines) EXPECT_EQ(line.find("rare_dx_Q7"), std::string::npos);
}

}  // namespace
}  // namespace cipherstat
