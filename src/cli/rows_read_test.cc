// The signed manifest records how many raw rows clean read and kept (encrypt --clean-report),
// and every release shows both beside the result.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ShellQuote;

using testing::CommandResult;
using testing::RunCipherstat;
using testing::ScratchDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RowsRead, TheManifestRecordsRowsReadAndKeptAndReleasesShowThem) {
  ScratchDir d;
  ASSERT_EQ(RunCipherstat("keygen --fast-kdf --out " + ShellQuote(d / "keys")).exit_code, 0);
  ASSERT_EQ(
      RunCipherstat("generate --records 200 --seed 3 --out " + ShellQuote(d / "raw.csv")).exit_code,
      0);
  // Rows the schema tells clean to drop: a missing CD4, in a drop_row column (the generated
  // cohort has some, and one more is added).
  testing::WriteText(d / "raw.csv",
                     testing::ReadText(d / "raw.csv") + "Z0000001,40,M,Kampala,EFV,,50,1.7,2020\n");
  CommandResult s = RunCipherstat("schema --in " + ShellQuote(d / "raw.csv") + " --out " +
                                  ShellQuote(d / "s.json"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  auto schema = nlohmann::json::parse(testing::ReadText(d / "s.json"));
  for (auto& column : schema["columns"]) {
    if (column["name"] == "cd4") column["on_invalid"] = "drop_row";
  }
  testing::WriteText(d / "s.json", schema.dump());
  CommandResult c = RunCipherstat(
      "clean --schema " + ShellQuote(d / "s.json") + " --in " + ShellQuote(d / "raw.csv") +
      " --out " + ShellQuote(d / "clean.csv") + " --report " + ShellQuote(d / "r.json"));
  ASSERT_EQ(c.exit_code, 0) << c.output;
  const auto report = nlohmann::json::parse(testing::ReadText(d / "r.json"));
  const uint64_t read = report["rows_read"], kept = report["rows_written"];
  ASSERT_EQ(read, 201u);
  ASSERT_LT(kept, read);
  const std::string r = std::to_string(read), k = std::to_string(kept);

  const std::string encrypt = "encrypt --schema " + ShellQuote(d / "s.json") + " --key " +
                              ShellQuote(d / "keys") + " --in " + ShellQuote(d / "clean.csv") +
                              " --out ";
  CommandResult e =
      RunCipherstat(encrypt + ShellQuote(d / "ds") + " --clean-report " + ShellQuote(d / "r.json"));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const auto manifest = nlohmann::json::parse(testing::ReadText(d / "ds/manifest.json"));
  EXPECT_EQ(manifest["rows_read"], read);
  EXPECT_EQ(manifest["record_count"], kept);
  EXPECT_TRUE(Contains(testing::ReadText(d / "ds/manifest.sig"), "\\\"rows_read\\\":" + r))
      << "the count is signed";

  CommandResult q = RunCipherstat("query --data " + ShellQuote(d / "ds") + " --sql " +
                                  ShellQuote("SELECT COUNT(*) FROM raw") + " --out " +
                                  ShellQuote(d / "res.json"));
  ASSERT_EQ(q.exit_code, 0) << q.output;
  CommandResult text = RunCipherstat("decrypt --key " + ShellQuote(d / "keys") + " --in " +
                                     ShellQuote(d / "res.json"));
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_TRUE(Contains(
      text.output, "(" + k + " records, kept by the owner's clean step of " + r + " rows read)"))
      << text.output;
  CommandResult json = RunCipherstat("decrypt --format json --key " + ShellQuote(d / "keys") +
                                     " --in " + ShellQuote(d / "res.json"));
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const auto released = nlohmann::json::parse(json.output, nullptr, false);
  ASSERT_FALSE(released.is_discarded()) << json.output;
  EXPECT_EQ(released["rows_read"], read);
  EXPECT_EQ(released["records"], kept);

  // Without the report nothing is claimed.
  ASSERT_EQ(RunCipherstat(encrypt + ShellQuote(d / "ds2")).exit_code, 0);
  EXPECT_FALSE(
      nlohmann::json::parse(testing::ReadText(d / "ds2/manifest.json")).contains("rows_read"));

  // Another run's report is refused, and no dataset is left.
  testing::WriteText(d / "other.json", R"({"rows_read": 500, "rows_written": 450})");
  CommandResult wrong = RunCipherstat(encrypt + ShellQuote(d / "ds3") + " --clean-report " +
                                      ShellQuote(d / "other.json"));
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_TRUE(Contains(wrong.output, "the clean report counts 450 rows written, but " +
                                         d / "clean.csv" + " holds " + k + " records"))
      << wrong.output;
  EXPECT_FALSE(testing::ReadText(d / "ds3/manifest.json").size() > 0);
  testing::WriteText(d / "junk.json", R"({"rows": 1})");
  CommandResult junk = RunCipherstat(encrypt + ShellQuote(d / "ds4") + " --clean-report " +
                                     ShellQuote(d / "junk.json"));
  EXPECT_NE(junk.exit_code, 0);
  EXPECT_TRUE(Contains(junk.output, "not a clean report (no \"rows_read\" count)")) << junk.output;
}

}  // namespace
}  // namespace cipherstat
