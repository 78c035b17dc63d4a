// Real-world exports (issue 15): roles, stray tokens, detection limits, precision, decimal
// categories and the header checks, on small files shaped like R `write.csv` exports of
// cohort data. Each bad input has its own test with the exact message.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "data/clean.h"
#include "data/csv.h"
#include "encoding/catalog.h"
#include "encoding/layout.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using testing::ScratchDir;

class RealWorldTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text, const std::string& name = "cohort.csv") {
    const std::string path = dir_ / name;
    testing::WriteText(path, text);
    return path;
  }
  // Infers a schema for `csv`, round-trips it through JSON and cleans the file with it.
  Schema InferAndClean(const std::string& csv, CleanReport* report, InferNotes* notes = nullptr) {
    const std::string path = Write(csv);
    Result<Schema> s = InferSchema(path, InferOptions(), nullptr, notes);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return Schema();
    Result<Schema> again = SchemaFromJson(SchemaToJson(*s));
    EXPECT_TRUE(again.ok()) << again.status().ToString();
    Status cleaned = CleanCsv(*again, path, dir_ / "clean.csv", report);
    EXPECT_TRUE(cleaned.ok()) << cleaned.ToString();
    return *s;
  }
  std::vector<std::vector<std::string>> CleanRows() {
    CsvReader reader;
    EXPECT_TRUE(reader.Open(dir_ / "clean.csv").ok());
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    bool eof = false;
    while (reader.Next(&row, &eof).ok() && !eof) rows.push_back(row);
    return rows;
  }
  static bool Has(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  }
  ScratchDir dir_;
};

// A cohort of `n` patients where a cause-of-death text is filled only for the dead (27%), with
// 15 distinct causes: R's export of such a column is mostly NA.
std::string SparseCauseOfDeath(int n) {
  static const char* kCauses[] = {"Pneumocystis pneumonia",
                                  "Kaposi sarcoma",
                                  "Lymphoma",
                                  "Tuberculosis",
                                  "Cryptococcal meningitis",
                                  "CMV retinitis",
                                  "Toxoplasmosis",
                                  "Wasting syndrome",
                                  "MAC infection",
                                  "Bacterial sepsis",
                                  "Liver failure",
                                  "Suicide",
                                  "Accident",
                                  "Cardiac arrest",
                                  "Unknown cause"};
  std::string csv = "\"pidnum\",\"age\",\"cd4\",\"cause_of_death\"\n";
  for (int i = 0; i < n; ++i) {
    const bool dead = i % 100 < 27;
    csv += std::to_string(10000 + i) + "," + std::to_string(20 + i % 50) + "," +
           std::to_string(i % 900) + "," +
           (dead ? "\"" + std::string(kCauses[i % 15]) + "\"" : std::string("NA")) + "\n";
  }
  return csv;
}

// --- 1. roles ---------------------------------------------------------------------------------

// The reported bug: the cause-of-death column was inferred as an identifier, and clean dropped
// every row where it was missing: 73% of the cohort. It is excluded now, and no row is dropped.
TEST_F(RealWorldTest, ASparseTextColumnIsExcludedAndDropsNoRow) {
  CleanReport report;
  InferNotes notes;
  Schema s = InferAndClean(SparseCauseOfDeath(1000), &report, &notes);
  const Column* cod = s.FindColumn("cause_of_death");
  ASSERT_NE(cod, nullptr);
  EXPECT_EQ(cod->kind, ColumnKind::kExcluded);
  EXPECT_EQ(s.FindColumn("pidnum")->kind, ColumnKind::kIdentifier);
  EXPECT_EQ(s.FindColumn("cd4")->kind, ColumnKind::kNumeric);
  EXPECT_NE(SchemaToJson(s).find("{\"name\": \"cause_of_death\", \"kind\": \"excluded\"}"),
            std::string::npos)
      << SchemaToJson(s);
  EXPECT_EQ(report.rows_read, 1000u);
  EXPECT_EQ(report.rows_written, 1000u);
  EXPECT_EQ(report.rows_dropped, 0u);
  EXPECT_TRUE(report.dropped_by.empty());
  EXPECT_EQ(report.hits.at("missing:cause_of_death").count, 730u);
  // Kept in the clean CSV, as read, for the owner.
  const auto rows = CleanRows();
  ASSERT_EQ(rows.size(), 1001u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"pidnum", "age", "cd4", "cause_of_death"}));
  EXPECT_EQ(rows[1][3], "Pneumocystis pneumonia");
  EXPECT_EQ(rows[28][3], "");
  // `schema` says so.
  const std::string review = DescribeInferredSchema(s, {}, &notes);
  EXPECT_NE(review.find("cause_of_death  excluded    -"), std::string::npos) << review;
  EXPECT_NE(review.find("text, more than 12 distinct values and not unique per row: not "
                        "encrypted, not shipped"),
            std::string::npos)
      << review;
  EXPECT_EQ(review.find("Pneumocystis"), std::string::npos) << review;
}

