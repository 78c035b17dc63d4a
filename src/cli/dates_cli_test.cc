// Dates end to end with the real binary (issue 15, item 5): an R export with ISO dates goes
// through the default pipeline (schema, clean, encrypt, query, decrypt), and the average date,
// the spread of dates, the follow-up times and the counts per year equal SQLite's own date
// arithmetic (julianday, strftime) over what the file means.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sqlite_oracle.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using testing::OracleRow;
using testing::OracleValue;
using testing::RunCipherstat;
using testing::ScratchDir;
using testing::ShellQuote;

// Compares a released CSV with the oracle's rows, row by row in any order (keyed by the first
// cell when `keyed`): integers and texts exactly, reals to 1e-9 relative.
void ExpectSameTable(const std::string& released_csv, const std::vector<OracleRow>& want,
                     bool keyed) {
  std::vector<std::vector<std::string>> got;
  std::string error;
  ASSERT_TRUE(testing::ParseCsvText(released_csv, &got, &error)) << error;
  ASSERT_FALSE(got.empty());
  got.erase(got.begin());
  ASSERT_EQ(got.size(), want.size()) << released_csv;
  auto text = [](const OracleValue& v) {
    return v.kind == OracleValue::Kind::kInteger ? std::to_string(v.integer)
           : v.kind == OracleValue::Kind::kText  ? v.text
                                                 : std::string();
  };
  for (const OracleRow& w : want) {
    const std::vector<std::string>* row = keyed ? nullptr : &got[0];
    for (const auto& g : got) {
      if (keyed && !g.empty() && g[0] == text(w[0])) row = &g;
    }
    ASSERT_NE(row, nullptr) << "no released row for " << w[0].DebugString() << "\n" << released_csv;
    ASSERT_EQ(row->size(), w.size());
    for (size_t c = 0; c < w.size(); ++c) {
      const std::string& cell = (*row)[c];
      if (w[c].kind == OracleValue::Kind::kReal) {
        const double x = std::strtod(cell.c_str(), nullptr);
        EXPECT_LE(std::fabs(x - w[c].real), 1e-9 * std::fabs(w[c].real))
            << "column " << c << ": released " << cell << ", SQLite " << w[c].DebugString();
      } else {
        EXPECT_EQ(cell, text(w[c])) << "column " << c << ", SQLite " << w[c].DebugString();
      }
    }
  }
}

