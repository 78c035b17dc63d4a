#include "data/generate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "data/clean.h"
#include "data/csv.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

constexpr const char* kHeader = "patient_id,age,sex,site,arm,cd4,viral_load,log10_vl,visit_year";

class GenerateTest : public ::testing::Test {
 protected:
  std::string Generate(uint64_t records, uint64_t seed, const std::string& name) {
    const std::string path = dir_ / name;
    Status s = GenerateCohort({records, seed}, path);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return path;
  }
  cipherstat::testing::ScratchDir dir_;
};

TEST_F(GenerateTest, DeterministicPerSeed) {
  const std::string a = *ReadFile(Generate(2000, 7, "a.csv"));
  const std::string b = *ReadFile(Generate(2000, 7, "b.csv"));
  const std::string c = *ReadFile(Generate(2000, 8, "c.csv"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // A longer run with the same seed starts with the same rows.
  const std::string longer = *ReadFile(Generate(3000, 7, "d.csv"));
  EXPECT_EQ(longer.compare(0, a.size(), a), 0);
}

TEST_F(GenerateTest, HeaderAndZeroRecords) {
  EXPECT_EQ(*ReadFile(Generate(0, 1, "empty.csv")), std::string(kHeader) + "\n");
  const std::string text = *ReadFile(Generate(3, 1, "three.csv"));
  EXPECT_EQ(text.substr(0, text.find('\n')), kHeader);
  EXPECT_EQ(text.substr(text.find('\n') + 1, 9), "P0000001,");
}

// --follow-up appends months_followed and died; every other value is the one drawn without it.
TEST_F(GenerateTest, FollowUpAddsTwoColumnsAndChangesNoOther) {
  const std::string plain = *ReadFile(Generate(3000, 5, "plain.csv"));
  const std::string path = dir_ / "follow.csv";
  ASSERT_TRUE(GenerateCohort({.records = 3000, .seed = 5, .follow_up = true}, path).ok());
  const std::vector<std::string> with = cipherstat::testing::Lines(*ReadFile(path));
  const std::vector<std::string> without = cipherstat::testing::Lines(plain);
  ASSERT_EQ(with.size(), without.size());
  EXPECT_EQ(with[0], std::string(kHeader) + ",months_followed,died");
  uint64_t died = 0;
  for (size_t i = 1; i < with.size(); ++i) {
    if (with[i].empty()) continue;
    ASSERT_EQ(with[i].compare(0, without[i].size() + 1, without[i] + ","), 0) << with[i];
    const std::string tail = with[i].substr(without[i].size() + 1);
    const long months = std::stol(tail.substr(0, tail.find(',')));
    const std::string event = tail.substr(tail.find(',') + 1);
    EXPECT_TRUE(months >= 0 && months <= 60) << with[i];
    EXPECT_TRUE(event == "0" || event == "1") << with[i];
    died += event == "1";
  }
  // A constant hazard of 0.4% to 3% a month over a median of about 30 months of follow-up.
  EXPECT_GT(died, 150u);
  EXPECT_LT(died, 900u);
}

TEST_F(GenerateTest, ValuesAndMissingFractions) {
  const uint64_t n = 10000;
  CsvReader reader;
  ASSERT_TRUE(reader.Open(Generate(n, 42, "cohort.csv")).ok());
  std::vector<std::string> f;
  bool eof = false;
  ASSERT_TRUE(reader.Next(&f, &eof).ok());
  uint64_t rows = 0, cd4_missing = 0, vl_missing = 0, women = 0, suppressed = 0, at_limit = 0;
  std::map<std::string, uint64_t> sites, arms;
  std::map<std::string, double> cd4_sum;
  std::map<std::string, uint64_t> cd4_n;
  while (true) {
    ASSERT_TRUE(reader.Next(&f, &eof).ok());
    if (eof) break;
    ++rows;
    ASSERT_EQ(f.size(), 9u);
    char id[16];
    std::snprintf(id, sizeof id, "P%07llu", static_cast<unsigned long long>(rows));
    EXPECT_EQ(f[0], id);
    const int age = std::stoi(f[1]);
    EXPECT_GE(age, 18);
    EXPECT_LE(age, 80);
    EXPECT_TRUE(f[2] == "F" || f[2] == "M");
    women += f[2] == "F";
    ++sites[f[3]];
    ++arms[f[4]];
    if (f[5].empty()) {
      ++cd4_missing;
    } else {
      const int cd4 = std::stoi(f[5]);
      EXPECT_GE(cd4, 0);
      EXPECT_LE(cd4, 2000);
      cd4_sum[f[4]] += cd4;
      ++cd4_n[f[4]];
    }
    if (f[6].empty()) {
      ++vl_missing;
      EXPECT_TRUE(f[7].empty());
    } else {
      const long vl = std::stol(f[6]);
      EXPECT_GE(vl, 20);
      EXPECT_LE(vl, 1000000);
      suppressed += vl < 200;
      at_limit += vl == 20;
      char log_text[16];
      std::snprintf(log_text, sizeof log_text, "%.2f", std::log10(static_cast<double>(vl)));
      EXPECT_EQ(f[7], log_text);
    }
    const int year = std::stoi(f[8]);
    EXPECT_GE(year, 2015);
    EXPECT_LE(year, 2024);
  }
  ASSERT_EQ(rows, n);
  EXPECT_NEAR(cd4_missing / static_cast<double>(n), 0.03, 0.01);
  EXPECT_NEAR(vl_missing / static_cast<double>(n), 0.01, 0.005);
  EXPECT_NEAR(women / static_cast<double>(n), 0.30, 0.03);
  EXPECT_NEAR(suppressed / static_cast<double>(n - vl_missing), 0.70, 0.04);
  EXPECT_GT(at_limit, suppressed / 3);
  EXPECT_EQ(sites.size(), 5u);
  for (const char* site : {"Kampala", "Lusaka", "Durban", "Lilongwe", "Harare"}) {
    EXPECT_GT(sites[site], 500u) << site;
  }
  EXPECT_GT(sites["Kampala"], sites["Harare"] * 2);  // unequal sizes
  EXPECT_EQ(arms.size(), 3u);
  for (const char* arm : {"DTG", "EFV", "LPV/r"}) EXPECT_GT(arms[arm], 1500u) << arm;
  // Group means differ by arm, so GROUP BY arm has something to find.
  const double dtg = cd4_sum["DTG"] / cd4_n["DTG"];
  const double lpv = cd4_sum["LPV/r"] / cd4_n["LPV/r"];
  EXPECT_GT(dtg, lpv + 30);
}

TEST_F(GenerateTest, InferredSchemaAndCleanOfTheCohort) {
  const std::string path = Generate(10000, 3, "cohort.csv");
  Result<Schema> s = InferSchema(path, InferOptions());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "cohort");
  EXPECT_EQ(s->FindColumn("patient_id")->kind, ColumnKind::kIdentifier);
  EXPECT_EQ(s->FindColumn("sex")->kind, ColumnKind::kCategorical);
  EXPECT_EQ(s->FindColumn("sex")->levels, (std::vector<std::string>{"F", "M"}));
  EXPECT_EQ(s->FindColumn("site")->kind, ColumnKind::kCategorical);
  EXPECT_EQ(s->FindColumn("site")->levels.size(), 5u);
  EXPECT_EQ(s->FindColumn("arm")->kind, ColumnKind::kCategorical);
  EXPECT_EQ(s->FindColumn("arm")->levels, (std::vector<std::string>{"DTG", "EFV", "LPV/r"}));
  EXPECT_EQ(s->FindColumn("age")->kind, ColumnKind::kNumeric);
  EXPECT_FALSE(s->FindColumn("age")->groupable());
  EXPECT_EQ(s->FindColumn("cd4")->bins.size(), 5u);
  EXPECT_EQ(s->FindColumn("log10_vl")->decimals, 2);
  const Column* year = s->FindColumn("visit_year");
  EXPECT_EQ(year->kind, ColumnKind::kNumeric);
  EXPECT_EQ(year->levels.size(), 10u);
  EXPECT_EQ(year->levels.front(), "2015");
  ASSERT_EQ(s->derived.size(), 1u);
  EXPECT_EQ(s->derived[0].name, "viral_suppressed");
  EXPECT_EQ(s->derived[0].column, "viral_load");
  EXPECT_TRUE(s->HasCross("arm", "cd4"));
  EXPECT_TRUE(s->HasCross("arm", "viral_suppressed"));
  // The year is neither crossed by (it has no follow-up times) nor over (issue 19: that cost
  // 3 of the 6 ciphertexts per record).
  EXPECT_FALSE(s->HasCross("visit_year", "cd4"));
  EXPECT_FALSE(s->HasCross("arm", "visit_year"));

  CleanReport report;
  ASSERT_TRUE(CleanCsv(*s, path, dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 10000u);
  EXPECT_EQ(report.rows_dropped, 0u);
}

TEST_F(GenerateTest, ProgressAndAtomicFailure) {
  std::vector<uint64_t> calls;
  ASSERT_TRUE(
      GenerateCohort({250000, 1}, dir_ / "big.csv", [&](uint64_t n) { calls.push_back(n); }).ok());
  EXPECT_EQ(calls, (std::vector<uint64_t>{100000, 200000, 250000}));
  // An unwritable destination fails cleanly.
  Status s = GenerateCohort({10, 1}, dir_ / "no-such-dir/out.csv");
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace cipherstat
