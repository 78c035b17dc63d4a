// Issue 15 end to end with the real binary: an R-style export with a decimal-coded grade, a
// stray "n/a", detection limits, 15-digit floats and a sparse cause-of-death text goes through
// schema, clean, encrypt, a GROUP BY grade query and decrypt; the released table equals a
// plaintext computation written here from the raw file. The header checks are refused the same
// way by schema, clean and encrypt.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ShellQuote;

using testing::CommandResult;
using testing::ReadText;
using testing::ScratchDir;
using testing::WriteText;

CommandResult Cli(const std::string& args) {
  const std::string line =
      "CIPHERSTAT_PASSPHRASE=x " + ShellQuote(testing::Binary()) + " " + args + " </dev/null";
  CommandResult r = testing::RunCommand(line);
  r.output = "$ " + line + "\n" + r.output;
  return r;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The cells of the review table's row for `column` (cells are separated by two or more blanks).
std::vector<std::string> ReviewRow(const std::string& output, const std::string& column) {
  const size_t at = output.find("\n  " + column + " ");
  if (at == std::string::npos) return {};
  const size_t end = output.find('\n', at + 1);
  const std::string line = output.substr(at + 3, end - at - 3);
  std::vector<std::string> cells;
  size_t i = 0;
  while (i < line.size()) {
    size_t next = line.find("  ", i);
    if (next == std::string::npos) next = line.size();
    cells.push_back(line.substr(i, next - i));
    i = line.find_first_not_of(' ', next);
    if (i == std::string::npos) break;
  }
  return cells;
}

struct Raw {
  std::string csv;
  // The independent computation: per grade ("0", "0.5", "1"), rows, and the sums and counts of
  // the non-missing cd4 and vl values (a detection limit "<50" counts as 50).
  struct Group {
    int64_t rows = 0, cd4_n = 0, vl_n = 0;
    double cd4_sum = 0, vl_sum = 0;
  };
  std::map<std::string, Group> groups;
};

Raw MakeExport(int n) {
  static const char* kCauses[] = {"PCP",   "KS",      "Lymphoma", "TB",      "Crypto",
                                  "CMV",   "Toxo",    "Wasting",  "MAC",     "Sepsis",
                                  "Liver", "Suicide", "Accident", "Cardiac", "Unknown"};
  static const char* kGrades[] = {"0", "0.5", "1"};
  Raw raw;
  // R's write.csv: a row-name column with an empty name, quoted strings, NA.
  raw.csv = "\"\",\"pid\",\"grade\",\"cd4\",\"vl\",\"wt\",\"cause_of_death\"\n";
  for (int i = 0; i < n; ++i) {
    const std::string grade = kGrades[(i * 7 + i / 5) % 3];
    Raw::Group& g = raw.groups[grade];
    ++g.rows;
    std::string cd4 = std::to_string(50 + (i * 37) % 1200);
    if (i == 123) {
      cd4 = "n/a";
    } else {
      ++g.cd4_n;
      g.cd4_sum += std::stod(cd4);
    }
    std::string vl;
    if (i % 9 == 0) {
      vl = "\"<50\"";
      ++g.vl_n;
      g.vl_sum += 50;
    } else if (i % 31 == 0) {
      vl = "NA";
    } else {
      vl = std::to_string(100 + (i * 7919) % 500000);
      ++g.vl_n;
      g.vl_sum += std::stod(vl);
    }
    // 15 significant digits, as R writes a computed weight.
    // At 13 decimals 139.1234567890123 would pass 10^15: the column keeps 12, and every value
    // is rounded.
    const std::string wt = std::to_string(100 + i % 40) + ".1234567890123";
    const bool dead = i % 4 == 0;
    raw.csv += "\"" + std::to_string(i + 1) + "\",\"P" + std::to_string(1000 + i) + "\"," + grade +
               "," + cd4 + "," + vl + "," + wt + "," +
               (dead ? "\"" + std::string(kCauses[i % 15]) + "\"" : std::string("NA")) + "\n";
  }
  return raw;
}

class RealWorldCliTest : public ::testing::Test {
 protected:
  std::string P(const std::string& name) const { return dir_ / name; }
  // schema, clean (with s.json) and encrypt (with keys) all refuse `csv` with `message`.
  void ExpectRefusedByEveryCommand(const std::string& csv, const std::string& message) {
    const std::vector<std::string> commands = {
        "schema --in " + ShellQuote(P(csv)) + " --out " + ShellQuote(P("t.json")),
        "clean --schema " + ShellQuote(P("s.json")) + " --in " + ShellQuote(P(csv)) + " --out " +
            ShellQuote(P("t.csv")),
        "encrypt --schema " + ShellQuote(P("s.json")) + " --key " + ShellQuote(P("keys")) +
            " --in " + ShellQuote(P(csv)) + " --out " + ShellQuote(P("dataset"))};
    for (const std::string& command : commands) {
      CommandResult r = Cli(command);
      EXPECT_NE(r.exit_code, 0) << r.output;
      EXPECT_TRUE(Contains(r.output, message)) << r.output;
    }
    EXPECT_TRUE(ReadText(P("dataset/manifest.json")).empty());
  }
  ScratchDir dir_;
};

TEST_F(RealWorldCliTest, ADecimalGradeGroupsEndToEndAndEqualsAPlaintextComputation) {
  const Raw raw = MakeExport(300);
  WriteText(P("grades.csv"), raw.csv);
  const std::vector<std::string> steps = {
      "keygen --fast-kdf --out " + ShellQuote(P("keys")),
      // A grade is not a grouping key the schema guesses: the owner names it.
      "schema --in " + ShellQuote(P("grades.csv")) + " --out " + ShellQuote(P("schema.json")) +
          " --cross grade",
      "clean --schema " + ShellQuote(P("schema.json")) + " --in " + ShellQuote(P("grades.csv")) +
          " --out " + ShellQuote(P("clean.csv")) + " --report " + ShellQuote(P("report.json")),
      "encrypt --schema " + ShellQuote(P("schema.json")) + " --key " + ShellQuote(P("keys")) +
          " --in " + ShellQuote(P("clean.csv")) + " --out " + ShellQuote(P("dataset")),
      "query --data " + ShellQuote(P("dataset")) + " --sql " +
          ShellQuote("SELECT grade, COUNT(*), AVG(cd4), AVG(vl) FROM grades GROUP BY grade") +
          " --out " + ShellQuote(P("result.json")),
      "decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
          " --format json --out " + ShellQuote(P("table.json"))};
  std::vector<CommandResult> out;
  for (const std::string& step : steps) {
    out.push_back(Cli(step));
    ASSERT_EQ(out.back().exit_code, 0) << out.back().output;
  }
  // The review: the grade is groupable, the cause of death excluded.
  EXPECT_TRUE(Contains(out[1].output, "(300 rows read)")) << out[1].output;
  EXPECT_EQ(ReviewRow(out[1].output, "grade"),
            (std::vector<std::string>{"grade", "private", "numeric", "[0, 1]", "1", "3", "yes",
                                      "numbers, 3 distinct: groupable; bounds: grid 1"}))
      << out[1].output;
  EXPECT_EQ(ReviewRow(out[1].output, "cause_of_death"),
            (std::vector<std::string>{"cause_of_death", "excluded", "-", "-", "-", "-", "no",
                                      "text, more than 12 distinct values and not unique per "
                                      "row: not encrypted, not shipped"}))
      << out[1].output;
  EXPECT_EQ(ReviewRow(out[1].output, "cd4")[7],
            "numbers; bounds: grid 1000; bins 0,200,350,500,inf");
  EXPECT_FALSE(Contains(out[1].output, "Lymphoma")) << out[1].output;
  // Clean keeps every row, and says what it changed.
  EXPECT_TRUE(Contains(out[2].output, "300 rows read, 300 kept, 0 dropped\n")) << out[2].output;
  EXPECT_FALSE(Contains(out[2].output, "rows dropped because of")) << out[2].output;
  EXPECT_TRUE(Contains(out[2].output, "rounded:wt")) << out[2].output;
  EXPECT_TRUE(Contains(out[2].output, "censored_below:vl")) << out[2].output;
  nlohmann::json report = nlohmann::json::parse(ReadText(P("report.json")), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["missing_tokens"]["cd4"]["n/a"], 1);
  EXPECT_EQ(report["hits"]["censored_below:vl"]["count"], 34);
  EXPECT_EQ(report["hits"]["rounded:wt"]["count"], 300);

  nlohmann::json table = nlohmann::json::parse(ReadText(P("table.json")), nullptr, false);
  ASSERT_FALSE(table.is_discarded()) << ReadText(P("table.json"));
  EXPECT_EQ(table["columns"], nlohmann::json({"grade", "count(*)", "avg(cd4)", "avg(vl)"}));
  ASSERT_EQ(table["rows"].size(), 3u) << table.dump();
  for (const auto& row : table["rows"]) {
    ASSERT_TRUE(row[0].is_string()) << row.dump();
    const std::string grade = row[0].get<std::string>();
    ASSERT_TRUE(raw.groups.count(grade)) << grade;
    const Raw::Group& g = raw.groups.at(grade);
    EXPECT_EQ(row[1].get<int64_t>(), g.rows) << grade;
    const double cd4 = g.cd4_sum / static_cast<double>(g.cd4_n);
    const double vl = g.vl_sum / static_cast<double>(g.vl_n);
    EXPECT_NEAR(row[2].get<double>(), cd4, 1e-12 * cd4) << grade;
    EXPECT_NEAR(row[3].get<double>(), vl, 1e-12 * vl) << grade;
  }

  // The excluded column is refused by the planner, saying why.
  CommandResult by_cause =
      Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
          ShellQuote("SELECT cause_of_death, COUNT(*) FROM grades GROUP BY cause_of_death") +
          " --out " + ShellQuote(P("cause.json")));
  EXPECT_NE(by_cause.exit_code, 0);
  EXPECT_TRUE(Contains(by_cause.output,
                       "GROUP BY: 'cause_of_death' is excluded (not encrypted, never shipped); "
                       "make it \"categorical\" with its levels in the schema to group by it"))
      << by_cause.output;
  // Nothing of it was shipped: no file of the dataset holds it.
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(P("dataset"))) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string text = ReadText(entry.path().string());
    for (const char* cause : {"Lymphoma", "Cardiac"})
      EXPECT_FALSE(Contains(text, cause)) << entry.path() << " holds " << cause;
  }
  EXPECT_GE(files, 4);  // manifest, key, a public file, a ciphertext column
}

