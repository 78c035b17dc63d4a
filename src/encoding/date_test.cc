// Dates: the day-number codec, and date and computed columns in the schema.
#include "encoding/date.h"

#include <gtest/gtest.h>

#include <string>

#include "encoding/catalog.h"
#include "encoding/schema.h"

namespace cipherstat {
namespace {

TEST(Date, DayNumbersCountFromTheUnixEpoch) {
  const std::pair<const char*, int64_t> cases[] = {
      {"1970-01-01", 0},         {"1969-12-31", -1},       {"1970-03-01", 59},
      {"2000-02-29", 11016},     {"2000-03-01", 11017},    {"2024-12-31", 20088},
      {"0001-01-01", kFirstDay}, {"9999-12-31", kLastDay}, {"1900-03-01", -25508},
  };
  for (const auto& [text, day] : cases) {
    int64_t parsed = 7;
    ASSERT_TRUE(ParseIsoDate(text, &parsed)) << text;
    EXPECT_EQ(parsed, day) << text;
    EXPECT_EQ(FormatIsoDate(day), text);
  }
}

TEST(Date, EveryDayRoundTripsAndYearsAreExact) {
  for (int64_t day = YearBoundary(1899, true); day <= YearBoundary(2101, false); ++day) {
    int64_t back = 0;
    const std::string text = FormatIsoDate(day);
    ASSERT_TRUE(ParseIsoDate(text, &back)) << text;
    ASSERT_EQ(back, day) << text;
    ASSERT_EQ(YearOfDay(day), std::stoi(text.substr(0, 4))) << text;
  }
  EXPECT_EQ(YearBoundary(2024, false) - YearBoundary(2024, true), 365);  // a leap year
  EXPECT_EQ(YearBoundary(2023, false) - YearBoundary(2023, true), 364);
  EXPECT_EQ(YearBoundary(1970, true), 0);
}

TEST(Date, OnlyRealCalendarDatesWrittenYyyyMmDdParse) {
  for (const char* bad :
       {"2023-02-29", "1900-02-29", "2023-04-31", "2023-13-01", "2023-00-10", "2023-01-00",
        "0000-01-01", "2023-1-01", "2023-01-1", " 2023-01-01", "2023-01-01 ", "2023/01/01",
        "20230101", "2023-01-01T00:00", "01/02/2023", "2023-01-0a", "+023-01-01", "", "NA"}) {
    int64_t day = 42;
    EXPECT_FALSE(ParseIsoDate(bad, &day)) << bad;
    EXPECT_EQ(day, 42) << bad;
  }
  int64_t day = 0;
  EXPECT_TRUE(ParseIsoDate("2024-02-29", &day));
  EXPECT_TRUE(ParseIsoDate("2000-02-29", &day));
}

constexpr const char* kDatedSchema = R"({
  "format": "cipherstat-schema", "version": 1, "name": "cohort",
  "columns": [
    {"name": "id", "kind": "identifier"},
    {"name": "enrolled", "kind": "date", "min": "2001-01-01", "max": "2024-12-31"},
    {"name": "died", "kind": "date", "min": "2001-01-01", "max": "2025-12-31",
     "on_invalid": "missing"},
    {"name": "arm", "kind": "numeric", "min": 0, "max": 1, "decimals": 0, "levels": ["0", "1"]},
    {"name": "enrolled_year", "kind": "numeric", "year_of": "enrolled", "min": 2001,
     "max": 2024, "decimals": 0, "levels": ["2001", "2002"]},
    {"name": "survival", "kind": "numeric", "days_between": ["enrolled", "died"], "min": 0,
     "max": 9000, "decimals": 0}
  ],
  "crosses": [{"by": "arm", "over": ["enrolled", "survival"]}]
})";

TEST(DateSchema, DatesAreReadAndWrittenAsDatesAndStoredAsDayNumbers) {
  auto schema = SchemaFromJson(kDatedSchema);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const Column* enrolled = schema->FindColumn("enrolled");
  ASSERT_NE(enrolled, nullptr);
  EXPECT_TRUE(enrolled->date());
  EXPECT_TRUE(enrolled->numeric());
  EXPECT_EQ(enrolled->min, 11323);  // 2001-01-01
  EXPECT_EQ(enrolled->max, 20088);  // 2024-12-31
  EXPECT_EQ(schema->FindColumn("enrolled_year")->year_of, "enrolled");
  EXPECT_EQ(schema->FindColumn("survival")->days_from, "enrolled");
  EXPECT_EQ(schema->FindColumn("survival")->days_to, "died");
  EXPECT_TRUE(schema->FindColumn("survival")->computed());
  EXPECT_FALSE(enrolled->computed());

  const std::string json = SchemaToJson(*schema);
  EXPECT_NE(json.find(R"({"name": "enrolled", "kind": "date", "min": "2001-01-01", )"
                      R"("max": "2024-12-31"})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("days_between": ["enrolled", "died"])"), std::string::npos) << json;
  auto again = SchemaFromJson(json);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(SchemaToJson(*again), json);
}

