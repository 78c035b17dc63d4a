// ISO dates (issue 15, item 5): inference recognizes them, clean keeps them and computes each
// date's year and the days between dates, and every mistake has its own message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "data/clean.h"
#include "encoding/layout.h"
#include "sqlite_oracle.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ScratchDir;

class DatesTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const std::string path = dir_ / "cohort.csv";
    testing::WriteText(path, text);
    return path;
  }
  Result<Schema> Infer(const std::string& csv, InferNotes* notes = nullptr) {
    return InferSchema(Write(csv), InferOptions(), nullptr, notes);
  }
  Status Clean(const Schema& schema, const std::string& csv, CleanReport* report) {
    return CleanCsv(schema, Write(csv), dir_ / "clean.csv", report);
  }
  // Read by the test's own CSV parser, not the one under test.
  std::vector<std::vector<std::string>> CleanRows() {
    std::vector<std::vector<std::string>> rows;
    std::string error;
    EXPECT_TRUE(testing::ReadCsvFile(dir_ / "clean.csv", &rows, &error)) << error;
    return rows;
  }
  ScratchDir dir_;
};

// R's write.csv of a cohort with an enrolment date, a last visit (three unreadable entries)
// and a death date for one patient in four.
std::string RCohort(int n) {
  std::string csv = "\"\",\"patient\",\"enrolled\",\"last_visit\",\"died\",\"cd4\"\n";
  for (int i = 0; i < n; ++i) {
    const int month = 1 + i % 12, day = 1 + i % 28;
    char enrolled[16], last[16], died[16];
    std::snprintf(enrolled, sizeof enrolled, "%04d-%02d-%02d", 2003 + i % 9, month, day);
    std::snprintf(last, sizeof last, "%04d-%02d-%02d", 2012 + i % 5, month, day);
    std::snprintf(died, sizeof died, "%04d-%02d-%02d", 2013 + i % 4, month, day);
    const std::string last_text = i % 40 == 7 ? "\"unknown\"" : "\"" + std::string(last) + "\"";
    const std::string died_text = i % 4 == 0 ? "\"" + std::string(died) + "\"" : "NA";
    csv += "\"" + std::to_string(i + 1) + "\",\"P" + std::to_string(1000 + i) + "\",\"" + enrolled +
           "\"," + last_text + "," + died_text + "," + std::to_string(100 + i) + "\n";
  }
  return csv;
}

TEST_F(DatesTest, InferenceFindsDatesAndAddsTheirYearsAndFollowUpTimes) {
  InferNotes notes;
  auto schema = Infer(RCohort(120), &notes);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const Column* enrolled = schema->FindColumn("enrolled");
  ASSERT_NE(enrolled, nullptr);
  EXPECT_EQ(enrolled->kind, ColumnKind::kDate);
  // 2003-01-01 .. 2011-12-28: the whole years 2003 to 2011.
  EXPECT_EQ(enrolled->min, 12053);  // 2003-01-01
  EXPECT_EQ(enrolled->max, 15339);  // 2011-12-31
  EXPECT_EQ(schema->FindColumn("last_visit")->kind, ColumnKind::kDate);
  EXPECT_EQ(schema->FindColumn("died")->kind, ColumnKind::kDate);
  EXPECT_EQ(notes.why["last_visit"],
            "ISO dates (YYYY-MM-DD); 3 other values read as missing (unknown x3)");
  EXPECT_NE(std::find(schema->missing_values.begin(), schema->missing_values.end(), "unknown"),
            schema->missing_values.end());

  const Column* year = schema->FindColumn("enrolled_year");
  ASSERT_NE(year, nullptr);
  EXPECT_EQ(year->year_of, "enrolled");
  EXPECT_EQ(year->levels, (std::vector<std::string>{"2003", "2004", "2005", "2006", "2007", "2008",
                                                    "2009", "2010", "2011"}));
  EXPECT_EQ(notes.why["enrolled_year"], "computed: the year of enrolled, 9 years: groupable");
  const Column* follow_up = schema->FindColumn("days_enrolled_to_last_visit");
  ASSERT_NE(follow_up, nullptr);
  EXPECT_EQ(follow_up->days_from, "enrolled");
  EXPECT_EQ(follow_up->days_to, "last_visit");
  EXPECT_EQ(follow_up->decimals, 0);
  // Follow-up spans 1 to 13 years: up to ~4750 days, on the grid of 1000.
  EXPECT_EQ(follow_up->min, 0);
  EXPECT_EQ(follow_up->max, 5000);
  ASSERT_NE(schema->FindColumn("days_enrolled_to_died"), nullptr);
  EXPECT_EQ(schema->FindColumn("days_last_visit_to_died"), nullptr);  // from the first date only

  // A year is crossed with the follow-up times alone; nothing is crossed with a year.
  ASSERT_TRUE(schema->HasCross("enrolled_year", "days_enrolled_to_last_visit"));
  EXPECT_FALSE(schema->HasCross("enrolled_year", "cd4"));
  for (const Cross& cross : schema->crosses) {
    for (const std::string& over : cross.over) {
      EXPECT_EQ(schema->FindColumn(over)->year_of, "") << cross.by << " over " << over;
    }
  }
  const std::string review = DescribeInferredSchema(*schema, {}, &notes);
  EXPECT_NE(review.find("[2003-01-01, 2011-12-31]"), std::string::npos) << review;

  // The schema round-trips, and clean keeps every row.
  auto again = SchemaFromJson(SchemaToJson(*schema));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  CleanReport report;
  ASSERT_TRUE(Clean(*again, RCohort(120), &report).ok());
  EXPECT_EQ(report.rows_written, 120u);
  EXPECT_EQ(report.hits["missing:last_visit"].count, 3u);
  EXPECT_EQ(report.hits["missing:days_enrolled_to_last_visit"].count, 3u);
  EXPECT_EQ(report.hits["missing:died"].count, 90u);
  EXPECT_EQ(report.missing_tokens["last_visit"]["unknown"], 3u);
}

