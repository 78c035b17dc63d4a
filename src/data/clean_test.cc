#include "data/clean.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/csv.h"
#include "encoding/fixed_point.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using Lines = std::vector<uint64_t>;

// --- CleanCsv ------------------------------------------------------------------------------

Column Num(const std::string& name, double min, double max, int decimals = 0) {
  Column c;
  c.name = name;
  c.kind = ColumnKind::kNumeric;
  c.min = min;
  c.max = max;
  c.decimals = decimals;
  return c;
}

Schema CleanSchema() {
  Schema s;
  s.name = "t";
  Column pid;
  pid.name = "pid";
  pid.kind = ColumnKind::kIdentifier;
  s.columns.push_back(pid);
  s.columns.push_back(Num("age", 18, 90));
  Column wt = Num("wt", 30, 200, 1);
  wt.on_invalid = OnInvalid::kDropRow;
  s.columns.push_back(wt);
  Column arm = Num("arm", 0, 5);
  arm.levels = {"0", "1", "2", "3"};
  s.columns.push_back(arm);
  Column sex;
  sex.name = "sex";
  sex.kind = ColumnKind::kCategorical;
  sex.levels = {"F", "M"};
  sex.on_invalid = OnInvalid::kDropRow;
  s.columns.push_back(sex);
  Column site;
  site.name = "site";
  site.kind = ColumnKind::kCategorical;
  site.levels = {"Durban", "Kampala", "Kam\tpala"};
  s.columns.push_back(site);
  s.columns.push_back(Num("cd4", 0, 2000));
  return s;
}

class CleanTest : public ::testing::Test {
 protected:
  std::string Raw(const std::string& text) {
    const std::string path = dir_ / "raw.csv";
    EXPECT_TRUE(WriteFileAtomic(path, text).ok());
    return path;
  }
  std::vector<std::string> DirEntries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  void ExpectHit(const CleanReport& report, const std::string& rule, const Lines& lines) {
    auto it = report.hits.find(rule);
    ASSERT_NE(it, report.hits.end()) << "no hits for " << rule;
    EXPECT_EQ(it->second.count, lines.size()) << rule;
    EXPECT_EQ(it->second.lines, lines) << rule;
  }
  cipherstat::testing::ScratchDir dir_;
};