// Issue 18: `schema --product` declares cross products; CORR, REGR_SLOPE and REGR_COUNT over
// the pairs present, and AVG_CI at decrypt --level 0.9, equal a computation written here from
// the clean CSV (two-pass, long double).
TEST_F(RealWorldCliTest, SchemaProductsAnswerCorrelationsAndDecryptLevelNamesTheInterval) {
  const Raw raw = MakeExport(300);
  WriteText(P("grades.csv"), raw.csv);
  const std::string sql =
      "SELECT CORR(vl, cd4), REGR_SLOPE(vl, cd4), REGR_COUNT(vl, cd4), "
      "AVG_CI(cd4) FROM grades";
  const std::vector<std::string> steps = {
      "keygen --fast-kdf --out " + ShellQuote(P("keys")),
      "schema --in " + ShellQuote(P("grades.csv")) + " --out " + ShellQuote(P("schema.json")) +
          " --product vl,cd4 --product cd4,wt,grade",
      "clean --schema " + ShellQuote(P("schema.json")) + " --in " + ShellQuote(P("grades.csv")) +
          " --out " + ShellQuote(P("clean.csv")),
      "encrypt --schema " + ShellQuote(P("schema.json")) + " --key " + ShellQuote(P("keys")) +
          " --in " + ShellQuote(P("clean.csv")) + " --out " + ShellQuote(P("dataset")),
      "query --data " + ShellQuote(P("dataset")) + " --sql " + ShellQuote(sql) + " --out " +
          ShellQuote(P("result.json")),
      "decrypt --key " + ShellQuote(P("keys")) + " --in " + ShellQuote(P("result.json")) +
          " --level 0.9 --format json --out " + ShellQuote(P("table.json"))};
  for (const std::string& step : steps) {
    const CommandResult r = Cli(step);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  // The compute party's manifest names the product sets, not their values.
  const nlohmann::json manifest =
      nlohmann::json::parse(ReadText(P("dataset/manifest.json")), nullptr, false);
  EXPECT_EQ(manifest["catalog"]["products"],
            nlohmann::json({{"vl", "cd4"}, {"cd4", "wt", "grade"}}));

  // The pairs with both present, from the clean CSV.
  const std::vector<std::string> lines = testing::Lines(ReadText(P("clean.csv")));
  auto fields = [](const std::string& line) {
    std::vector<std::string> out(1);
    for (char c : line) {
      if (c == ',') {
        out.emplace_back();
      } else if (c != '"') {
        out.back() += c;
      }
    }
    return out;
  };
  const std::vector<std::string> header = fields(lines.at(0));
  const size_t vl_at = std::find(header.begin(), header.end(), "vl") - header.begin();
  const size_t cd4_at = std::find(header.begin(), header.end(), "cd4") - header.begin();
  ASSERT_LT(vl_at, header.size());
  ASSERT_LT(cd4_at, header.size());
  std::vector<long double> ys, xs, cd4s;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const std::vector<std::string> f = fields(lines[i]);
    if (!f[cd4_at].empty()) cd4s.push_back(std::stold(f[cd4_at]));
    if (f[vl_at].empty() || f[cd4_at].empty()) continue;
    ys.push_back(std::stold(f[vl_at]));
    xs.push_back(std::stold(f[cd4_at]));
  }
  auto mean = [](const std::vector<long double>& v) {
    long double s = 0;
    for (long double x : v) s += x;
    return s / static_cast<long double>(v.size());
  };
  const long double my = mean(ys), mx = mean(xs);
  long double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < ys.size(); ++i) {
    sxy += (ys[i] - my) * (xs[i] - mx);
    sxx += (xs[i] - mx) * (xs[i] - mx);
    syy += (ys[i] - my) * (ys[i] - my);
  }
  const double r = static_cast<double>(sxy / std::sqrt(sxx * syy));
  const double slope = static_cast<double>(sxy / sxx);
  // AVG_CI(cd4) at 90%: t(n−1, 0.95) for n = 299 is 1.64998297599561 (R: qt(0.95, 298)).
  const long double m4 = mean(cd4s);
  long double ss4 = 0;
  for (long double x : cd4s) ss4 += (x - m4) * (x - m4);
  const long double n4 = static_cast<long double>(cd4s.size());
  ASSERT_EQ(cd4s.size(), 299u);
  const double half = static_cast<double>(1.64998297599561L * std::sqrt(ss4 / (n4 - 1) / n4));

  nlohmann::json table = nlohmann::json::parse(ReadText(P("table.json")), nullptr, false);
  ASSERT_FALSE(table.is_discarded()) << ReadText(P("table.json"));
  EXPECT_EQ(table["columns"],
            nlohmann::json({"corr(vl, cd4)", "regr_slope(vl, cd4)", "regr_count(vl, cd4)",
                            "avg_ci(cd4) 90% lo", "avg_ci(cd4) 90% hi"}));
  const auto& row = table["rows"][0];
  EXPECT_NEAR(row[0].get<double>(), r, 1e-12);
  EXPECT_NEAR(row[1].get<double>(), slope, 1e-10 * std::fabs(slope));
  EXPECT_EQ(row[2].get<int64_t>(), static_cast<int64_t>(ys.size()));
  EXPECT_NEAR(row[3].get<double>(), static_cast<double>(m4) - half, 1e-8);
  EXPECT_NEAR(row[4].get<double>(), static_cast<double>(m4) + half, 1e-8);

  // A pair the schema did not declare is refused by the planner, naming the fix.
  const CommandResult undeclared =
      Cli("query --data " + ShellQuote(P("dataset")) + " --sql " +
          ShellQuote("SELECT CORR(wt, vl) FROM grades") + " --out " + ShellQuote(P("no.json")));
  EXPECT_NE(undeclared.exit_code, 0);
  EXPECT_TRUE(Contains(undeclared.output, "add [\"wt\", \"vl\"] to the schema's \"products\""))
      << undeclared.output;
  const CommandResult bad_product = Cli("schema --in " + ShellQuote(P("grades.csv")) + " --out " +
                                        ShellQuote(P("s2.json")) + " --product cd4");
  EXPECT_NE(bad_product.exit_code, 0);
  EXPECT_TRUE(Contains(bad_product.output, "products[0]: needs at least two columns"))
      << bad_product.output;
}

