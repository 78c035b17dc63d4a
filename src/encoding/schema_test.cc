#include "encoding/schema.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

Column Numeric(const std::string& name, double min, double max, int decimals = 0) {
  Column c;
  c.name = name;
  c.kind = ColumnKind::kNumeric;
  c.min = min;
  c.max = max;
  c.decimals = decimals;
  return c;
}

Column Categorical(const std::string& name, std::vector<std::string> levels) {
  Column c;
  c.name = name;
  c.kind = ColumnKind::kCategorical;
  c.levels = std::move(levels);
  return c;
}

Column Identifier(const std::string& name, bool unique = true) {
  Column c;
  c.name = name;
  c.kind = ColumnKind::kIdentifier;
  c.unique = unique;
  return c;
}

// Uses every feature of the format.
Schema FullSchema() {
  Schema s;
  s.name = "cohort";
  s.max_records = 50000;
  s.columns.push_back(Identifier("patient_id"));
  s.columns.push_back(Identifier("visit_code", /*unique=*/false));
  s.columns.push_back(Numeric("age", 18, 90));
  Column arm = Numeric("arm", 0, 3);
  arm.levels = {"0", "1", "2", "3"};
  s.columns.push_back(arm);
  Column sex = Categorical("sex", {"F", "M"});
  sex.on_invalid = OnInvalid::kDropRow;
  s.columns.push_back(sex);
  Column site = Categorical("site", {"Durban", "Kampala"});
  site.is_public = true;
  s.columns.push_back(site);
  Column cd4 = Numeric("cd4", 0, 2000);
  cd4.bins = {0, 200, 350, 500, INFINITY};
  s.columns.push_back(cd4);
  s.columns.push_back(Numeric("wtkg", 30.5, 150.25, 5));
  s.columns.push_back(Numeric("change", -3.5, 26.33333, 5));
  s.columns.push_back(Numeric("viral_load", 0, 10000000));
  s.derived.push_back({"viral_suppressed", "viral_load", "<", 200});
  s.derived.push_back({"heavy", "wtkg", ">=", 99.5});
  s.crosses.push_back({"arm", {"cd4", "viral_suppressed", "wtkg"}});
  s.crosses.push_back({"sex", {"age"}});
  s.missing_values = {"", "NA", "."};
  return s;
}

void ExpectSameSchema(const Schema& a, const Schema& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.max_records, b.max_records);
  EXPECT_EQ(a.missing_values, b.missing_values);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (size_t i = 0; i < a.columns.size(); ++i) {
    const Column& x = a.columns[i];
    const Column& y = b.columns[i];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.min, y.min);
    EXPECT_EQ(x.max, y.max);
    EXPECT_EQ(x.decimals, y.decimals);
    EXPECT_EQ(x.levels, y.levels);
    EXPECT_EQ(x.bins, y.bins);
    EXPECT_EQ(x.is_public, y.is_public);
    EXPECT_EQ(x.unique, y.unique);
    EXPECT_EQ(x.on_invalid, y.on_invalid);
  }
  ASSERT_EQ(a.derived.size(), b.derived.size());
  for (size_t i = 0; i < a.derived.size(); ++i) {
    EXPECT_EQ(a.derived[i].name, b.derived[i].name);
    EXPECT_EQ(a.derived[i].column, b.derived[i].column);
    EXPECT_EQ(a.derived[i].op, b.derived[i].op);
    EXPECT_EQ(a.derived[i].value, b.derived[i].value);
  }
  ASSERT_EQ(a.crosses.size(), b.crosses.size());
  for (size_t i = 0; i < a.crosses.size(); ++i) {
    EXPECT_EQ(a.crosses[i].by, b.crosses[i].by);
    EXPECT_EQ(a.crosses[i].over, b.crosses[i].over);
  }
}

void ExpectError(const Status& s, const std::vector<std::string>& substrings) {
  ASSERT_FALSE(s.ok()) << "expected an error mentioning " << substrings[0];
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  for (const std::string& sub : substrings) {
    EXPECT_NE(s.message().find(sub), std::string::npos)
        << "'" << sub << "' not in: " << s.message();
  }
}

Column& Col(Schema& s, const std::string& name) {
  for (Column& c : s.columns) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no column " + name);
}