TEST_F(CleanTest, EveryRuleWithItsLineNumbers) {
  const std::string raw =
      Raw("pid,age,wt,arm,sex,site,cd4,extra\n"   // 1
          "P1,30,70.5,1,F,Kampala,500,x\n"        // 2 clean
          "P2,abc,70,2,M,Durban,400,x\n"          // 3 age not a number -> missing
          "P3,95,70,2,M,Durban,400,x\n"           // 4 age out of range -> missing
          "P4,40,70.55,0,M,Durban,400,x\n"        // 5 wt too many decimals -> rounded
          "P5,40,72.50,0,M,Durban,400,x\n"        // 6 trailing zero is fine
          "P6,40,71,3.0,M,Durban,400,x\n"         // 7 numeric level written as 3
          "P7,40,71,5,M,Durban,400,x\n"           // 8 arm 5: in range, not a level -> missing
          "P8,40,71,1,X,Durban,400,x\n"           // 9 unknown sex -> drop
          "P9,40,71,1,,Durban,400,x\n"            // 10 missing sex -> drop
          "P1,41,71,1,M,Durban,400,x\n"           // 11 duplicate id -> drop
          ",41,71,1,M,Durban,400,x\n"             // 12 empty id -> kept, missing
          "P10,41,71,1,M\n"                       // 13 wrong field count -> drop
          "P11,NA,71,1,M,\"Kam\tpala\",400,x\n"   // 14 missing age; a level, but not public
          "P12, 42 ,71,1,M,Lusaka,NA,x\n"         // 15 trimmed; unknown site; missing cd4
          "\"P13\",\"1e1\",71,1,M,Durban,-5,x\n"  // 16 age 10 and cd4 -5 out of range
          "P14,50,\"70,5\",1,M,Durban,400,x\n"    // 17 wt not a number -> drop
          "P8,40,71,1,F,Durban,400,x\n"           // 18 P8's earlier row was dropped: fine
          "P15,40,NA,1,M,Durban,400,x\n");        // 19 wt missing in a drop_row column
  const std::string out = dir_ / "clean.csv";
  CleanReport report;
  Status s = CleanCsv(CleanSchema(), raw, out, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();

  EXPECT_EQ(report.rows_read, 18u);
  EXPECT_EQ(report.rows_written, 12u);
  EXPECT_EQ(report.rows_dropped, 6u);
  EXPECT_EQ(report.rows_read, report.rows_written + report.rows_dropped);
  ExpectHit(report, "unknown_column:extra", {1});
  ExpectHit(report, "not_a_number:age", {3});
  ExpectHit(report, "out_of_range:age", {4, 16});
  ExpectHit(report, "rounded:wt", {5});  // half to even: 70.6
  ExpectHit(report, "unknown_level:arm", {8});
  ExpectHit(report, "unknown_level:sex", {9});
  ExpectHit(report, "missing:sex", {10});
  ExpectHit(report, "duplicate_identifier:pid", {11});
  ExpectHit(report, "missing:pid", {12});
  ExpectHit(report, "wrong_field_count", {13});
  ExpectHit(report, "missing:age", {14});
  ExpectHit(report, "unknown_level:site", {15});
  ExpectHit(report, "missing:cd4", {15});
  ExpectHit(report, "out_of_range:cd4", {16});
  ExpectHit(report, "not_a_number:wt", {17});
  ExpectHit(report, "missing:wt", {19});
  EXPECT_EQ(report.hits.size(), 16u);
  EXPECT_EQ(report.dropped_by, (std::map<std::string, uint64_t>{{"duplicate_identifier:pid", 1},
                                                                {"missing:sex", 1},
                                                                {"missing:wt", 1},
                                                                {"not_a_number:wt", 1},
                                                                {"unknown_level:sex", 1},
                                                                {"wrong_field_count", 1}}));

  Result<std::string> text = ReadFile(out);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "pid,age,wt,arm,sex,site,cd4\n"
            "P1,30,70.5,1,F,Kampala,500\n"
            "P2,,70,2,M,Durban,400\n"
            "P3,,70,2,M,Durban,400\n"
            "P4,40,70.6,0,M,Durban,400\n"
            "P5,40,72.5,0,M,Durban,400\n"
            "P6,40,71,3,M,Durban,400\n"
            "P7,40,71,,M,Durban,400\n"
            ",41,71,1,M,Durban,400\n"
            "P11,,71,1,M,Kam\tpala,400\n"
            "P12,42,71,1,M,,\n"
            "P13,,71,1,M,Durban,\n"
            "P8,40,71,1,F,Durban,400\n");
}

TEST_F(CleanTest, PublicValuesWithTabsOrNewlinesAreInvalid) {
  Schema schema;
  Column id;
  id.name = "id";
  id.kind = ColumnKind::kIdentifier;
  schema.columns.push_back(id);
  Column site;
  site.name = "site";
  site.kind = ColumnKind::kCategorical;
  site.levels = {"A", "B"};
  site.is_public = true;
  schema.columns.push_back(site);
  const std::string raw = Raw("id,site\n1,A\n2,\"A\tB\"\n3,\"A\nB\"\n4,B\n");
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, raw, dir_ / "out.csv", &report).ok());
  ExpectHit(report, "invalid_character:site", {3, 4});
  EXPECT_EQ(*ReadFile(dir_ / "out.csv"), "id,site\n1,A\n2,\n3,\n4,B\n");
}

TEST_F(CleanTest, NumbersAreNormalized) {
  Schema schema;
  schema.columns.push_back(Num("x", -10, 30, 5));
  const std::string raw =
      Raw("x\n-3.50\n-0.00\n+2\n1e1\n.5\n26.33333\n2.633333e1\n26.333330\n-1E-5\n");
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, raw, dir_ / "out.csv", &report).ok());
  EXPECT_EQ(*ReadFile(dir_ / "out.csv"),
            "x\n-3.5\n0\n2\n10\n0.5\n26.33333\n26.33333\n26.33333\n-0.00001\n");
  EXPECT_TRUE(report.hits.empty());
}

TEST_F(CleanTest, CustomMissingValuesAndCrlf) {
  Schema schema;
  schema.columns.push_back(Num("x", 0, 10));
  schema.missing_values = {"", ".", "-"};
  const std::string raw = Raw("x\r\n1\r\n.\r\n - \r\n\r\nNA\r\n");
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, raw, dir_ / "out.csv", &report).ok());
  ExpectHit(report, "missing:x", {3, 4, 5});
  // "NA" is not missing under these rules: it is not a number.
  ExpectHit(report, "not_a_number:x", {6});
  EXPECT_EQ(*ReadFile(dir_ / "out.csv"), "x\n1\n\"\"\n\"\"\n\"\"\n\"\"\n");
}