TEST(DatesCli, AverageDateSpreadFollowUpAndYearGroupsEqualSqliteDateArithmetic) {
  ScratchDir dir;
  ASSERT_EQ(RunCipherstat("keygen --fast-kdf --out " + ShellQuote(dir / "keys")).exit_code, 0);
  // R's write.csv: row names, quoted dates, NA; last_visit has entries nobody could read.
  std::string raw = "\"\",\"patient\",\"enrolled\",\"last_visit\",\"died\",\"cd4\"\n";
  std::string truth = "patient,enrolled,last_visit,died,cd4\n";
  for (int i = 0; i < 160; ++i) {
    char enrolled[16], last[16], died[16];
    std::snprintf(enrolled, sizeof enrolled, "%04d-%02d-%02d", 2003 + (i * 7) % 9, 1 + i % 12,
                  1 + (i * 5) % 28);
    std::snprintf(last, sizeof last, "%04d-%02d-%02d", 2012 + i % 5, 1 + (i * 3) % 12,
                  1 + (i * 11) % 29);
    std::snprintf(died, sizeof died, "%04d-%02d-%02d", 2013 + i % 4, 1 + (i * 7) % 12,
                  1 + (i * 13) % 28);
    std::string last_raw = "\"" + std::string(last) + "\"", last_truth = last;
    if (i % 50 == 7) last_raw = "\"unknown\"", last_truth = "";
    if (i == 31) last_raw = "\"2013-02-30\"", last_truth = "";  // no such day
    const bool dead = i % 3 == 0;
    raw += "\"" + std::to_string(i + 1) + "\",\"P" + std::to_string(5000 + i) + "\",\"" + enrolled +
           "\"," + last_raw + "," + (dead ? "\"" + std::string(died) + "\"" : "NA") + "," +
           std::to_string(50 + 7 * i) + "\n";
    truth += "P" + std::to_string(5000 + i) + "," + enrolled + "," + last_truth + "," +
             (dead ? died : "") + "," + std::to_string(50 + 7 * i) + "\n";
  }
  const std::string p = dir / "cohort";
  testing::WriteText(p + ".csv", raw);
  testing::WriteText(dir / "truth.csv", truth);

  auto ok = [](const testing::CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.exit_code == 0;
  };
  ASSERT_TRUE(ok(RunCipherstat("schema --in " + ShellQuote(p + ".csv") + " --out " +
                               ShellQuote(p + ".schema.json"))));
  ASSERT_TRUE(ok(RunCipherstat("clean --schema " + ShellQuote(p + ".schema.json") + " --in " +
                               ShellQuote(p + ".csv") + " --out " + ShellQuote(p + ".clean.csv") +
                               " --report " + ShellQuote(p + ".report.json"))));
  const auto report = nlohmann::json::parse(testing::ReadText(p + ".report.json"));
  EXPECT_EQ(report["rows_written"], 160);
  ASSERT_TRUE(ok(RunCipherstat("encrypt --schema " + ShellQuote(p + ".schema.json") + " --key " +
                               ShellQuote(dir / "keys") + " --in " + ShellQuote(p + ".clean.csv") +
                               " --out " + ShellQuote(p + ".dataset"))));

  testing::SqliteOracle oracle;
  std::string error;
  ASSERT_TRUE(oracle.LoadCsv(dir / "truth.csv", {}, &error)) << error;
  // julianday counts from noon, 4713 BC: the day number since 1970 is julianday - 2440587.5.
  const struct {
    std::string sql, oracle_sql;
    bool keyed;
  } cases[] = {
      {"SELECT COUNT(*), AVG(enrolled), VARIANCE(enrolled), AVG(days_enrolled_to_last_visit), "
       "AVG(died), COUNT(died) FROM cohort",
       "WITH d AS (SELECT julianday(enrolled) - 2440587.5 AS e, julianday(died) - 2440587.5 AS x, "
       "julianday(last_visit) - julianday(enrolled) AS fu FROM raw) "
       "SELECT COUNT(*), date(2440587.5 + CAST(AVG(e) + 0.5 AS INTEGER)), "
       "(SUM(e * e) - SUM(e) * SUM(e) / COUNT(e)) / (COUNT(e) - 1), AVG(fu), "
       "date(2440587.5 + CAST(AVG(x) + 0.5 AS INTEGER)), COUNT(x) FROM d",
       false},
      {"SELECT enrolled_year, COUNT(*), AVG(days_enrolled_to_last_visit), "
       "STDDEV_POP(days_enrolled_to_died) FROM cohort GROUP BY enrolled_year",
       "WITH d AS (SELECT CAST(strftime('%Y', enrolled) AS INTEGER) AS y, "
       "julianday(last_visit) - julianday(enrolled) AS fu, julianday(died) - julianday(enrolled) "
       "AS s FROM raw) SELECT y, COUNT(*), AVG(fu), "
       "(SUM(s * s) - SUM(s) * SUM(s) / COUNT(s)) / COUNT(s) FROM d GROUP BY y",
       true},
      {"SELECT last_visit_year, COUNT(*), AVG(days_enrolled_to_last_visit) FROM cohort "
       "GROUP BY last_visit_year",
       "SELECT CAST(strftime('%Y', last_visit) AS INTEGER), COUNT(*), "
       "AVG(julianday(last_visit) - julianday(enrolled)) FROM raw GROUP BY 1",
       true},
  };
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    const std::string result = p + ".result" + std::to_string(++n) + ".json";
    const std::string released = p + ".released" + std::to_string(n) + ".csv";
    ASSERT_TRUE(ok(RunCipherstat("query --data " + ShellQuote(p + ".dataset") + " --sql " +
                                 ShellQuote(c.sql) + " --out " + ShellQuote(result))));
    ASSERT_TRUE(
        ok(RunCipherstat("decrypt --format csv --min-cell 0 --key " + ShellQuote(dir / "keys") +
                         " --in " + ShellQuote(result) + " --out " + ShellQuote(released))));
    std::vector<OracleRow> want;
    ASSERT_TRUE(oracle.Query(c.oracle_sql, &want, &error)) << error;
    if (n == 2) {  // the oracle computed the variance; the release shows its square root
      for (OracleRow& row : want) {
        if (!row[3].is_null()) row[3].real = std::sqrt(row[3].real);
      }
    }
    ExpectSameTable(testing::ReadText(released), want, c.keyed);
  }

  // A date has no sum: the owner's release refuses it, naming what to use instead.
  const std::string sum = p + ".sum.json";
  ASSERT_TRUE(
      ok(RunCipherstat("query --data " + ShellQuote(p + ".dataset") +
                       " --sql 'SELECT SUM(enrolled) FROM cohort' --out " + ShellQuote(sum))));
  const testing::CommandResult refused =
      RunCipherstat("decrypt --key " + ShellQuote(dir / "keys") + " --in " + ShellQuote(sum));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("query: SUM(enrolled): 'enrolled' is a date, which has no sum; "
                                "AVG(enrolled) gives the average date, and a \"days_between\" "
                                "column a duration"),
            std::string::npos)
      << refused.output;
}

}  // namespace
}  // namespace cipherstat