TEST(DateSchema, TheCatalogCallsADateNumeric) {
  auto schema = SchemaFromJson(kDatedSchema);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const Catalog catalog = CatalogOf(*schema);
  for (const char* name : {"enrolled", "died", "enrolled_year", "survival"}) {
    ASSERT_NE(catalog.FindColumn(name), nullptr) << name;
    EXPECT_EQ(catalog.FindColumn(name)->kind, ColumnKind::kNumeric) << name;
  }
  const std::string json = CatalogToJson(catalog);
  EXPECT_EQ(json.find("date"), std::string::npos) << json;
  EXPECT_EQ(json.find("year_of"), std::string::npos) << json;
  EXPECT_EQ(json.find("days_between"), std::string::npos) << json;
  EXPECT_EQ(json.find("2001"), std::string::npos) << json;
}

// Replaces `from` (which must occur) in the dated schema.
std::string Edited(const std::string& from, const std::string& to) {
  std::string json = kDatedSchema;
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? json : json.replace(at, from.size(), to);
}

TEST(DateSchema, EachMistakeGetsItsOwnMessage) {
  const std::pair<std::string, std::string> cases[] = {
      {Edited(R"("min": "2001-01-01", "max": "2024-12-31")",
              R"("min": "2001-02-30", "max": "2024-12-31")"),
       "schema: column 'enrolled': field \"min\" must be a date written YYYY-MM-DD, got "
       "\"2001-02-30\""},
      {Edited(R"("min": "2001-01-01", "max": "2024-12-31")", R"("min": 0, "max": "2024-12-31")"),
       "schema: column 'enrolled': field \"min\" must be a string"},
      {Edited(R"("min": "2001-01-01", "max": "2024-12-31")",
              R"("min": "2024-01-01", "max": "2001-12-31")"),
       "schema: column 'enrolled' \"min\": 2024-01-01 is later than \"max\" 2001-12-31"},
      {Edited(R"("max": "2024-12-31"},)", R"("max": "2024-12-31", "decimals": 0},)"),
       "schema: column 'enrolled': field \"decimals\": a date has none"},
      {Edited(R"("max": "2024-12-31"},)", R"("max": "2024-12-31", "levels": ["2001-01-01"]},)"),
       "schema: column 'enrolled' \"levels\": dates have no levels; group by a \"year_of\" "
       "column"},
      {Edited(R"("max": "2024-12-31"},)", R"("max": "2024-12-31", "bins": [0, "inf"]},)"),
       "schema: column 'enrolled' \"bins\": dates have no bins; group by a \"year_of\" column"},
      {Edited(R"("max": "2024-12-31"},)", R"("max": "2024-12-31", "public": true},)"),
       "schema: column 'enrolled' \"public\": a date stays private; make a \"year_of\" column "
       "public to group by year"},
      {Edited(R"("max": "2024-12-31"},)", R"("max": "2024-12-31", "censored": "limit"},)"),
       "schema: column 'enrolled' \"censored\": applies to numeric columns only"},
      {Edited(R"("year_of": "enrolled")", R"("year_of": "arm")"),
       "schema: column 'enrolled_year' \"year_of\": 'arm' is not a date column"},
      {Edited(R"("year_of": "enrolled")", R"("year_of": "")"),
       "schema: column 'enrolled_year': field \"year_of\" must name a date column"},
      {Edited(R"(["enrolled", "died"])", R"(["enrolled"])"),
       "schema: column 'survival': field \"days_between\" must name two date columns, [FROM, "
       "TO]"},
      {Edited(R"(["enrolled", "died"])", R"(["enrolled", "nowhere"])"),
       "schema: column 'survival' \"days_between\": 'nowhere' is not a date column"},
      {Edited(R"("max": 9000, "decimals": 0})", R"("max": 9000, "decimals": 1})"),
       "schema: column 'survival' \"decimals\": must be 0: a computed column is a whole number"},
      {Edited(R"("year_of": "enrolled")",
              R"("year_of": "enrolled", "days_between": ["enrolled", "died"])"),
       "schema: column 'enrolled_year': \"year_of\" and \"days_between\" exclude each other"},
      {Edited(R"({"name": "id", "kind": "identifier"})",
              R"({"name": "id", "kind": "identifier", "year_of": "enrolled"})"),
       "schema: column 'id': field \"year_of\" applies to numeric columns only"},
      {Edited(R"("crosses": [)",
              R"("derived": [{"name": "early", "column": "enrolled", "op": "<", "value": 12000}],
                 "crosses": [)"),
       "schema: derived 'early' \"column\": 'enrolled' must be a private numeric column, not a "
       "date"},
  };
  for (const auto& [json, message] : cases) {
    auto schema = SchemaFromJson(json);
    ASSERT_FALSE(schema.ok()) << message;
    EXPECT_EQ(schema.status().message(), message);
  }
}

}  // namespace
}  // namespace cipherstat
