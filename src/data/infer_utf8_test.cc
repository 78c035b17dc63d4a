// Regression (csv_fuzz): a CSV that is not UTF-8 (a Latin-1 export) made InferSchema build a
// schema whose JSON serialization threw, aborting `cipherstat schema`. It is now a clear error.
#include <gtest/gtest.h>

#include <string>

#include "data/clean.h"
#include "test_util.h"

namespace cipherstat {
namespace {

Status Infer(const std::string& csv) {
  testing::ScratchDir dir;
  testing::WriteText(dir / "latin1.csv", csv);
  return InferSchema(dir / "latin1.csv", InferOptions()).status();
}

TEST(InferUtf8Test, ANonUtf8HeaderIsAClearError) {
  Status s = Infer("caf\xe9,b\n1,2\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("line 1: the name of column 1 is not valid UTF-8"), std::string::npos)
      << s.ToString();
}

TEST(InferUtf8Test, ANonUtf8ValueIsAClearError) {
  // The fuzzer's input: a byte 0x94 (a Windows-1252 quote) in a text column.
  Status s = Infer("a,site\n1,\x94x\n2,\x94x\n3,y\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("line 2: the value of column 'site' is not valid UTF-8"),
            std::string::npos)
      << s.ToString();
}

TEST(InferUtf8Test, UnusualButValidUtf8IsAccepted) {
  // Two-, three- and four-byte characters; the levels survive into the schema JSON.
  auto schema = InferSchema(
      [] {
        static testing::ScratchDir dir;
        testing::WriteText(dir / "utf8.csv",
                           "site,n\nK\xc3\xa1mpala,1\nK\xc3\xa1mpala,2\n\xe2\x82\xac,3\n"
                           "\xf0\x9f\x98\x80,4\n\xe2\x82\xac,5\n\xf0\x9f\x98\x80,6\n");
        return dir / "utf8.csv";
      }(),
      InferOptions());
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_NE(SchemaToJson(*schema).find("K\xc3\xa1mpala"), std::string::npos);
}

TEST(InferUtf8Test, OverlongFormsAndSurrogatesAreNotUtf8) {
  for (const char* bad : {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3"}) {
    EXPECT_FALSE(Infer(std::string("a,b\n1,") + bad + "\n").ok()) << bad;
  }
}

// Regression (found while checking the csv_fuzz finding through the CLI): an unknown header
// column that is not UTF-8 went into the clean report's rule keys, and CleanReport::ToJson
// threw, aborting `cipherstat clean --report`.
TEST(InferUtf8Test, ACleanReportWithANonUtf8ColumnNameSerializes) {
  testing::ScratchDir dir;
  testing::WriteText(dir / "raw.csv", "n,caf\xe9\n1,x\n2,y\n");
  Schema schema;
  Column n;
  n.name = "n";
  n.max = 10;
  schema.columns.push_back(n);
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, dir / "raw.csv", dir / "clean.csv", &report).ok());
  const std::string json = report.ToJson();
  EXPECT_NE(json.find("unknown_column:caf\xef\xbf\xbd"), std::string::npos) << json;
}

}  // namespace
}  // namespace cipherstat