// schema, clean and encrypt refuse a repeated column name the same way, naming both positions.
TEST_F(RealWorldCliTest, ARepeatedColumnNameIsRefusedByEveryCommand) {
  std::string csv = "id,cd4,age\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + "," + std::to_string(100 + i) + ",40\n";
  WriteText(P("ok.csv"), csv);
  ASSERT_EQ(Cli("keygen --fast-kdf --out " + ShellQuote(P("keys"))).exit_code, 0);
  CommandResult schema =
      Cli("schema --in " + ShellQuote(P("ok.csv")) + " --out " + ShellQuote(P("s.json")));
  ASSERT_EQ(schema.exit_code, 0) << schema.output;
  CommandResult clean = Cli("clean --schema " + ShellQuote(P("s.json")) + " --in " +
                            ShellQuote(P("ok.csv")) + " --out " + ShellQuote(P("clean.csv")));
  ASSERT_EQ(clean.exit_code, 0) << clean.output;
  // The clean CSV with its cd4 column written twice, the second copy different: encrypt used
  // to take the last one silently.
  std::string twice = "id,cd4,age,cd4\n";
  for (int i = 0; i < 30; ++i) twice += std::to_string(i) + ",100,40,999\n";
  WriteText(P("twice.csv"), twice);
  const std::string message =
      P("twice.csv") + " line 1: column 'cd4' appears twice in the header (columns 2 and 4)";

  ExpectRefusedByEveryCommand("twice.csv", message);
  EXPECT_FALSE(testing::ReadText(P("dataset/manifest.json")).size() > 0);
}