TEST_F(CleanTest, NonUniqueIdentifierKeepsRepeats) {
  Schema schema;
  Column id;
  id.name = "patid";
  id.kind = ColumnKind::kIdentifier;
  id.unique = false;
  schema.columns.push_back(id);
  schema.columns.push_back(Num("day", 0, 100));
  const std::string raw = Raw("patid,day\nC1,0\nC1,10\nC2,0\n,5\n");
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, raw, dir_ / "out.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 4u);  // a missing identifier drops no row (issue 15)
  ExpectHit(report, "missing:patid", {5});
  EXPECT_EQ(report.hits.count("duplicate_identifier:patid"), 0u);
}

TEST_F(CleanTest, MaxRecordsOverflowLeavesNoOutput) {
  Schema schema = CleanSchema();
  schema.max_records = 3;
  const std::string header = "pid,age,wt,arm,sex,site,cd4\n";
  const std::string rows =
      "P1,30,70,1,F,Durban,500\nP2,30,70,1,F,Durban,500\nP3,30,70,1,F,Durban,500\n";
  // Exactly max_records rows (and a dropped one) are fine.
  CleanReport report;
  ASSERT_TRUE(
      CleanCsv(schema, Raw(header + rows + "P3,30,70,1,F,Durban,500\n"), dir_ / "ok.csv", &report)
          .ok());
  EXPECT_EQ(report.rows_written, 3u);
  EXPECT_EQ(report.rows_dropped, 1u);

  const std::string out = dir_ / "clean.csv";
  Status s = CleanCsv(schema, Raw(header + rows + "P4,30,70,1,F,Durban,500\n"), out, &report);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("dataset larger than its schema allows (max_records=3)"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("line 5"), std::string::npos) << s.message();
  EXPECT_FALSE(PathExists(out));
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"ok.csv", "raw.csv"}));  // no temp file
}

TEST_F(CleanTest, MissingColumnLeavesNoOutput) {
  const std::string raw = Raw("pid,age,arm,sex,cd4\nP1,30,1,F,500\n");
  const std::string out = dir_ / "clean.csv";
  CleanReport report;
  Status s = CleanCsv(CleanSchema(), raw, out, &report);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("'wt'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'site'"), std::string::npos) << s.message();
  ExpectHit(report, "missing_column:wt", {1});
  ExpectHit(report, "missing_column:site", {1});
  EXPECT_FALSE(PathExists(out));
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"raw.csv"}));
}

