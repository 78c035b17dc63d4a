// Every bundled dataset as R's write.csv exports it — a row-names column with an empty header,
// every text value quoted, NA for missing, numbers with up to 15 significant digits — through
// the default pipeline (schema, clean, encrypt, a grouped query, decrypt) with the real binary.
// The answer must equal an independent SQLite computation over the same cleaned rows exactly,
// no row may be dropped, and it must agree with SQLite over the original file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "sqlite_oracle.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ShellQuote;

using testing::CommandResult;
using testing::OracleRow;
using testing::OracleType;
using testing::RunCipherstat;
using testing::ScratchDir;
using testing::SqliteOracle;

bool ParseNumber(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*out);
}

bool IsMissing(const std::string& v) { return v.empty() || v == "NA"; }

std::string CsvQuoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  // every non-missing value of the column parses as a number
};

Table ReadTable(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::string error;
  EXPECT_TRUE(testing::ReadCsvFile(path, &rows, &error)) << error;
  Table t;
  if (rows.empty()) return t;
  t.header = rows[0];
  t.rows.assign(rows.begin() + 1, rows.end());
  t.numeric.assign(t.header.size(), true);
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size() && c < t.header.size(); ++c) {
      double x;
      if (!IsMissing(row[c]) && !ParseNumber(row[c], &x)) t.numeric[c] = false;
    }
  }
  return t;
}

// What write.csv(df, file) writes for this table.
std::string AsRWritesIt(const Table& t) {
  std::string out = "\"\"";
  for (const std::string& h : t.header) out += "," + CsvQuoted(h);
  out += "\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    out += CsvQuoted(std::to_string(r + 1));
    for (size_t c = 0; c < t.header.size(); ++c) {
      const std::string& v = c < t.rows[r].size() ? t.rows[r][c] : "";
      out += ",";
      if (IsMissing(v)) {
        out += "NA";
      } else if (t.numeric[c]) {
        double x = 0;
        ParseNumber(v, &x);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.15g", x);
        out += buf;
      } else {
        out += CsvQuoted(v);
      }
    }
    out += "\n";
  }
  return out;
}

// The same table with NA as an empty field, for the oracle.
std::string WithEmptyMissing(const Table& t) {
  std::string out;
  for (size_t c = 0; c < t.header.size(); ++c) out += (c ? "," : "") + CsvQuoted(t.header[c]);
  out += "\n";
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < t.header.size(); ++c) {
      const std::string& v = c < row.size() ? row[c] : "";
      out += (c ? "," : "") + (IsMissing(v) ? std::string() : CsvQuoted(v));
    }
    out += "\n";
  }
  return out;
}

std::map<std::string, OracleType> NumericTypes(const Table& t) {
  std::map<std::string, OracleType> types;
  for (size_t c = 0; c < t.header.size(); ++c) {
    if (t.numeric[c]) types[t.header[c]] = OracleType::kReal;
  }
  return types;
}

// A released or oracle group key, compared by value when both are numbers.
bool SameKey(const std::string& a, const std::string& b) {
  double x, y;
  if (ParseNumber(a, &x) && ParseNumber(b, &y)) return x == y;
  return a == b;
}

std::string KeyText(const testing::OracleValue& v) {
  switch (v.kind) {
    case testing::OracleValue::Kind::kNull:
      return "";
    case testing::OracleValue::Kind::kInteger:
      return std::to_string(v.integer);
    case testing::OracleValue::Kind::kReal: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", v.real);
      return buf;
    }
    case testing::OracleValue::Kind::kText:
      return v.text;
  }
  return "";
}