Schema DatedSchema() {
  auto schema = SchemaFromJson(R"({
    "format": "cipherstat-schema", "version": 1, "name": "cohort",
    "columns": [
      {"name": "enrolled", "kind": "date", "min": "1999-01-01", "max": "2020-12-31"},
      {"name": "died", "kind": "date", "min": "1999-01-01", "max": "2021-12-31"},
      {"name": "year", "kind": "numeric", "year_of": "enrolled", "min": 1999, "max": 2020,
       "decimals": 0},
      {"name": "survival", "kind": "numeric", "days_between": ["enrolled", "died"],
       "min": -10, "max": 1000, "decimals": 0}
    ]})");
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : Schema();
}

// Expected values worked out by hand: 2020 is a leap year, 2019 is not.
TEST_F(DatesTest, CleanComputesYearsAndDaysBetweenDates) {
  CleanReport report;
  ASSERT_TRUE(Clean(DatedSchema(),
                    "enrolled,died\n"
                    "2020-02-28,2020-03-01\n"
                    "2019-02-28,2019-03-01\n"
                    "1999-12-31,2000-01-01\n"
                    " 2010-06-15 ,NA\n"
                    "2010-06-15,2010-06-10\n",
                    &report)
                  .ok());
  const std::vector<std::vector<std::string>> want = {
      {"enrolled", "died", "year", "survival"},
      {"2020-02-28", "2020-03-01", "2020", "2"},
      {"2019-02-28", "2019-03-01", "2019", "1"},
      {"1999-12-31", "2000-01-01", "1999", "1"},
      {"2010-06-15", "", "2010", ""},
      {"2010-06-15", "2010-06-10", "2010", "-5"},
  };
  EXPECT_EQ(CleanRows(), want);
  EXPECT_EQ(report.hits["missing:survival"].count, 1u);
  EXPECT_EQ(report.hits["missing:survival"].lines, std::vector<uint64_t>{5});
}

