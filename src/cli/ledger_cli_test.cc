// Issue 16, across releases: an analyst who saw `SELECT COUNT(*), AVG(age)` asks for the same
// over every site but the smallest, to get the small site's patients as the difference. The
// release ledger (pipeline/ledger.h) hides the second table's row, through the real binary,
// and leaves releases that do not combine alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sqlite_oracle.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ScratchDir;
using testing::ShellQuote;

class LedgerCli : public ::testing::Test {
 protected:
  testing::CommandResult Cli(const std::string& args) {
    return testing::RunCommand(
        "CIPHERSTAT_PASSPHRASE=x CIPHERSTAT_AUDIT_LOG=" + ShellQuote(dir_ / "audit.jsonl") + " " +
        ShellQuote(testing::Binary()) + " " + args);
  }
  void SetUp() override {
    ASSERT_EQ(Cli("keygen --fast-kdf --out " + ShellQuote(dir_ / "keys")).exit_code, 0);
    ASSERT_EQ(
        Cli("generate --records 300 --seed 16 --out " + ShellQuote(dir_ / "cohort.csv")).exit_code,
        0);
    ASSERT_EQ(Cli("schema --in " + ShellQuote(dir_ / "cohort.csv") + " --out " +
                  ShellQuote(dir_ / "inferred.json"))
                  .exit_code,
              0);
    // The owner publishes the site: WHERE can then select on it.
    auto schema = nlohmann::json::parse(testing::ReadText(dir_ / "inferred.json"));
    for (auto& column : schema["columns"]) {
      if (column["name"] == "site") column["public"] = true;
    }
    nlohmann::json crosses = nlohmann::json::array();
    for (const auto& cross : schema["crosses"]) {
      if (cross["by"] != "site") crosses.push_back(cross);
    }
    schema["crosses"] = crosses;
    testing::WriteText(dir_ / "schema.json", schema.dump());
    ASSERT_EQ(Cli("clean --schema " + ShellQuote(dir_ / "schema.json") + " --in " +
                  ShellQuote(dir_ / "cohort.csv") + " --out " + ShellQuote(dir_ / "clean.csv"))
                  .exit_code,
              0);
    ASSERT_EQ(Cli("encrypt --schema " + ShellQuote(dir_ / "schema.json") + " --key " +
                  ShellQuote(dir_ / "keys") + " --in " + ShellQuote(dir_ / "clean.csv") +
                  " --out " + ShellQuote(dir_ / "dataset"))
                  .exit_code,
              0);
    sites_ = CountBy("site");
    for (const auto& [name, n] : sites_) {
      if (smallest_.empty() || n < sites_[smallest_]) smallest_ = name;
    }
  }
  // The records per value of `column`, counted here from the clean file.
  std::map<std::string, uint64_t> CountBy(const std::string& column) {
    std::vector<std::vector<std::string>> rows;
    std::string error;
    EXPECT_TRUE(testing::ReadCsvFile(dir_ / "clean.csv", &rows, &error)) << error;
    std::map<std::string, uint64_t> counts;
    if (rows.empty()) return counts;
    size_t c = 0;
    while (c < rows[0].size() && rows[0][c] != column) ++c;
    EXPECT_LT(c, rows[0].size()) << column;
    for (size_t r = 1; r < rows.size() && c < rows[0].size(); ++r) ++counts[rows[r][c]];
    return counts;
  }
  // Runs `sql` as the compute party and decrypts it as JSON with min_cell and `flags`.
  testing::CommandResult Decrypt(const std::string& sql, uint64_t min_cell,
                                 const std::string& flags = "") {
    const std::string result = dir_ / ("result" + std::to_string(++n_) + ".json");
    testing::CommandResult q = Cli("query --data " + ShellQuote(dir_ / "dataset") + " --sql " +
                                   ShellQuote(sql) + " --out " + ShellQuote(result));
    EXPECT_EQ(q.exit_code, 0) << q.output;
    return Cli("decrypt --format json --min-cell " + std::to_string(min_cell) + " --key " +
               ShellQuote(dir_ / "keys") + " --in " + ShellQuote(result) + flags);
  }
  nlohmann::json Release(const std::string& sql, uint64_t min_cell) {
    testing::CommandResult d = Decrypt(sql, min_cell);
    EXPECT_EQ(d.exit_code, 0) << d.output;
    return nlohmann::json::parse(d.output, nullptr, false);
  }
  ScratchDir dir_;
  std::map<std::string, uint64_t> sites_;
  std::string smallest_;
  int n_ = 0;
};