TEST(SchemaTest, FullSchemaIsValid) {
  Status s = ValidateSchema(FullSchema());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(SchemaTest, JsonRoundTrip) {
  const Schema original = FullSchema();
  const std::string json = SchemaToJson(original);
  Result<Schema> parsed = SchemaFromJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << json;
  ExpectSameSchema(original, *parsed);
  // Stable: writing what was read gives the same bytes.
  EXPECT_EQ(SchemaToJson(*parsed), json);
}

TEST(SchemaTest, JsonIsReadableAndOmitsDefaults) {
  const std::string json = SchemaToJson(FullSchema());
  EXPECT_NE(json.find("\"format\": \"cipherstat-schema\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"version\": 1"), std::string::npos);
  EXPECT_NE(json.find("{\"name\": \"patient_id\", \"kind\": \"identifier\"}"), std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"name\": \"visit_code\", \"kind\": \"identifier\", \"unique\": false}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("{\"name\": \"age\", \"kind\": \"numeric\", \"min\": 18, \"max\": 90, "
                      "\"decimals\": 0}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"bins\": [0, 200, 350, 500, \"inf\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"min\": 30.5, \"max\": 150.25, \"decimals\": 5"), std::string::npos);
  EXPECT_NE(json.find("\"max\": 26.33333"), std::string::npos) << json;
  EXPECT_NE(json.find("\"public\": true"), std::string::npos);
  EXPECT_NE(json.find("\"on_invalid\": \"drop_row\""), std::string::npos);
  EXPECT_EQ(json.find("\"on_invalid\": \"missing\""), std::string::npos);
  EXPECT_EQ(json.find("\"public\": false"), std::string::npos);
  EXPECT_NE(json.find("\"missing_values\": [\"\", \"NA\", \".\"]"), std::string::npos);
}

TEST(SchemaTest, HandWrittenJsonWithDefaults) {
  Result<Schema> s = SchemaFromJson(R"({
    "format": "cipherstat-schema", "version": 1,
    "columns": [
      {"name": "id", "kind": "identifier"},
      {"name": "cd4", "kind": "numeric", "min": 0, "max": 2000, "bins": [0, 200, "inf"]},
      {"name": "sex", "kind": "categorical", "levels": ["F", "M"]}
    ]
  })");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "dataset");
  EXPECT_EQ(s->max_records, 1000000u);
  EXPECT_EQ(s->missing_values, (std::vector<std::string>{"", "NA"}));
  const Column* cd4 = s->FindColumn("cd4");
  ASSERT_NE(cd4, nullptr);
  EXPECT_EQ(cd4->decimals, 0);
  EXPECT_EQ(cd4->on_invalid, OnInvalid::kMissing);
  EXPECT_FALSE(cd4->is_public);
  ASSERT_EQ(cd4->bins.size(), 3u);
  EXPECT_TRUE(std::isinf(cd4->bins[2]));
  EXPECT_TRUE(s->FindColumn("id")->unique);
}

TEST(SchemaTest, Lookups) {
  const Schema s = FullSchema();
  EXPECT_NE(s.FindColumn("age"), nullptr);
  EXPECT_EQ(s.FindColumn("viral_suppressed"), nullptr);
  EXPECT_NE(s.FindDerived("viral_suppressed"), nullptr);
  EXPECT_EQ(s.FindDerived("age"), nullptr);
  EXPECT_TRUE(s.IsNumeric("age"));
  EXPECT_TRUE(s.IsNumeric("viral_suppressed"));
  EXPECT_FALSE(s.IsNumeric("sex"));
  EXPECT_FALSE(s.IsNumeric("nope"));
  EXPECT_TRUE(s.HasCross("arm", "viral_suppressed"));
  EXPECT_FALSE(s.HasCross("arm", "age"));
  EXPECT_FALSE(s.HasCross("sex", "cd4"));
}

struct BadSchema {
  const char* what;
  std::function<void(Schema&)> mutate;
  std::vector<std::string> message;
};