// Never shipped: the catalog names it by kind only, the layout has no slot for it, and the
// encoder skips it.
TEST_F(RealWorldTest, AnExcludedColumnIsNeverShipped) {
  CleanReport report;
  Schema s = InferAndClean(SparseCauseOfDeath(200), &report);
  const Catalog catalog = CatalogOf(s);
  const CatalogColumn* cod = catalog.FindColumn("cause_of_death");
  ASSERT_NE(cod, nullptr);
  EXPECT_EQ(cod->kind, ColumnKind::kExcluded);
  EXPECT_EQ(cod->levels, 0);
  EXPECT_EQ(cod->bins, 0);
  Result<Catalog> back = CatalogFromJson(CatalogToJson(catalog));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->FindColumn("cause_of_death")->kind, ColumnKind::kExcluded);
  EXPECT_TRUE(Has(DescribeCatalog(catalog), "cause_of_death: excluded, never shipped"));
  Result<Layout> layout = Layout::Build(s, 2046);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  for (const Slot& slot : layout->slots()) EXPECT_NE(slot.variable, "cause_of_death");
  EXPECT_EQ(layout->FindVariable("cause_of_death"), nullptr);
}

TEST_F(RealWorldTest, SparseUniqueTextIsExcludedNotAnIdentifier) {
  // Free-text notes, each different, for a third of the rows: not unique per row.
  std::string csv = "visit_note,x\n";
  for (int i = 0; i < 60; ++i) {
    csv += (i % 3 == 0 ? "\"note " + std::to_string(i) + "\"" : std::string("")) + "," +
           std::to_string(i) + "\n";
  }
  CleanReport report;
  Schema s = InferAndClean(csv, &report);
  EXPECT_EQ(s.FindColumn("visit_note")->kind, ColumnKind::kExcluded);
  EXPECT_EQ(report.rows_written, 60u);
  // The same text in every row is an identifier (unique per row).
  std::string full = "name,x\n";
  for (int i = 0; i < 60; ++i) full += "N" + std::to_string(i) + "," + std::to_string(i) + "\n";
  Schema t = InferAndClean(full, &report);
  EXPECT_EQ(t.FindColumn("name")->kind, ColumnKind::kIdentifier);
  EXPECT_TRUE(t.FindColumn("name")->unique);
}