// Compares the released CSV (a header line, then per row the group key if any, the count and
// the mean) with oracle rows of the same shape. `relative` bounds the means' relative
// difference; counts are exact.
void ExpectSameRows(const std::string& released_csv, const std::vector<OracleRow>& want,
                    double relative, const std::string& what) {
  std::vector<std::vector<std::string>> got;
  std::string error;
  ASSERT_TRUE(testing::ParseCsvText(released_csv, &got, &error)) << error;
  ASSERT_FALSE(got.empty());
  got.erase(got.begin());  // header
  ASSERT_EQ(got.size(), want.size()) << what << "\n" << released_csv;
  for (const OracleRow& w : want) {
    const bool keyed = w.size() == 3;
    const std::string key = keyed ? KeyText(w[0]) : "";
    const std::vector<std::string>* row = nullptr;
    for (const auto& g : got) {
      if (g.size() == w.size() && (!keyed || SameKey(g[0], key))) row = &g;
    }
    ASSERT_NE(row, nullptr) << what << ": no released row '" << key << "'\n" << released_csv;
    const size_t n = keyed ? 1 : 0;
    EXPECT_EQ((*row)[n], std::to_string(w[n].integer)) << what << " group " << key;
    if (w[n + 1].is_null()) {
      EXPECT_EQ((*row)[n + 1], "") << what << " group " << key;
      continue;
    }
    double mean = 0;
    ASSERT_TRUE(ParseNumber((*row)[n + 1], &mean)) << what << " group " << key;
    EXPECT_LE(std::fabs(mean - w[n + 1].real), relative * std::fabs(w[n + 1].real))
        << what << " group " << key << ": released " << (*row)[n + 1] << ", SQLite "
        << w[n + 1].DebugString();
  }
}