TEST(SchemaTest, EveryValidationErrorNamesColumnAndField) {
  const std::vector<BadSchema> cases = {
      {"empty name", [](Schema& s) { s.name = ""; }, {"\"name\""}},
      {"zero max_records", [](Schema& s) { s.max_records = 0; }, {"max_records"}},
      {"no columns", [](Schema& s) { s.columns.clear(); }, {"columns"}},
      {"duplicate column",
       [](Schema& s) { Col(s, "wtkg").name = "age"; },
       {"column 'age'", "twice"}},
      {"empty column name", [](Schema& s) { Col(s, "age").name = ""; }, {"empty name"}},
      {"control char in name",
       [](Schema& s) { Col(s, "age").name = "a\tge"; },
       {"column 'a\tge'", "control"}},
      {"min > max",
       [](Schema& s) {
         Col(s, "age").min = 90;
         Col(s, "age").max = 18;
       },
       {"column 'age'", "\"min\"", "\"max\""}},
      {"decimals too large",
       [](Schema& s) { Col(s, "wtkg").decimals = 16; },
       {"column 'wtkg'", "\"decimals\"", "15"}},
      {"negative decimals",
       [](Schema& s) { Col(s, "age").decimals = -1; },
       {"column 'age'", "\"decimals\""}},
      {"range beyond 2^53",
       [](Schema& s) { Col(s, "viral_load").max = 1e16; },
       {"column 'viral_load'", "\"max\"", "2^53"}},
      {"range beyond 2^53 via decimals",
       [](Schema& s) { Col(s, "wtkg").decimals = 14; },
       {"column 'wtkg'", "\"max\"", "2^53"}},
      {"min finer than decimals",
       [](Schema& s) { Col(s, "age").min = 18.5; },
       {"column 'age'", "\"min\"", "decimals"}},
      {"max finer than decimals",
       [](Schema& s) { Col(s, "wtkg").decimals = 1; },
       {"column 'wtkg'", "\"max\"", "150.25"}},
      {"NaN min", [](Schema& s) { Col(s, "age").min = NAN; }, {"column 'age'", "\"min\""}},
      {"infinite max",
       [](Schema& s) { Col(s, "age").max = INFINITY; },
       {"column 'age'", "\"max\""}},
      {"duplicate level",
       [](Schema& s) {
         Col(s, "sex").levels = {"F", "F"};
       },
       {"column 'sex'", "\"levels\"", "twice"}},
      {"level that is a missing value",
       [](Schema& s) {
         Col(s, "sex").levels = {"F", "NA"};
       },
       {"column 'sex'", "\"levels\"", "missing"}},
      {"numeric level not in normal form",
       [](Schema& s) {
         Col(s, "arm").levels = {"0", "1.0"};
       },
       {"column 'arm'", "\"levels\"", "'1'"}},
      {"numeric level out of range",
       [](Schema& s) {
         Col(s, "arm").levels = {"0", "7"};
       },
       {"column 'arm'", "\"levels\"", "'7'"}},
      {"numeric level not a number",
       [](Schema& s) { Col(s, "arm").levels = {"zero"}; },
       {"column 'arm'", "\"levels\"", "zero"}},
      {"categorical without levels",
       [](Schema& s) { Col(s, "sex").levels.clear(); },
       {"column 'sex'", "\"levels\""}},
      {"bins on categorical",
       [](Schema& s) {
         Col(s, "sex").bins = {0, 1};
       },
       {"column 'sex'", "\"bins\""}},
      {"bins not increasing",
       [](Schema& s) {
         Col(s, "cd4").bins = {0, 350, 200};
       },
       {"column 'cd4'", "\"bins\"", "increase"}},
      {"inf not last",
       [](Schema& s) {
         Col(s, "cd4").bins = {0, INFINITY, 500};
       },
       {"column 'cd4'", "\"bins\"", "last"}},
      {"single edge",
       [](Schema& s) { Col(s, "cd4").bins = {0}; },
       {"column 'cd4'", "\"bins\"", "two"}},
      {"public identifier",
       [](Schema& s) { Col(s, "patient_id").is_public = true; },
       {"column 'patient_id'", "\"public\""}},
      {"identifier with levels",
       [](Schema& s) { Col(s, "patient_id").levels = {"a"}; },
       {"column 'patient_id'", "\"levels\""}},
      {"public numeric-only",
       [](Schema& s) { Col(s, "age").is_public = true; },
       {"column 'age'", "\"public\"", "levels"}},
      {"public level with a tab",
       [](Schema& s) {
         Col(s, "site").levels = {"Durban", "Kam\tpala"};
       },
       {"column 'site'", "\"levels\"", "tab"}},
      {"public column with bins",
       [](Schema& s) {
         Col(s, "arm").is_public = true;
         Col(s, "arm").bins = {0, 1, 2};
         s.crosses.erase(s.crosses.begin());
       },
       {"column 'arm'", "\"bins\""}},
      {"unique on a non-identifier",
       [](Schema& s) { Col(s, "age").unique = false; },
       {"column 'age'", "\"unique\""}},
      {"derived on unknown column",
       [](Schema& s) { s.derived[0].column = "vl"; },
       {"derived 'viral_suppressed'", "\"column\"", "'vl'"}},
      {"derived on categorical",
       [](Schema& s) { s.derived[0].column = "sex"; },
       {"derived 'viral_suppressed'", "\"column\"", "numeric"}},
      {"derived on public column",
       [](Schema& s) {
         Col(s, "arm").is_public = true;
         s.crosses.erase(s.crosses.begin());
         s.derived[0].column = "arm";
       },
       {"derived 'viral_suppressed'", "\"column\"", "private"}},
      {"derived bad op",
       [](Schema& s) { s.derived[0].op = "=<"; },
       {"derived 'viral_suppressed'", "\"op\"", "=<"}},
      {"derived name clash",
       [](Schema& s) { s.derived[0].name = "cd4"; },
       {"derived 'cd4'", "\"name\""}},
      {"derived empty name", [](Schema& s) { s.derived[0].name = ""; }, {"derived", "name"}},
      {"derived NaN value",
       [](Schema& s) { s.derived[0].value = NAN; },
       {"derived 'viral_suppressed'", "\"value\""}},
      {"cross by unknown",
       [](Schema& s) { s.crosses[0].by = "nope"; },
       {"cross by 'nope'", "\"by\""}},
      {"cross by ungroupable",
       [](Schema& s) { s.crosses[0].by = "age"; },
       {"cross by 'age'", "\"by\"", "levels"}},
      {"cross by public",
       [](Schema& s) { s.crosses[0].by = "site"; },
       {"cross by 'site'", "\"by\"", "public"}},
      {"cross over categorical",
       [](Schema& s) { s.crosses[0].over.push_back("sex"); },
       {"cross by 'arm'", "\"over\"", "'sex'"}},
      {"cross over identifier",
       [](Schema& s) { s.crosses[0].over.push_back("patient_id"); },
       {"cross by 'arm'", "\"over\"", "'patient_id'"}},
      {"cross over unknown",
       [](Schema& s) { s.crosses[0].over.push_back("cd8"); },
       {"cross by 'arm'", "\"over\"", "'cd8'"}},
      {"cross over twice",
       [](Schema& s) { s.crosses[0].over.push_back("cd4"); },
       {"cross by 'arm'", "\"over\"", "twice"}},
      {"cross over empty",
       [](Schema& s) { s.crosses[0].over.clear(); },
       {"cross by 'arm'", "\"over\"", "empty"}},
      {"missing values without the empty field",
       [](Schema& s) { s.missing_values = {"NA"}; },
       {"\"missing_values\"", "empty"}},
      {"cross declared twice",
       [](Schema& s) { s.crosses[1].by = "arm"; },
       {"cross by 'arm'", "twice"}},
  };
  for (const BadSchema& c : cases) {
    SCOPED_TRACE(c.what);
    Schema s = FullSchema();
    c.mutate(s);
    ExpectError(ValidateSchema(s), c.message);
  }
}