TEST_F(LedgerCli, ATotalThenAllButOneSmallSiteIsHiddenAsCombining) {
  const uint64_t min_cell = sites_[smallest_] + 1;  // the smallest site alone is a small cell
  ASSERT_LT(min_cell, 300u / 2);
  const nlohmann::json total = Release("SELECT COUNT(*), AVG(age) FROM cohort", min_cell);
  ASSERT_EQ(total["rows"][0][0], 300);
  ASSERT_TRUE(total["rows"][0][1].is_number());

  const nlohmann::json rest =
      Release("SELECT COUNT(*), AVG(age) FROM cohort WHERE site <> '" + smallest_ + "'", min_cell);
  // Shown, it would give the smallest site's patients: 300·avg − count·avg'.
  EXPECT_TRUE(rest["rows"][0][0].is_null()) << rest.dump();
  EXPECT_TRUE(rest["rows"][0][1].is_null()) << rest.dump();
  ASSERT_EQ(rest["suppressed_why"].size(), 2u) << rest.dump();
  EXPECT_EQ(rest["suppressed_why"][1], "combines with release 1, row all records");

  // The same split by sex: each row, subtracted from release 3's, leaves the small site's
  // patients of that sex.
  const nlohmann::json by_sex =
      Release("SELECT sex, COUNT(*), AVG(age) FROM cohort GROUP BY sex", min_cell);
  for (const auto& row : by_sex["rows"]) EXPECT_TRUE(row[2].is_number()) << by_sex.dump();
  const nlohmann::json rest_by_sex = Release(
      "SELECT sex, COUNT(*), AVG(age) FROM cohort WHERE site <> '" + smallest_ + "' GROUP BY sex",
      min_cell);
  for (const auto& row : rest_by_sex["rows"]) {
    EXPECT_TRUE(row[1].is_null() && row[2].is_null()) << rest_by_sex.dump();
  }
  for (const auto& why : rest_by_sex["suppressed_why"]) {
    EXPECT_EQ(why.get<std::string>().rfind("combines with release 3, row sex = '", 0), 0u) << why;
  }

  // A site far from the total combines with nothing: shown.
  std::string largest = smallest_;
  for (const auto& [name, n] : sites_) {
    if (n > sites_[largest]) largest = name;
  }
  ASSERT_GE(300 - sites_[largest], min_cell);
  const nlohmann::json one =
      Release("SELECT COUNT(*), AVG(age) FROM cohort WHERE site = '" + largest + "'", min_cell);
  EXPECT_EQ(one["rows"][0][0], sites_[largest]) << one.dump();
  EXPECT_TRUE(one["rows"][0][1].is_number()) << one.dump();

  // The ledger holds the five releases, chained, beside the audit log; the audit log names
  // each release's ledger line.
  const std::vector<std::string> ledger = [&] {
    std::vector<std::string> files;
    for (const auto& f : std::filesystem::directory_iterator(dir_ / "ledger")) {
      files.push_back(f.path().string());
    }
    return files;
  }();
  ASSERT_EQ(ledger.size(), 1u);
  EXPECT_EQ(testing::Lines(testing::ReadText(ledger[0])).size(), 5u);
  EXPECT_NE(testing::ReadText(dir_ / "audit.jsonl").find("ledger release 5, sha256 "),
            std::string::npos);
}