TEST_F(RealWorldTest, AMissingIdentifierDropsNoRowUnlessTheSchemaSaysSo) {
  Schema schema;
  Column id;
  id.name = "pid";
  id.kind = ColumnKind::kIdentifier;
  schema.columns.push_back(id);
  Column x;
  x.name = "x";
  x.max = 10;
  schema.columns.push_back(x);
  const std::string raw = Write("pid,x\nP1,1\n,2\nNA,3\nP1,4\nP2,5\n");
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, raw, dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 4u);  // the repeated P1 on line 5 goes
  EXPECT_EQ(report.hits.at("missing:pid").lines, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(report.hits.at("duplicate_identifier:pid").lines, (std::vector<uint64_t>{5}));
  EXPECT_EQ(report.dropped_by, (std::map<std::string, uint64_t>{{"duplicate_identifier:pid", 1}}));
  EXPECT_EQ(report.missing_tokens.at("pid").at("NA"), 1u);

  schema.columns[0].on_invalid = OnInvalid::kDropRow;
  Result<Schema> read = SchemaFromJson(SchemaToJson(schema));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(CleanCsv(*read, raw, dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 2u);
  EXPECT_EQ(report.dropped_by.at("missing:pid"), 2u);
}

TEST_F(RealWorldTest, AnExcludedColumnIsValidated) {
  auto error = [](const std::string& column) {
    Result<Schema> s = SchemaFromJson(
        R"({"format": "cipherstat-schema", "version": 1, "columns": [)" + column + "]}");
    return s.ok() ? std::string("ok") : s.status().message();
  };
  EXPECT_EQ(error(R"({"name": "c", "kind": "excluded"})"), "ok");
  EXPECT_EQ(error(R"({"name": "c", "kind": "excluded", "public": true})"),
            "schema: column 'c' \"public\": excluded columns never leave the owner; remove it");
  EXPECT_EQ(error(R"({"name": "c", "kind": "excluded", "levels": ["a"]})"),
            "schema: column 'c' \"levels\": excluded columns have no levels; make it "
            "\"categorical\" to group by it");
  EXPECT_EQ(error(R"({"name": "c", "kind": "excluded", "on_invalid": "drop_row"})"),
            "schema: column 'c' \"on_invalid\": an excluded column never drops a row");
  EXPECT_EQ(error(R"({"name": "c", "kind": "text"})"),
            "schema: column 'c': field \"kind\" must be \"identifier\", \"numeric\", "
            "\"categorical\", \"excluded\" or \"date\", got \"text\"");
}

// --- 2. stray tokens and missing values ---------------------------------------------------------

std::string Cd4WithToken(const std::string& token, int n = 2000, int at = 777) {
  std::string csv = "\"patid\",\"cd4\"\n";
  for (int i = 0; i < n; ++i) {
    csv += "\"P" + std::to_string(i) + "\"," + (i == at ? token : std::to_string(i % 1300)) + "\n";
  }
  return csv;
}

TEST_F(RealWorldTest, OneNaAmongTwoThousandCd4ValuesStaysNumeric) {
  CleanReport report;
  Schema s = InferAndClean(Cd4WithToken("n/a"), &report);
  const Column* cd4 = s.FindColumn("cd4");
  EXPECT_EQ(cd4->kind, ColumnKind::kNumeric);
  EXPECT_EQ(cd4->bins.size(), 5u);
  EXPECT_TRUE(Has(s.missing_values, "n/a"));
  EXPECT_EQ(report.rows_written, 2000u);
  EXPECT_EQ(report.hits.at("missing:cd4").lines, (std::vector<uint64_t>{779}));
  EXPECT_EQ(report.missing_tokens.at("cd4").at("n/a"), 1u);
}

TEST_F(RealWorldTest, TheUsualMissingTokensAreRecognized) {
  std::string csv = "x\n";
  const std::vector<std::string> tokens = {"NA", "N/A", "n/a", "NaN", "NULL", ".", "-", ""};
  for (int i = 0; i < 40; ++i) csv += std::to_string(i) + "\n";
  for (const std::string& t : tokens) csv += (t.empty() ? "\"\"" : t) + "\n";
  CleanReport report;
  Schema s = InferAndClean(csv, &report);
  EXPECT_EQ(s.missing_values, kDefaultMissingValues);
  EXPECT_EQ(s.FindColumn("x")->kind, ColumnKind::kNumeric);
  EXPECT_EQ(report.hits.at("missing:x").count, tokens.size());
  EXPECT_EQ(report.missing_tokens.at("x").size(), tokens.size() - 1);  // all but the empty one
  EXPECT_EQ(report.rows_written, 48u);
}

TEST_F(RealWorldTest, UnknownInANumericYearStaysNumeric) {
  std::string csv = "visit_year,status\n";
  for (int i = 0; i < 200; ++i) {
    csv += (i == 50 ? std::string("unknown") : std::to_string(1990 + i % 25)) + ",\"" +
           (i % 2 ? "alive" : "dead") + "\"\n";
  }
  CleanReport report;
  InferNotes notes;
  Schema s = InferAndClean(csv, &report, &notes);
  const Column* year = s.FindColumn("visit_year");
  EXPECT_EQ(year->kind, ColumnKind::kNumeric);
  EXPECT_EQ(year->min, 0);
  EXPECT_EQ(year->max, 3000);
  EXPECT_TRUE(Has(s.missing_values, "unknown"));
  EXPECT_EQ(report.hits.at("missing:visit_year").lines, (std::vector<uint64_t>{52}));
  EXPECT_EQ(report.missing_tokens.at("visit_year").at("unknown"), 1u);
  EXPECT_EQ(notes.why.at("visit_year"), "numbers; 1 other value read as missing (unknown x1)");
}

TEST_F(RealWorldTest, AStrayTokenThatIsACategoricalLevelStaysAValue) {
  std::string csv = "year,status\n";
  for (int i = 0; i < 100; ++i) {
    csv += (i == 3 ? std::string("unknown") : std::to_string(2000 + i % 20)) + "," +
           (i % 3 == 0 ? "unknown" : "known") + "\n";
  }
  CleanReport report;
  Schema s = InferAndClean(csv, &report);
  EXPECT_EQ(s.FindColumn("year")->kind, ColumnKind::kNumeric);
  EXPECT_EQ(s.FindColumn("status")->levels, (std::vector<std::string>{"known", "unknown"}));
  EXPECT_FALSE(Has(s.missing_values, "unknown"));
  EXPECT_EQ(report.hits.at("not_a_number:year").lines, (std::vector<uint64_t>{5}));
  EXPECT_EQ(report.rows_written, 100u);
}

TEST_F(RealWorldTest, TheNumericThresholds) {
  // numbers, then `tokens` distinct non-numbers (each once): numeric or not?
  auto kind = [&](int numbers, int tokens) {
    std::string csv = "v\n";
    for (int i = 0; i < numbers; ++i) csv += std::to_string(100 + i) + "\n";
    for (int i = 0; i < tokens; ++i) csv += "tok" + std::to_string(i) + "\n";
    Result<Schema> s = InferSchema(Write(csv), InferOptions());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? s->FindColumn("v")->kind : ColumnKind::kIdentifier;
  };
  EXPECT_EQ(kind(20, 1), ColumnKind::kNumeric);       // 95.2%, 20 numbers
  EXPECT_EQ(kind(19, 1), ColumnKind::kIdentifier);    // too few numbers: text, unique per row
  EXPECT_EQ(kind(95, 5), ColumnKind::kNumeric);       // exactly 95%
  EXPECT_EQ(kind(94, 6), ColumnKind::kIdentifier);    // under 95%
  EXPECT_EQ(kind(400, 10), ColumnKind::kNumeric);     // 10 distinct tokens
  EXPECT_EQ(kind(400, 11), ColumnKind::kIdentifier);  // 11: text
}

// --- detection limits -----------------------------------------------------------------------

std::string ViralLoads() {
  std::string csv = "patid,viral_load\n";
  for (int i = 0; i < 40; ++i) {
    const std::string v = i == 4 || i == 9 || i == 30 ? "\"<50\""
                          : i == 12                   ? "< 20"
                          : i == 20                   ? "\">10000000\""
                                                      : std::to_string(100 + i * 1000);
    csv += "P" + std::to_string(i) + "," + v + "\n";
  }
  return csv;
}

TEST_F(RealWorldTest, DetectionLimitsReadAsTheLimitFlaggedAndCounted) {
  CleanReport report;
  InferNotes notes;
  Schema s = InferAndClean(ViralLoads(), &report, &notes);
  const Column* vl = s.FindColumn("viral_load");
  EXPECT_EQ(vl->kind, ColumnKind::kNumeric);
  ASSERT_TRUE(vl->censored.has_value());
  EXPECT_EQ(*vl->censored, Censored::kLimit);
  EXPECT_EQ(vl->max, 10000000);  // on the grid of 10^7
  EXPECT_NE(SchemaToJson(s).find("\"censored\": \"limit\""), std::string::npos);
  EXPECT_EQ(report.hits.at("censored_below:viral_load").lines,
            (std::vector<uint64_t>{6, 11, 14, 32}));
  EXPECT_EQ(report.hits.at("censored_above:viral_load").lines, (std::vector<uint64_t>{22}));
  EXPECT_EQ(report.rows_written, 40u);
  const auto rows = CleanRows();
  EXPECT_EQ(rows[5][1], "50");
  EXPECT_EQ(rows[13][1], "20");
  EXPECT_EQ(rows[21][1], "10000000");
  EXPECT_EQ(notes.why.at("viral_load"), "numbers; 5 past a detection limit (\"censored\")");

  // The owner's other choice: missing.
  Schema missing = s;
  missing.columns[1].censored = Censored::kMissing;
  Result<Schema> read = SchemaFromJson(SchemaToJson(missing));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(CleanCsv(*read, dir_ / "cohort.csv", dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.hits.at("censored_below:viral_load").count, 4u);
  EXPECT_EQ(report.rows_written, 40u);
  const auto rows2 = CleanRows();
  EXPECT_EQ(rows2[5][1], "");
  EXPECT_EQ(rows2[21][1], "");
}

TEST_F(RealWorldTest, TheCensoredFieldIsValidated) {
  auto error = [](const std::string& column) {
    Result<Schema> s = SchemaFromJson(
        R"({"format": "cipherstat-schema", "version": 1, "columns": [)" + column + "]}");
    return s.ok() ? std::string("ok") : s.status().message();
  };
  EXPECT_EQ(error(R"({"name": "v", "kind": "numeric", "min": 0, "max": 9, "censored": "limit"})"),
            "ok");
  EXPECT_EQ(
      error(R"({"name": "v", "kind": "numeric", "min": 0, "max": 9, "censored": "zero"})"),
      "schema: column 'v': field \"censored\" must be \"limit\" or \"missing\", got \"zero\"");
  EXPECT_EQ(error(R"({"name": "v", "kind": "categorical", "levels": ["a"], "censored": "limit"})"),
            "schema: column 'v' \"censored\": applies to numeric columns only");
}

// --- 3. precision -----------------------------------------------------------------------------

TEST_F(RealWorldTest, ExtraDecimalsAreRoundedHalfToEvenAndCounted) {
  Schema schema;
  Column x;
  x.name = "x";
  x.min = -10;
  x.max = 10;
  x.decimals = 2;
  schema.columns.push_back(x);
  const std::string raw =
      Write("x\n0.125\n0.135\n-0.125\n2.675\n0.1251\n0.005\n0.0049999\n1.5\n9.999\n-0.001\n");
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, raw, dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 10u);
  EXPECT_EQ(report.hits.at("rounded:x").lines,
            (std::vector<uint64_t>{2, 3, 4, 5, 6, 7, 8, 10, 11}));
  EXPECT_EQ(*ReadFile(dir_ / "clean.csv"), "x\n0.12\n0.14\n-0.12\n2.68\n0.13\n0\n0\n1.5\n10\n0\n");
  // Rounding past a bound is out of range, as any value past it.
  schema.columns[0].max = 9.99;
  ASSERT_TRUE(CleanCsv(schema, Write("x\n9.994\n9.995\n"), dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.hits.at("rounded:x").count, 2u);
  EXPECT_EQ(report.hits.at("out_of_range:x").lines, (std::vector<uint64_t>{3}));
}

// R writes 15 significant digits: small values have more than the 15 decimals a column may
// keep, and a wide column keeps fewer (its bounds stay below 10^15 at its scale).
TEST_F(RealWorldTest, FifteenDigitFloatsPastTheCapAreRoundedNotDropped) {
  std::string csv = "tiny,wide\n";
  const std::vector<std::string> tiny = {"0.0000000000000125", "0.0000000000000135",
                                         "0.000123456789012345", "0.5"};
  const std::vector<std::string> wide = {"123456.123456789012", "2.5", "3", "99999.9999999999"};
  for (size_t i = 0; i < tiny.size(); ++i) csv += tiny[i] + "," + wide[i] + "\n";
  CleanReport report;
  Schema s = InferAndClean(csv, &report);
  EXPECT_EQ(s.FindColumn("tiny")->decimals, kMaxDecimals);
  EXPECT_EQ(s.FindColumn("wide")->decimals, 9);  // 200000·10^9 < 10^15
  EXPECT_EQ(report.rows_written, 4u);
  EXPECT_EQ(report.hits.at("rounded:tiny").lines, (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(report.hits.at("rounded:wide").lines, (std::vector<uint64_t>{2, 5}));
  const auto rows = CleanRows();
  EXPECT_EQ(rows[1], (std::vector<std::string>{"0.000000000000012", "123456.123456789"}));
  EXPECT_EQ(rows[2][0], "0.000000000000014");
  EXPECT_EQ(rows[3][0], "0.000123456789012");
  EXPECT_EQ(rows[4][1], "100000");
}

// --- 4. decimal-coded categories ----------------------------------------------------------------

TEST_F(RealWorldTest, AFewValuedDecimalColumnGetsLevels) {
  std::string csv = "grade,score\n";
  const char* grades[] = {"0", "0.5", "1", "0.50", "1.0"};
  for (int i = 0; i < 50; ++i) {
    csv += std::string(grades[i % 5]) + "," + std::to_string(i) + ".25\n";
  }
  CleanReport report;
  Schema s = InferAndClean(csv, &report);
  const Column* grade = s.FindColumn("grade");
  EXPECT_EQ(grade->decimals, 1);
  EXPECT_EQ(grade->levels, (std::vector<std::string>{"0", "0.5", "1"}));
  EXPECT_TRUE(s.crosses.empty());  // a grade is not a grouping key: `schema --cross grade`
  EXPECT_TRUE(s.FindColumn("score")->levels.empty());
  EXPECT_TRUE(report.hits.empty()) << report.ToJson();
  EXPECT_EQ(CleanRows()[4][0], "0.5");
}

// --- 6. header checks -------------------------------------------------------------------------

TEST_F(RealWorldTest, ARepeatedColumnNameIsRefusedNamingBothPositions) {
  const std::string path = Write("id,cd4,age,cd4\n1,2,3,4\n");
  const std::string message =
      path + " line 1: column 'cd4' appears twice in the header " + "(columns 2 and 4)";
  Result<Schema> s = InferSchema(path, InferOptions());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), message);
  Schema schema;
  Column cd4;
  cd4.name = "cd4";
  cd4.max = 10;
  schema.columns.push_back(cd4);
  Status cleaned = CleanCsv(schema, path, dir_ / "clean.csv", nullptr);
  EXPECT_EQ(cleaned.message(), message);
  EXPECT_FALSE(PathExists(dir_ / "clean.csv"));
  // Blanks around a name do not make it another name.
  const std::string blanks = Write("a, a\n1,2\n", "blanks.csv");
  EXPECT_EQ(InferSchema(blanks, InferOptions()).status().message(),
            blanks + " line 1: column 'a' appears twice in the header (columns 1 and 2)");
}

TEST_F(RealWorldTest, AHeaderOnlyFileIsRefused) {
  const std::string path = Write("\"id\",\"cd4\"\n");
  Result<Schema> s = InferSchema(path, InferOptions());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), path + ": only a header, no data rows");
  Schema schema;
  Column cd4;
  cd4.name = "cd4";
  cd4.max = 10;
  schema.columns.push_back(cd4);
  EXPECT_EQ(CleanCsv(schema, path, dir_ / "clean.csv", nullptr).message(),
            path + ": only a header, no data rows");
  const std::string crlf = Write("id,cd4\r\n", "crlf.csv");
  EXPECT_EQ(InferSchema(crlf, InferOptions()).status().message(),
            crlf + ": only a header, no data rows");
}