// Writes `raw_text` as NAME.r.csv and runs it through schema → clean → encrypt → query →
// decrypt with the default inferred schema. Checks that clean drops no row, and that the answer
// equals SQLite over the cleaned rows exactly and over `truth` (the values as the data means
// them) to 1e-9. The query groups by `by` over `over`; empty: the first declared cross, or
// without one a whole-table mean of the first private numeric column.
void CheckExport(const ScratchDir& dir, const std::string& name, const std::string& raw_text,
                 const Table& truth, std::string by = "", std::string over = "") {
  SCOPED_TRACE(name);
  const std::string raw = dir / (name + ".r.csv");
  testing::WriteText(raw, raw_text);
  const std::string p = dir / name;
  CommandResult s =
      RunCipherstat("schema --in " + ShellQuote(raw) + " --out " + ShellQuote(p + ".schema.json"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  CommandResult c = RunCipherstat("clean --schema " + ShellQuote(p + ".schema.json") + " --in " +
                                  ShellQuote(raw) + " --out " + ShellQuote(p + ".clean.csv") +
                                  " --report " + ShellQuote(p + ".report.json"));
  ASSERT_EQ(c.exit_code, 0) << c.output;
  const auto report = nlohmann::json::parse(testing::ReadText(p + ".report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report.value("rows_read", uint64_t{0}), truth.rows.size());
  EXPECT_EQ(report.value("rows_written", uint64_t{0}), truth.rows.size())
      << "rows dropped: " << report.dump();

  auto schema = nlohmann::json::parse(testing::ReadText(p + ".schema.json"), nullptr, false);
  ASSERT_FALSE(schema.is_discarded());
  if (over.empty() && !schema["crosses"].empty()) {
    by = schema["crosses"][0]["by"];
    over = schema["crosses"][0]["over"][0];
  }
  for (const auto& column : schema["columns"]) {
    if (column["kind"] == "numeric" && !column.value("public", false) && over.empty())
      over = column["name"];
  }
  ASSERT_FALSE(over.empty()) << schema.dump();
  auto q = [](const std::string& column) { return "\"" + column + "\""; };
  const std::string group = by.empty() ? "" : q(by) + ", ";
  const std::string group_by = by.empty() ? "" : " GROUP BY " + q(by);
  const std::string sql = "SELECT " + group + "COUNT(*), AVG(" + q(over) + ") FROM " +
                          schema["name"].get<std::string>() + group_by;
  SCOPED_TRACE(sql);
  // Encryption costs a ciphertext per slot group and record: the dataset keeps the two columns
  // the query reads (the rest become identifiers, never shipped), so the suite stays fast
  // while schema and clean run on the default inferred schema.
  for (auto& column : schema["columns"]) {
    const std::string n = column["name"];
    if (n == by && !column.contains("levels")) {
      // The owner's edit for a file with no column of at most 12 values: group by every value
      // the clean file holds, in the normal form clean wrote it.
      const Table clean = ReadTable(p + ".clean.csv");
      std::set<std::string> levels;
      for (size_t i = 0; i < clean.header.size(); ++i) {
        for (const auto& row : clean.rows) {
          if (clean.header[i] == by && !IsMissing(row[i])) levels.insert(row[i]);
        }
      }
      column["levels"] = levels;
    }
    if (n == by || n == over) continue;
    column = {{"name", n}, {"kind", "identifier"}, {"unique", false}};
  }
  schema["derived"] = nlohmann::json::array();
  schema["crosses"] = nlohmann::json::array();
  if (!by.empty()) schema["crosses"].push_back({{"by", by}, {"over", {over}}});
  testing::WriteText(p + ".query-schema.json", schema.dump());
  CommandResult e =
      RunCipherstat("encrypt --schema " + ShellQuote(p + ".query-schema.json") + " --key " +
                    ShellQuote(dir / "keys") + " --in " + ShellQuote(p + ".clean.csv") + " --out " +
                    ShellQuote(p + ".dataset"));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  CommandResult r = RunCipherstat("query --data " + ShellQuote(p + ".dataset") + " --sql " +
                                  ShellQuote(sql) + " --out " + ShellQuote(p + ".result.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string released = p + ".released.csv";
  CommandResult d =
      RunCipherstat("decrypt --format csv --min-cell 0 --key " + ShellQuote(dir / "keys") +
                    " --in " + ShellQuote(p + ".result.json") + " --out " + ShellQuote(released));
  ASSERT_EQ(d.exit_code, 0) << d.output;

  const std::string oracle_sql =
      "SELECT " + group + "COUNT(*), AVG(" + q(over) + ") FROM raw" + group_by;
  {  // exactly SQLite over the cleaned rows…
    const Table clean = ReadTable(p + ".clean.csv");
    SqliteOracle oracle;
    std::string error;
    ASSERT_TRUE(oracle.LoadCsv(p + ".clean.csv", NumericTypes(clean), &error)) << error;
    std::vector<OracleRow> want;
    ASSERT_TRUE(oracle.Query(oracle_sql, &want, &error)) << error;
    ExpectSameRows(testing::ReadText(released), want, 1e-12, "vs the cleaned rows");
  }
  {  // …and SQLite over what the file means (R's 15 digits may round the last place)
    const std::string normalized = p + ".truth.csv";
    testing::WriteText(normalized, WithEmptyMissing(truth));
    SqliteOracle oracle;
    std::string error;
    ASSERT_TRUE(oracle.LoadCsv(normalized, NumericTypes(truth), &error)) << error;
    std::vector<OracleRow> want;
    ASSERT_TRUE(oracle.Query(oracle_sql, &want, &error)) << error;
    ExpectSameRows(testing::ReadText(released), want, 1e-9, "vs the original values");
  }
  std::printf("[ r export ] %s: %zu rows read, %llu kept; %s\n", name.c_str(), truth.rows.size(),
              static_cast<unsigned long long>(report.value("rows_written", uint64_t{0})),
              sql.c_str());
}

TEST(RExport, EveryBundledDatasetGivesTheIndependentAnswerWithNoRowDropped) {
  if (!testing::SharedDataAvailable()) GTEST_SKIP() << "no ../shared/data";
  ScratchDir dir;
  CommandResult k = RunCipherstat("keygen --fast-kdf --out " + ShellQuote(dir / "keys"));
  ASSERT_EQ(k.exit_code, 0) << k.output;
  for (const char* name :
       {"actg175", "actg193a_long", "actg315_vl", "actg320", "jm_aids_baseline", "uti_vl"}) {
    const Table original = ReadTable(testing::SharedDir() + "/data/" + name + ".csv");
    ASSERT_FALSE(original.rows.empty()) << name;
    // actg315_vl has no column of at most 12 values, so no default GROUP BY: the study day
    // (55 values) is made groupable, as its owner would.
    const bool by_day = std::string(name) == "actg315_vl";
    CheckExport(dir, name, AsRWritesIt(original), original, by_day ? "Day" : "",
                by_day ? "log10_RNA" : "");
  }
}

// What a registry's R export looks like after a few years of data entry: a sparse free-text
// cause of death, a stray "n/a" in CD4 (so R writes the whole column as quoted text), viral
// loads under the detection limit ("<50"), a 0 / 0.5 / 1 coded grade and 15-digit floats. The
// default pipeline keeps every row, and the answers equal SQLite over what the values mean:
// "n/a" missing, "<50" the limit 50.
TEST(RExport, AMessyRegistryExportKeepsEveryRowAndGivesTheIndependentAnswer) {
  ScratchDir dir;
  ASSERT_EQ(RunCipherstat("keygen --fast-kdf --out " + ShellQuote(dir / "keys")).exit_code, 0);
  ASSERT_EQ(RunCipherstat("generate --records 400 --seed 9 --out " + ShellQuote(dir / "cohort.csv"))
                .exit_code,
            0);
  Table raw = ReadTable(dir / "cohort.csv");
  auto column = [&](const std::string& name) {
    for (size_t c = 0; c < raw.header.size(); ++c) {
      if (raw.header[c] == name) return c;
    }
    ADD_FAILURE() << "no column " << name;
    return size_t{0};
  };
  const size_t cd4 = column("cd4"), vl = column("viral_load");
  static const char* kCauses[] = {"pneumocystis pneumonia",
                                  "tuberculosis",
                                  "kaposi sarcoma",
                                  "cryptococcal meningitis",
                                  "lymphoma",
                                  "sepsis",
                                  "wasting",
                                  "toxoplasmosis",
                                  "CMV retinitis",
                                  "MAC infection",
                                  "liver failure",
                                  "renal failure",
                                  "suicide",
                                  "road accident"};
  raw.header.insert(raw.header.end(), {"cause_of_death", "grade", "bmi"});
  raw.numeric.insert(raw.numeric.end(), {false, true, true});
  Table truth = raw;
  for (size_t r = 0; r < raw.rows.size(); ++r) {
    const std::string cause = r % 7 == 3 ? kCauses[(r / 7) % 14] : "";
    const std::string grade = r % 3 == 0 ? "0" : r % 3 == 1 ? "0.5" : "1";
    char bmi[32];
    std::snprintf(bmi, sizeof bmi, "%.15g", 18.5 + 0.0123456789012345 * static_cast<double>(r));
    for (Table* t : {&raw, &truth}) t->rows[r].insert(t->rows[r].end(), {cause, grade, bmi});
  }
  raw.rows[7][cd4] = "n/a";
  truth.rows[7][cd4] = "";
  for (size_t r : {3, 11, 19}) {
    raw.rows[r][vl] = "<50";
    truth.rows[r][vl] = "50";
  }
  raw.numeric[cd4] = raw.numeric[vl] = false;  // R quotes a column with any text in it
  const std::string text = AsRWritesIt(raw);
  CheckExport(dir, "registry_cd4", text, truth, "grade", "cd4");
  CheckExport(dir, "registry_vl", text, truth, "grade", "viral_load");
  CheckExport(dir, "registry_bmi", text, truth, "grade", "bmi");
}

}  // namespace
}  // namespace cipherstat