TEST_F(RealWorldCliTest, AHeaderOnlyFileIsRefusedByEveryCommand) {
  WriteText(P("header.csv"), "\"id\",\"cd4\"\r\n");
  WriteText(P("s.json"),
            R"({"format": "cipherstat-schema", "version": 1, "name": "header", "columns": [)"
            R"({"name": "id", "kind": "identifier"},)"
            R"({"name": "cd4", "kind": "numeric", "min": 0, "max": 2000}]})");
  ASSERT_EQ(Cli("keygen --fast-kdf --out " + ShellQuote(P("keys"))).exit_code, 0);
  const std::string message = P("header.csv") + ": only a header, no data rows";
  ExpectRefusedByEveryCommand("header.csv", message);
  EXPECT_TRUE(ReadText(P("t.json")).empty());
}

TEST_F(RealWorldCliTest, RaggedRowsAreNamedBySchemaAndClean) {
  std::string csv = "id,cd4,age\n";
  for (int i = 0; i < 30; ++i) {
    csv += i == 8 ? "8,300\n" : std::to_string(i) + "," + std::to_string(100 + i) + ",40\n";
  }
  WriteText(P("ragged.csv"), csv);
  CommandResult s =
      Cli("schema --in " + ShellQuote(P("ragged.csv")) + " --out " + ShellQuote(P("s.json")));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_TRUE(Contains(s.output,
                       "  warning: 1 row has a different number of fields than the header (line "
                       "10); inference skipped them and clean drops them\n"))
      << s.output;
  CommandResult c = Cli("clean --schema " + ShellQuote(P("s.json")) + " --in " +
                        ShellQuote(P("ragged.csv")) + " --out " + ShellQuote(P("clean.csv")));
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_TRUE(Contains(c.output,
                       "30 rows read, 29 kept, 1 dropped\nrows dropped because of:\n"
                       "  wrong_field_count                1\n"))
      << c.output;
}

}  // namespace
}  // namespace cipherstat