// Two releases at ε = 0.4 fit a budget of 1; a third would not, and decrypts nothing. The
// budget stays with the dataset: a later release without --dp-budget is held to it.
TEST_F(LedgerCli, ThePrivacyBudgetRefusesTheReleaseThatWouldPassIt) {
  const std::string sql = "SELECT sex, COUNT(*), AVG(age) FROM cohort GROUP BY sex";
  for (int i = 0; i < 2; ++i) {
    testing::CommandResult d = Decrypt(sql, 11, " --dp-epsilon 0.4 --dp-budget 1");
    ASSERT_EQ(d.exit_code, 0) << d.output;
    EXPECT_EQ(nlohmann::json::parse(d.output)["epsilon"], "2/5") << d.output;
  }
  testing::CommandResult over = Decrypt(sql, 11, " --dp-epsilon 0.4");
  EXPECT_NE(over.exit_code, 0);
  EXPECT_NE(over.output.find("privacy budget exhausted: this dataset has spent epsilon 4/5 of its "
                             "1 in " +
                             dir_ / "ledger/"),
            std::string::npos)
      << over.output;
  EXPECT_NE(over.output.find(", and this release needs 2/5; nothing was decrypted"),
            std::string::npos)
      << over.output;
  EXPECT_EQ(Decrypt(sql, 11, " --dp-epsilon 0.2").exit_code, 0);  // 4/5 + 1/5 = 1 exactly
  testing::CommandResult bad = Decrypt(sql, 11, " --dp-epsilon 0.1 --dp-budget none");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("--dp-budget: privacy epsilon none: not a decimal number such as 0.5"),
            std::string::npos)
      << bad.output;
}

// The attack: `SELECT COUNT(*), AVG(age)`, then the same GROUP BY arm where one arm is
// small. Its row is hidden, and so is another (the header prints the total), so the total's
// sum minus the rows shown gives the small arm's patients only together with at least
// min_cell others.
TEST_F(LedgerCli, ATotalThenAGroupByLeavesNoSmallGroupToSubtract) {
  std::map<std::string, uint64_t> arms = CountBy("arm");
  ASSERT_FALSE(arms.empty());
  uint64_t smallest = 300;
  for (const auto& [name, n] : arms) smallest = std::min(smallest, n);
  const uint64_t min_cell = smallest + 1;

  const nlohmann::json total = Release("SELECT COUNT(*), AVG(age) FROM cohort", min_cell);
  ASSERT_TRUE(total["rows"][0][1].is_number()) << total.dump();
  const nlohmann::json by_arm =
      Release("SELECT arm, COUNT(*), AVG(age) FROM cohort GROUP BY arm", min_cell);
  uint64_t hidden_rows = 0, hidden_records = 0;
  for (const auto& row : by_arm["rows"]) {
    if (!row[1].is_null()) continue;
    ++hidden_rows;
    hidden_records += row[0].is_null() ? 0 : arms[row[0].get<std::string>()];
  }
  EXPECT_GE(hidden_rows, 2u) << by_arm.dump();
  EXPECT_GE(hidden_records, min_cell) << by_arm.dump();
}

// Two private releases of the same rows differ by their noise alone, which says nothing about
// any records: they do not combine.
TEST_F(LedgerCli, NoisyReleasesOfTheSameRowsDoNotCombine) {
  const std::string sql = "SELECT COUNT(*), AVG(age) FROM cohort";
  for (int i = 0; i < 3; ++i) {
    testing::CommandResult d = Decrypt(sql, 11, " --dp-epsilon 0.2");
    ASSERT_EQ(d.exit_code, 0) << d.output;
    const auto released = nlohmann::json::parse(d.output);
    EXPECT_TRUE(released["rows"][0][0].is_number()) << d.output;
    EXPECT_EQ(d.output.find("combines"), std::string::npos) << d.output;
  }
}

}  // namespace
}  // namespace cipherstat