TEST_F(CleanTest, SchemaColumnTwiceInHeaderIsAnError) {
  Schema schema;
  schema.columns.push_back(Num("x", 0, 10));
  Status s = CleanCsv(schema, Raw("x,x\n1,2\n"), dir_ / "out.csv", nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'x'"), std::string::npos);
  EXPECT_FALSE(PathExists(dir_ / "out.csv"));
}

TEST_F(CleanTest, MalformedCsvLeavesNoOutput) {
  Schema schema;
  schema.columns.push_back(Num("x", 0, 10));
  Status s = CleanCsv(schema, Raw("x\n1\n\"2\n"), dir_ / "out.csv", nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
  EXPECT_EQ(DirEntries(), (std::vector<std::string>{"raw.csv"}));
}

TEST_F(CleanTest, EmptyInputAndInvalidSchema) {
  Schema schema;
  schema.columns.push_back(Num("x", 0, 10));
  EXPECT_FALSE(CleanCsv(schema, Raw(""), dir_ / "out.csv", nullptr).ok());
  schema.columns[0].min = 20;
  Status s = CleanCsv(schema, Raw("x\n1\n"), dir_ / "out.csv", nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("column 'x'"), std::string::npos);
  EXPECT_FALSE(PathExists(dir_ / "out.csv"));
}

TEST_F(CleanTest, ReportListsAtMostHundredLines) {
  Schema schema;
  schema.columns.push_back(Num("x", 0, 10));
  std::string text = "x\n";
  for (int i = 0; i < 150; ++i) text += "99\n";
  CleanReport report;
  ASSERT_TRUE(CleanCsv(schema, Raw(text), dir_ / "out.csv", &report).ok());
  const RuleHits& h = report.hits.at("out_of_range:x");
  EXPECT_EQ(h.count, 150u);
  ASSERT_EQ(h.lines.size(), 100u);
  EXPECT_EQ(h.lines.front(), 2u);
  EXPECT_EQ(h.lines.back(), 101u);

  nlohmann::json j = nlohmann::json::parse(report.ToJson());
  EXPECT_EQ(j["rows_read"], 150);
  EXPECT_EQ(j["rows_written"], 150);
  EXPECT_EQ(j["rows_dropped"], 0);
  EXPECT_EQ(j["hits"]["out_of_range:x"]["count"], 150);
  EXPECT_EQ(j["hits"]["out_of_range:x"]["lines"].size(), 100u);
  EXPECT_EQ(j["hits"]["out_of_range:x"]["lines_truncated"], true);
}

// --- InferSchema ---------------------------------------------------------------------------

class InferSchemaTest : public CleanTest {
 protected:
  static std::string Data(const std::string& name) {
    return cipherstat::testing::SharedDir() + "/data/" + name;
  }
  // Rows after the header, counted by our own reader.
  static uint64_t DataRows(const std::string& path) {
    CsvReader reader;
    EXPECT_TRUE(reader.Open(path).ok());
    std::vector<std::string> fields;
    bool eof = false;
    uint64_t rows = 0;
    while (reader.Next(&fields, &eof).ok() && !eof) ++rows;
    return rows - 1;
  }
};

TEST_F(InferSchemaTest, SmallFile) {
  std::string text = "subject_id,score,group,flag,note,empty,year,code\n";
  for (int i = 0; i < 30; ++i) {
    text += "S" + std::to_string(i) + "," + std::to_string(i) + "." + std::to_string(i % 7) + "5," +
            (i % 3 == 0 ? "a" : "b") + "," + std::to_string(i % 2) + ",note " + std::to_string(i) +
            ",," + std::to_string(2000 + i % 4) + "," +
            (i % 5 == 0 ? "NA" : "-" + std::to_string(i % 4)) + "\n";
  }
  Result<Schema> s = InferSchema(Raw(text), InferOptions());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "raw");
  EXPECT_EQ(s->FindColumn("subject_id")->kind, ColumnKind::kIdentifier);
  const Column* score = s->FindColumn("score");
  EXPECT_EQ(score->kind, ColumnKind::kNumeric);
  EXPECT_EQ(score->decimals, 2);
  // Observed 0.05 .. 29.15: bounds on the grid of 10 (infer_bounds_test.cc has the rule).
  EXPECT_EQ(score->min, 0);
  EXPECT_EQ(score->max, 30);
  EXPECT_TRUE(score->levels.empty());
  const Column* group = s->FindColumn("group");
  EXPECT_EQ(group->kind, ColumnKind::kCategorical);
  EXPECT_EQ(group->levels, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s->FindColumn("flag")->levels, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(s->FindColumn("note")->kind, ColumnKind::kIdentifier);  // free text
  const Column* empty = s->FindColumn("empty");
  EXPECT_EQ(empty->kind, ColumnKind::kNumeric);
  EXPECT_EQ(s->FindColumn("year")->levels,
            (std::vector<std::string>{"2000", "2001", "2002", "2003"}));
  const Column* code = s->FindColumn("code");
  EXPECT_EQ(code->levels, (std::vector<std::string>{"-3", "-2", "-1", "0"}));  // numeric order
  EXPECT_EQ(code->min, -3);                                                    // on the grid of 1
  EXPECT_EQ(code->max, 0);
  EXPECT_TRUE(s->derived.empty());
  // One cross, by the categorical "group", over every other numeric column but the year; none
  // by the 0/1 flag, the codes or the year (CrossesGoByThePlausibleGroupingKeys).
  ASSERT_EQ(s->crosses.size(), 1u);
  EXPECT_TRUE(s->HasCross("group", "score"));
  EXPECT_TRUE(s->HasCross("group", "flag"));
  EXPECT_FALSE(s->HasCross("group", "year"));

  // The inferred schema accepts its own file without a change.
  CleanReport report;
  ASSERT_TRUE(CleanCsv(*s, dir_ / "raw.csv", dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 30u);
  EXPECT_EQ(report.rows_dropped, 0u);
}

// Issue 19: each cross costs slots per level, and so ciphertexts per record; the default goes by
// the columns one groups by, and `schema --cross` / `--no-crosses` choose instead.
TEST_F(InferSchemaTest, CrossesGoByThePlausibleGroupingKeys) {
  std::string text = "pid,arms,gender,hemo,karnof,site,visit_year,zprior,cd4\n";
  for (int i = 0; i < 40; ++i) {
    text += "P" + std::to_string(i) + "," + std::to_string(i % 4) + "," + std::to_string(i % 2) +
            "," + std::to_string(i / 3 % 2) + "," + std::to_string(70 + 10 * (i % 4)) + "," +
            (i % 3 == 0 ? "Lusaka" : "Harare") + "," + std::to_string(2015 + i % 5) + ",1," +
            std::to_string(100 + 17 * i) + "\n";
  }
  const std::string raw = Raw(text);
  Result<Schema> s = InferSchema(raw, InferOptions());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (const char* c : {"arms", "gender", "hemo", "karnof", "site", "visit_year", "zprior"})
    EXPECT_TRUE(s->FindColumn(c)->groupable()) << c;
  // By the codes named like an arm or a sex and by the categorical site; not by the flag
  // "hemo", the score "karnof", the year or "zprior", whose one level groups nothing.
  ASSERT_EQ(s->crosses.size(), 3u);
  EXPECT_EQ(s->crosses[0].by, "arms");
  EXPECT_EQ(s->crosses[1].by, "gender");
  EXPECT_EQ(s->crosses[2].by, "site");
  // Over every other numeric column (AVG(gender) by arms is the share of men), but the year.
  EXPECT_EQ(s->crosses[0].over,
            (std::vector<std::string>{"gender", "hemo", "karnof", "zprior", "cd4"}));
  EXPECT_FALSE(s->HasCross("site", "visit_year"));

  // --cross: exactly the columns named, a year or a flag too, over every numeric column but
  // the years.
  InferOptions named;
  named.cross_by = std::vector<std::string>{"visit_year", "hemo"};
  Result<Schema> chosen = InferSchema(raw, named);
  ASSERT_TRUE(chosen.ok()) << chosen.status().ToString();
  ASSERT_EQ(chosen->crosses.size(), 2u);
  EXPECT_EQ(chosen->crosses[0].by, "visit_year");
  EXPECT_EQ(chosen->crosses[0].over,
            (std::vector<std::string>{"arms", "gender", "hemo", "karnof", "zprior", "cd4"}));
  EXPECT_EQ(chosen->crosses[1].by, "hemo");
  EXPECT_FALSE(chosen->HasCross("hemo", "visit_year"));

  // --no-crosses.
  InferOptions none;
  none.cross_by = std::vector<std::string>{};
  Result<Schema> bare = InferSchema(raw, none);
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_TRUE(bare->crosses.empty());

  // A column that cannot be grouped by, one the file lacks, or one named twice.
  for (const auto& [columns, needle] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"cd4"}, "--cross cd4: 'cd4' is not a groupable column"},
           {{"pid"}, "--cross pid: 'pid' is not a groupable column"},
           {{"absent"}, "--cross absent: 'absent' is not a groupable column"},
           {{"arms", "arms"}, "--cross arms: named twice"}}) {
    InferOptions bad;
    bad.cross_by = columns;
    Result<Schema> refused = InferSchema(raw, bad);
    ASSERT_FALSE(refused.ok()) << needle;
    EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(refused.status().message().find(needle), std::string::npos)
        << refused.status().ToString();
  }
}