// A valid document with one column; `column` is spliced in as that column.
std::string WithColumn(const std::string& column) {
  return R"({"format": "cipherstat-schema", "version": 1, "columns": [)" + column + "]}";
}

TEST(SchemaTest, JsonErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"not json", {"not valid JSON"}},
      {"[1, 2]", {"object"}},
      {R"({"format": "other", "version": 1, "columns": []})", {"\"format\"", "other"}},
      {R"({"version": 1, "columns": []})", {"\"format\"", "required"}},
      {R"({"format": "cipherstat-schema", "version": 2, "columns": []})", {"\"version\"", "2"}},
      {R"({"format": "cipherstat-schema", "version": 1, "colums": []})", {"colums"}},
      {R"({"format": "cipherstat-schema", "version": 1, "columns": {}})", {"\"columns\"", "array"}},
      {R"({"format": "cipherstat-schema", "version": 1, "max_records": -5, "columns": []})",
       {"\"max_records\""}},
      {R"({"format": "cipherstat-schema", "version": 1, "max_records": 1.5, "columns": []})",
       {"\"max_records\"", "integer"}},
      {R"({"format": "cipherstat-schema", "version": 1, "name": 7, "columns": []})",
       {"\"name\"", "string"}},
      {WithColumn(R"({"kind": "numeric"})"), {"columns[0]", "\"name\""}},
      {WithColumn(R"({"name": "age", "kind": "numeric", "min": 0, "max": 9, "decimal": 1})"),
       {"column 'age'", "\"decimal\""}},
      {WithColumn(R"({"name": "age", "kind": "text"})"), {"column 'age'", "\"kind\"", "text"}},
      {WithColumn(R"({"name": "age"})"), {"column 'age'", "\"kind\"", "required"}},
      {WithColumn(R"({"name": "age", "kind": "numeric", "max": 9})"),
       {"column 'age'", "\"min\"", "required"}},
      {WithColumn(R"({"name": "age", "kind": "numeric", "min": "0", "max": 9})"),
       {"column 'age'", "\"min\"", "number"}},
      {WithColumn(R"({"name": "age", "kind": "numeric", "min": 0, "max": 9, "decimals": 2.5})"),
       {"column 'age'", "\"decimals\""}},
      {WithColumn(R"({"name": "age", "kind": "numeric", "min": 0, "max": 9, "decimals": 99})"),
       {"column 'age'", "\"decimals\""}},
      {WithColumn(R"({"name": "cd4", "kind": "numeric", "min": 0, "max": 9, "bins": [0, "big"]})"),
       {"column 'cd4'", "\"bins\""}},
      {WithColumn(R"({"name": "sex", "kind": "categorical", "levels": "F"})"),
       {"column 'sex'", "\"levels\""}},
      {WithColumn(R"({"name": "sex", "kind": "categorical", "levels": ["F", 1]})"),
       {"column 'sex'", "\"levels\""}},
      {WithColumn(R"({"name": "sex", "kind": "categorical", "levels": ["F"], "public": "yes"})"),
       {"column 'sex'", "\"public\""}},
      {WithColumn(
           R"({"name": "sex", "kind": "categorical", "levels": ["F"], "on_invalid": "skip"})"),
       {"column 'sex'", "\"on_invalid\"", "skip"}},
      {WithColumn(R"({"name": "sex", "kind": "categorical", "levels": ["F"], "min": 0})"),
       {"column 'sex'", "\"min\"", "numeric"}},
      {WithColumn(R"({"name": "id", "kind": "identifier", "unique": 0})"),
       {"column 'id'", "\"unique\""}},
      {WithColumn(R"("age")"), {"columns[0]", "object"}},
      {R"({"format": "cipherstat-schema", "version": 1,
           "columns": [{"name": "vl", "kind": "numeric", "min": 0, "max": 9}],
           "derived": [{"name": "low", "column": "vl", "value": 1}]})",
       {"derived 'low'", "\"op\""}},
      {R"({"format": "cipherstat-schema", "version": 1,
           "columns": [{"name": "vl", "kind": "numeric", "min": 0, "max": 9}],
           "derived": [{"name": "low", "column": "vl", "op": "<", "value": "1"}]})",
       {"derived 'low'", "\"value\"", "number"}},
      {R"({"format": "cipherstat-schema", "version": 1,
           "columns": [{"name": "g", "kind": "categorical", "levels": ["a"]}],
           "crosses": [{"by": "g"}]})",
       {"cross by 'g'", "\"over\""}},
      {R"({"format": "cipherstat-schema", "version": 1,
           "columns": [{"name": "g", "kind": "categorical", "levels": ["a"]}],
           "crosses": [{"by": "g", "over": [], "under": []}]})",
       {"cross by 'g'", "\"under\""}},
      {R"({"format": "cipherstat-schema", "version": 1,
           "columns": [{"name": "g", "kind": "categorical", "levels": ["a"]}],
           "missing_values": [""], "crosses": "g"})",
       {"\"crosses\"", "array"}},
      // Validation runs on what was read.
      {WithColumn(R"({"name": "age", "kind": "numeric", "min": 9, "max": 0})"),
       {"column 'age'", "\"min\""}},
  };
  for (const auto& [json, message] : cases) {
    SCOPED_TRACE(json);
    Result<Schema> s = SchemaFromJson(json);
    ExpectError(s.status(), message);
  }
}

TEST(SchemaTest, ReadSchemaFile) {
  cipherstat::testing::ScratchDir dir;
  const std::string path = dir / "schema.json";
  ASSERT_TRUE(WriteFileAtomic(path, SchemaToJson(FullSchema())).ok());
  Result<Schema> s = ReadSchemaFile(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectSameSchema(FullSchema(), *s);

  Result<Schema> absent = ReadSchemaFile(dir / "absent.json");
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.status().message().find("absent.json"), std::string::npos);

  const std::string bad = dir / "bad.json";
  ASSERT_TRUE(WriteFileAtomic(bad, WithColumn(R"({"name": "age", "kind": "text"})")).ok());
  Result<Schema> invalid = ReadSchemaFile(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().message().rfind(bad, 0), 0u) << invalid.status().message();
  EXPECT_NE(invalid.status().message().find("column 'age'"), std::string::npos);
}

}  // namespace
}  // namespace cipherstat