TEST_F(DatesTest, AnImpossibleOrOutOfRangeDateIsMissingAndCounted) {
  CleanReport report;
  ASSERT_TRUE(Clean(DatedSchema(),
                    "enrolled,died\n"
                    "2019-02-29,2019-03-01\n"   // no such day
                    "03/04/2019,2019-03-05\n"   // not ISO
                    "1998-12-31,2000-01-01\n"   // before "min"
                    "2000-01-01,2003-01-01\n",  // 1096 days: beyond survival's "max"
                    &report)
                  .ok());
  EXPECT_EQ(report.rows_written, 4u);
  EXPECT_EQ(report.hits["not_a_date:enrolled"].count, 2u);
  EXPECT_EQ(report.hits["out_of_range:enrolled"].count, 1u);
  EXPECT_EQ(report.hits["out_of_range:survival"].count, 1u);
  EXPECT_EQ(report.hits["missing:year"].count, 3u);
  const auto rows = CleanRows();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"", "2019-03-01", "", ""}));
  EXPECT_EQ(rows[4], (std::vector<std::string>{"2000-01-01", "2003-01-01", "2000", ""}));

  Schema strict = DatedSchema();
  strict.columns[0].on_invalid = OnInvalid::kDropRow;
  ASSERT_TRUE(Clean(strict, "enrolled,died\n2019-02-29,\n2019-02-28,\n", &report).ok());
  EXPECT_EQ(report.rows_written, 1u);
  EXPECT_EQ(report.dropped_by["not_a_date:enrolled"], 1u);
}

TEST_F(DatesTest, AComputedColumnInTheFileIsRefused) {
  CleanReport report;
  const Status s =
      Clean(DatedSchema(), "enrolled,died,survival\n2019-02-28,2019-03-01,1\n", &report);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), dir_ / "cohort.csv" +
                             ": column 'survival' is computed by the schema (from enrolled and "
                             "died), so the file must not have it; rename it in the file or the "
                             "schema. Nothing written");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "clean.csv"));
}

TEST_F(DatesTest, EncryptingAFileWithoutTheComputedColumnsSaysToCleanFirst) {
  const Schema schema = DatedSchema();
  auto layout = Layout::Build(schema, 2046);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  auto encoder = RecordEncoder::Create(schema, *layout, {"enrolled", "died"});
  ASSERT_FALSE(encoder.ok());
  EXPECT_EQ(encoder.status().message(),
            "CSV header lacks schema column 'year' (computed by clean: encrypt the clean CSV)");
}

TEST_F(DatesTest, MostlyDatesIsADateColumnAndLessIsText) {
  // 96 dates and 4 "pending": dates, with "pending" a missing value. 94 and 6: not dates (the
  // 95% rule for numbers), so free text with too many values: excluded.
  for (const auto& [dates, kind] : {std::pair<int, ColumnKind>{96, ColumnKind::kDate},
                                    std::pair<int, ColumnKind>{94, ColumnKind::kExcluded}}) {
    std::string csv = "visit\n";
    for (int i = 0; i < 100; ++i) {
      char text[16];
      std::snprintf(text, sizeof text, "2015-%02d-%02d", 1 + i % 12, 1 + i % 28);
      csv += (i < dates ? std::string(text) : "pending") + "\n";
    }
    auto schema = Infer(csv);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    EXPECT_EQ(schema->FindColumn("visit")->kind, kind) << dates;
  }
}

TEST_F(DatesTest, MoreThanThirtyYearsGetNoYearLevels) {
  std::string csv = "born\n";
  for (int y = 1940; y <= 1990; ++y) csv += std::to_string(y) + "-06-01\n";
  InferNotes notes;
  auto schema = Infer(csv, &notes);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const Column* year = schema->FindColumn("born_year");
  ASSERT_NE(year, nullptr);
  EXPECT_TRUE(year->levels.empty());
  EXPECT_EQ(year->min, 1940);
  EXPECT_EQ(year->max, 1990);
  EXPECT_EQ(notes.why["born_year"],
            "computed: the year of born, 51 years, more than 30: not groupable");
  EXPECT_TRUE(schema->crosses.empty());
}

TEST_F(DatesTest, AFileThatHasTheComputedNameKeepsItsOwnColumn) {
  auto schema = Infer("enrolled,enrolled_year\n2015-01-01,1999\n2016-01-01,1999\n");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->FindColumn("enrolled_year")->year_of, "");
  EXPECT_EQ(schema->columns.size(), 2u);
}

TEST_F(DatesTest, ADeclaredRangeOnADateColumnIsRefused) {
  InferOptions options;
  ASSERT_TRUE(AddDeclaredRange("enrolled=0:1", &options).ok());
  auto schema = InferSchema(Write("enrolled\n2015-01-01\n"), options);
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().message(),
            "--range enrolled: column 'enrolled' holds dates; its bounds are the whole years of "
            "its dates (edit \"min\" and \"max\" in the schema)");
}

}  // namespace
}  // namespace cipherstat