TEST_F(RealWorldTest, RaggedRowsAreReportedWithTheirLines) {
  std::string csv = "id,cd4,age\n";
  for (int i = 0; i < 30; ++i) {
    csv += i == 5    ? "P5,300\n"
           : i == 17 ? "P17,300,40,extra\n"
                     : "P" + std::to_string(i) + ",300,40\n";
  }
  const std::string path = Write(csv);
  InferNotes notes;
  Result<Schema> s = InferSchema(path, InferOptions(), nullptr, &notes);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(notes.rows, 30u);
  EXPECT_EQ(notes.ragged.count, 2u);
  EXPECT_EQ(notes.ragged.lines, (std::vector<uint64_t>{7, 19}));
  EXPECT_NE(DescribeInferredSchema(*s, {}, &notes)
                .find("  warning: 2 rows have a different number of fields than the header "
                      "(lines 7, 19); inference skipped them and clean drops them\n"),
            std::string::npos)
      << DescribeInferredSchema(*s, {}, &notes);
  CleanReport report;
  ASSERT_TRUE(CleanCsv(*s, path, dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.hits.at("wrong_field_count").lines, (std::vector<uint64_t>{7, 19}));
  EXPECT_EQ(report.dropped_by.at("wrong_field_count"), 2u);
  EXPECT_EQ(report.rows_written, 28u);
}

TEST_F(RealWorldTest, AByteOrderMarkAndCrlfAreAccepted) {
  std::string csv = "\xEF\xBB\xBF\"id\",\"grade\",\"cd4\"\r\n";
  for (int i = 0; i < 30; ++i) {
    csv += "\"P" + std::to_string(i) + "\"," + (i % 2 ? "0.5" : "1") + "," +
           (i == 3 ? "NA" : std::to_string(200 + i)) + "\r\n";
  }
  CleanReport report;
  Schema s = InferAndClean(csv, &report);
  ASSERT_EQ(s.columns.size(), 3u);
  EXPECT_EQ(s.columns[0].name, "id");
  EXPECT_EQ(s.columns[0].kind, ColumnKind::kIdentifier);
  EXPECT_EQ(s.FindColumn("grade")->levels, (std::vector<std::string>{"0.5", "1"}));
  EXPECT_EQ(report.rows_written, 30u);
  EXPECT_EQ(report.hits.size(), 1u) << report.ToJson();
  EXPECT_EQ(CleanRows()[0], (std::vector<std::string>{"id", "grade", "cd4"}));
}

// --- 9. the review table
// --------------------------------------------------------------------------

TEST_F(RealWorldTest, TheReviewTable) {
  std::string csv = "patid,grade,sex,vl,cause\n";
  for (int i = 0; i < 40; ++i) {
    csv += "P" + std::to_string(i) + "," + (i % 2 ? "0.5" : "1") + "," + (i % 3 ? "F" : "M") + "," +
           (i == 7 ? "<50" : std::to_string(1000 + i * 37)) + "," +
           (i % 4 == 3 ? "NA" : "cause " + std::to_string(i)) + "\n";
  }
  CleanReport report;
  InferNotes notes;
  InferredBoundsMap bounds;
  const std::string path = Write(csv);
  Result<Schema> s = InferSchema(path, InferOptions(), &bounds, &notes);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(
      DescribeInferredSchema(*s, bounds, &notes),
      "  column  role        kind         range      decimals  levels  groupable  why\n"
      "  patid   identifier  -            -          -         -       no         named like an "
      "id, no value repeats; never shipped\n"
      "  grade   private     numeric      [0, 1]     1         2       yes        numbers, 2 "
      "distinct: groupable; bounds: grid 1\n"
      "  sex     private     categorical  -          -         2       yes        text, 2 "
      "distinct: groupable\n"
      "  vl      private     numeric      [0, 3000]  0         -       no         numbers; 1 past "
      "a detection limit (\"censored\"); bounds: grid 1000; \"<N\" reads as N\n"
      "  cause   excluded    -            -          -         -       no         text, more "
      "than 12 distinct values and not unique per row: not encrypted, not shipped\n"
      "  derived: 1 (viral_suppressed = vl < 200)\n"
      "  crosses: 1 (by sex)\n");
}

}  // namespace
}  // namespace cipherstat