TEST_F(InferSchemaTest, UniqueTextIsAnIdentifier) {
  Result<Schema> s =
      InferSchema(Raw("name,hospital_mrn,ward,x\nAda,17,A,1\nBo,18,B,2\nCy,19,A,3\nDi,20,B,1\n"),
                  InferOptions());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->FindColumn("name")->kind, ColumnKind::kIdentifier);
  EXPECT_TRUE(s->FindColumn("name")->unique);
  EXPECT_EQ(s->FindColumn("hospital_mrn")->kind, ColumnKind::kIdentifier);
  EXPECT_EQ(s->FindColumn("ward")->kind, ColumnKind::kCategorical);
  EXPECT_EQ(s->FindColumn("x")->levels, (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(InferSchemaTest, NameAndErrors) {
  const std::string path = dir_ / "2024 cohort-v2.csv";
  ASSERT_TRUE(WriteFileAtomic(path, "a\n1\n").ok());
  Result<Schema> s = InferSchema(path, InferOptions());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "t_2024_cohort_v2");

  EXPECT_FALSE(InferSchema(Raw(""), InferOptions()).ok());
  Result<Schema> dup = InferSchema(Raw("a,a\n1,2\n"), InferOptions());
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("'a'"), std::string::npos);
  EXPECT_FALSE(InferSchema(dir_ / "absent.csv", InferOptions()).ok());
}

TEST_F(InferSchemaTest, Actg175) {
  if (!cipherstat::testing::SharedDataAvailable()) GTEST_SKIP() << "shared data not available";
  InferOptions options;
  options.max_records = 5000;
  Result<Schema> s = InferSchema(Data("actg175.csv"), options);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "actg175");
  EXPECT_EQ(s->max_records, 5000u);
  EXPECT_EQ(s->columns.size(), 27u);
  EXPECT_EQ(s->FindColumn("pidnum")->kind, ColumnKind::kIdentifier);
  EXPECT_TRUE(s->FindColumn("pidnum")->unique);
  const Column* cd496 = s->FindColumn("cd496");
  EXPECT_EQ(cd496->kind, ColumnKind::kNumeric);
  EXPECT_EQ(cd496->on_invalid, OnInvalid::kMissing);
  const Column* arms = s->FindColumn("arms");
  EXPECT_EQ(arms->kind, ColumnKind::kNumeric);
  EXPECT_EQ(arms->levels, (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_TRUE(s->FindColumn("gender")->groupable());
  const Column* wtkg = s->FindColumn("wtkg");
  EXPECT_EQ(wtkg->decimals, 5);
  EXPECT_TRUE(wtkg->levels.empty());
  const Column* cd40 = s->FindColumn("cd40");
  ASSERT_EQ(cd40->bins.size(), 5u);
  EXPECT_EQ(cd40->bins[1], 200);
  EXPECT_EQ(cd40->bins[3], 500);
  EXPECT_TRUE(std::isinf(cd40->bins[4]));
  EXPECT_TRUE(s->FindColumn("age")->bins.empty());
  EXPECT_TRUE(s->derived.empty());
  EXPECT_TRUE(s->HasCross("arms", "cd40"));
  EXPECT_TRUE(s->HasCross("gender", "cd496"));
  EXPECT_FALSE(s->HasCross("arms", "pidnum"));
  EXPECT_FALSE(s->HasCross("arms", "arms"));
  // Crosses by the grouping keys alone (issue 19: 17 crosses made 34 ciphertexts per record):
  // not by the flags (hemo, offtrt, cens...), karnof, strat or the single-level zprior.
  std::vector<std::string> by;
  for (const Cross& cross : s->crosses) by.push_back(cross.by);
  EXPECT_EQ(by, (std::vector<std::string>{"race", "gender", "treat", "arms"}));

  Result<Schema> again = SchemaFromJson(SchemaToJson(*s));
  ASSERT_TRUE(again.ok()) << again.status().ToString();

  CleanReport report;
  ASSERT_TRUE(CleanCsv(*s, Data("actg175.csv"), dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.rows_read, 2139u);
  EXPECT_EQ(report.rows_written, 2139u);
  EXPECT_EQ(report.hits.at("missing:cd496").count, 797u);
  EXPECT_EQ(report.hits.size(), 1u);
}

TEST_F(InferSchemaTest, Actg320EveryCd4ValueIsExact) {
  if (!cipherstat::testing::SharedDataAvailable()) GTEST_SKIP() << "shared data not available";
  Result<Schema> s = InferSchema(Data("actg320.csv"), InferOptions());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Column* cd4 = s->FindColumn("cd4");
  ASSERT_NE(cd4, nullptr);
  EXPECT_GE(cd4->decimals, 5);  // 26.33333
  EXPECT_EQ(cd4->bins.size(), 5u);
  CleanReport report;
  ASSERT_TRUE(CleanCsv(*s, Data("actg320.csv"), dir_ / "clean.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 1151u);
  EXPECT_TRUE(report.hits.empty()) << report.ToJson();
  // Each cleaned value is the raw value, digit for digit (up to trailing zeros).
  CsvReader raw, clean;
  ASSERT_TRUE(raw.Open(Data("actg320.csv")).ok());
  ASSERT_TRUE(clean.Open(dir_ / "clean.csv").ok());
  std::vector<std::string> a, b, ha, hb;
  bool eof = false;
  ASSERT_TRUE(raw.Next(&ha, &eof).ok());
  ASSERT_TRUE(clean.Next(&hb, &eof).ok());
  const size_t ia = std::find(ha.begin(), ha.end(), "cd4") - ha.begin();
  const size_t ib = std::find(hb.begin(), hb.end(), "cd4") - hb.begin();
  size_t rows = 0;
  while (raw.Next(&a, &eof).ok() && !eof) {
    ASSERT_TRUE(clean.Next(&b, &eof).ok());
    Result<int64_t> x = ParseFixedPoint(a[ia], cd4->decimals);
    Result<int64_t> y = ParseFixedPoint(b[ib], cd4->decimals);
    ASSERT_TRUE(x.ok() && y.ok()) << a[ia];
    EXPECT_EQ(*x, *y);
    ++rows;
  }
  EXPECT_EQ(rows, 1151u);
}

TEST_F(InferSchemaTest, JmAidsAndUtiVl) {
  if (!cipherstat::testing::SharedDataAvailable()) GTEST_SKIP() << "shared data not available";
  Result<Schema> jm = InferSchema(Data("jm_aids_baseline.csv"), InferOptions());
  ASSERT_TRUE(jm.ok()) << jm.status().ToString();
  EXPECT_EQ(jm->FindColumn("patient")->kind, ColumnKind::kIdentifier);
  EXPECT_EQ(jm->FindColumn("drug")->levels, (std::vector<std::string>{"ddC", "ddI"}));
  EXPECT_EQ(jm->FindColumn("gender")->kind, ColumnKind::kCategorical);
  // CD4 is a square root written to 10 decimals; every value stays exact.
  EXPECT_EQ(jm->FindColumn("CD4")->decimals, 10);
  CleanReport report;
  ASSERT_TRUE(CleanCsv(*jm, Data("jm_aids_baseline.csv"), dir_ / "jm.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 467u);
  EXPECT_TRUE(report.hits.empty()) << report.ToJson();

  Result<Schema> uti = InferSchema(Data("uti_vl.csv"), InferOptions());
  ASSERT_TRUE(uti.ok()) << uti.status().ToString();
  const Column* patid = uti->FindColumn("Patid");
  EXPECT_EQ(patid->kind, ColumnKind::kIdentifier);
  EXPECT_FALSE(patid->unique);  // one row per visit
  ASSERT_EQ(uti->derived.size(), 1u);
  EXPECT_EQ(uti->derived[0].name, "viral_suppressed");
  EXPECT_EQ(uti->derived[0].column, "RNA");
  EXPECT_EQ(uti->derived[0].op, "<");
  EXPECT_EQ(uti->derived[0].value, 200);
  // RNAcens (0/1: below the detection limit) is a flag, not a grouping key: no cross by it.
  EXPECT_TRUE(uti->crosses.empty());
  ASSERT_TRUE(CleanCsv(*uti, Data("uti_vl.csv"), dir_ / "uti.csv", &report).ok());
  EXPECT_EQ(report.rows_written, 373u);
  EXPECT_EQ(report.hits.at("missing:RNA").count, 11u);
}

TEST_F(InferSchemaTest, EverySharedFileCleansWithNothingDropped) {
  if (!cipherstat::testing::SharedDataAvailable()) GTEST_SKIP() << "shared data not available";
  for (const char* name : {"actg175.csv", "actg193a_long.csv", "actg315_vl.csv", "actg320.csv",
                           "jm_aids_baseline.csv", "uti_vl.csv"}) {
    SCOPED_TRACE(name);
    Result<Schema> s = InferSchema(Data(name), InferOptions());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    Result<Schema> again = SchemaFromJson(SchemaToJson(*s));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    CleanReport report;
    ASSERT_TRUE(CleanCsv(*again, Data(name), dir_ / "clean.csv", &report).ok());
    EXPECT_EQ(report.rows_written, DataRows(Data(name)));
    EXPECT_EQ(report.rows_dropped, 0u) << report.ToJson();
    for (const auto& [rule, hits] : report.hits) {
      EXPECT_EQ(rule.rfind("missing:", 0), 0u) << rule << " in " << name;
    }
  }
}

}  // namespace
}  // namespace cipherstat
