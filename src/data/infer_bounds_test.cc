// Inferred bounds are not the data's extremes (issue 14): InferSchema rounds each numeric
// column's bounds outward to a coarse decimal grid (the rule is in data/clean.h), or takes the
// owner's declared range, and `schema` prints what it inferred without an observed value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "child_process.h"
#include "data/clean.h"
#include "data/csv.h"
#include "encoding/fixed_point.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using testing::ScratchDir;

constexpr int64_t kLimit = 1000000000000000;  // 10^15: inferred values stay below it

int64_t Fixed(const std::string& text, int decimals) {
  Result<int64_t> v = ParseFixedPoint(text, decimals);
  EXPECT_TRUE(v.ok()) << text << " at " << decimals << ": " << v.status().ToString();
  return v.ok() ? *v : 0;
}

int64_t Fixed(double value, int decimals) { return Fixed(FormatDouble(value), decimals); }

// Checks what the grid rule promises for one column, given every value observed in it: the
// data lies within the bounds, a non-negative column starts at 0, the step is the unit of the
// largest magnitude's leading digit, and each bound is the nearest grid value outside the data
// (so it equals an observed extreme only when that extreme is on the grid) — or, where that
// would pass 10^15, the largest 10^15 - 10^k that holds the data.
void ExpectGridRule(const Column& c, const InferredBounds& origin,
                    const std::vector<std::string>& values) {
  SCOPED_TRACE(c.name);
  ASSERT_TRUE(c.numeric());
  ASSERT_EQ(origin.source, InferredBounds::Source::kGrid);
  ASSERT_FALSE(values.empty());
  const int d = c.decimals;
  int64_t omin = Fixed(values[0], d), omax = omin;
  for (const std::string& v : values) {
    omin = std::min(omin, Fixed(v, d));
    omax = std::max(omax, Fixed(v, d));
  }
  const int64_t lo = Fixed(c.min, d), hi = Fixed(c.max, d);
  EXPECT_LE(lo, omin);
  EXPECT_GE(hi, omax);
  EXPECT_LT(hi, kLimit);
  EXPECT_GT(lo, -kLimit);

  const int64_t step = Fixed(origin.step, d);
  const int64_t magnitude = std::max(std::llabs(omin), std::llabs(omax));
  if (magnitude == 0) {
    EXPECT_EQ(step, 1);
  } else {
    EXPECT_LE(step, magnitude);
    EXPECT_GT(step, magnitude / 10);
  }

  // One side: `bound` holds `extreme` (both as magnitudes on the side away from 0).
  auto side = [&](const char* which, int64_t bound, int64_t extreme,
                  const InferredBounds::Side& s) {
    SCOPED_TRACE(which);
    const int64_t side_step = Fixed(s.step, d);
    EXPECT_EQ(bound % side_step, 0) << bound << " not on the grid of " << side_step;
    if (!s.narrowed) {
      EXPECT_EQ(side_step, step);
      EXPECT_LT(bound - extreme, step) << "not the nearest grid value";
    } else {
      EXPECT_LT(side_step, step);
      EXPECT_EQ(bound, kLimit - side_step);
      EXPECT_GE(bound, extreme);
      // The coarser grid's value below 10^15 would not hold the data.
      EXPECT_LT(kLimit - side_step * 10, extreme);
    }
    EXPECT_EQ(s.observed, s.narrowed && bound == extreme);
  };
  side("max", hi, omax, origin.max);
  if (omin >= 0) {
    EXPECT_EQ(lo, 0);
  } else {
    side("min", -lo, -omin, origin.min);
  }
}

class InferBoundsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& csv) {
    const std::string path = dir_ / "cohort.csv";
    testing::WriteText(path, csv);
    return path;
  }
  // One column named `name` holding `values`.
  static std::string OneColumn(const std::string& name, const std::vector<std::string>& values) {
    std::string csv = name + "\n";
    for (const std::string& v : values) csv += v + "\n";
    return csv;
  }
  // Infers, checks that the clean step accepts every row unchanged in count, and returns it.
  Schema InferAndClean(const std::string& csv, const InferOptions& options,
                       InferredBoundsMap* bounds) {
    Result<Schema> s = InferSchema(Write(csv), options, bounds);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return Schema();
    Result<Schema> again = SchemaFromJson(SchemaToJson(*s));
    EXPECT_TRUE(again.ok()) << again.status().ToString();
    CleanReport report;
    Status cleaned = CleanCsv(*s, dir_ / "cohort.csv", dir_ / "clean.csv", &report);
    EXPECT_TRUE(cleaned.ok()) << cleaned.ToString();
    EXPECT_EQ(report.rows_dropped, 0u);
    for (const auto& [rule, hits] : report.hits) {
      EXPECT_EQ(rule.rfind("missing:", 0), 0u) << report.ToJson();
    }
    return *s;
  }
  ScratchDir dir_;
};

struct GridCase {
  std::vector<std::string> values;
  int decimals;
  double min, max;
  std::string step;
};

TEST_F(InferBoundsTest, TheGridRuleOnItsExamples) {
  const std::vector<GridCase> cases = {
      // cd4 counts: 12 .. 1287 -> [0, 2000]
      {{"12", "1287", "350", "200", "499", "501", "800", "20", "33", "44", "55", "66", "77"},
       0,
       0,
       2000,
       "1000"},
      // weights to 5 places -> [0, 200]
      {{"31.0", "159.93878", "70.5", "88.12345", "61", "99.9", "45.25"}, 5, 0, 200, "100"},
      // a change from baseline, negative and positive -> [-40, 20]
      {{"-37.5", "12.25", "0", "-1", "3.5", "-20"}, 2, -40, 20, "10"},
      // a fraction -> [0, 0.8]
      {{"0.05", "0.73", "0.1", "0.5", "0.33"}, 2, 0, 0.8, "0.1"},
      // a maximum on the grid stays: it says only "at most 1000"
      {{"1000", "5", "250", "999", "17", "18", "19", "20", "21", "22", "23", "24", "25"},
       0,
       0,
       1000,
       "1000"},
      // every value negative: the maximum rounds up to 0
      {{"-812", "-15", "-100", "-220", "-330", "-440", "-550", "-660", "-770", "-16", "-17", "-18",
        "-19"},
       0,
       -900,
       0,
       "100"},
      // a minimum on the grid stays
      {{"-300", "250", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17"},
       0,
       -300,
       300,
       "100"},
      // a column of zeros
      {{"0", "0", "0"}, 0, 0, 0, "1"},
  };
  for (const GridCase& gc : cases) {
    SCOPED_TRACE(gc.values[0] + ", " + gc.values[1]);
    InferredBoundsMap bounds;
    Schema s = InferAndClean(OneColumn("value", gc.values), InferOptions(), &bounds);
    const Column* c = s.FindColumn("value");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->decimals, gc.decimals);
    EXPECT_EQ(c->min, gc.min);
    EXPECT_EQ(c->max, gc.max);
    ASSERT_EQ(bounds.count("value"), 1u);
    EXPECT_EQ(bounds.at("value").step, gc.step);
    ExpectGridRule(*c, bounds.at("value"), gc.values);
  }
}

TEST_F(InferBoundsTest, LevelsStayAndTheirBoundsFollowTheRule) {
  std::string csv = "arm,year,flag\n";
  for (int i = 0; i < 40; ++i) {
    csv += std::to_string(i % 4) + "," + std::to_string(2000 + i % 4) + "," +
           std::to_string(i % 2) + "\n";
  }
  InferredBoundsMap bounds;
  Schema s = InferAndClean(csv, InferOptions(), &bounds);
  const Column* arm = s.FindColumn("arm");
  EXPECT_EQ(arm->levels, (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_EQ(arm->min, 0);
  EXPECT_EQ(arm->max, 3);  // a one-digit column: the grid of 1
  const Column* year = s.FindColumn("year");
  EXPECT_EQ(year->levels, (std::vector<std::string>{"2000", "2001", "2002", "2003"}));
  EXPECT_EQ(year->min, 0);
  EXPECT_EQ(year->max, 3000);
  EXPECT_EQ(s.FindColumn("flag")->max, 1);
  // A calendar year is crossed over nothing: its average is a date's.
  EXPECT_TRUE(s.HasCross("arm", "flag"));
  EXPECT_FALSE(s.HasCross("arm", "year"));
}

// Random columns of every scale and sign: the rule's promises hold and clean keeps every row.
TEST_F(InferBoundsTest, RandomColumnsKeepTheRule) {
  std::mt19937_64 rng(14);
  for (int round = 0; round < 300; ++round) {
    const int decimals = static_cast<int>(rng() % 6);
    const int digits = 1 + static_cast<int>(rng() % 14);  // up to 14 significant digits
    int64_t span = 1;
    for (int i = 0; i < digits; ++i) span *= 10;
    const int64_t bias = static_cast<int64_t>(rng() % 3);  // 0: >= 0, 1: mixed, 2: <= 0
    std::vector<std::string> values;
    const int n = 2 + static_cast<int>(rng() % 30);
    // A few columns whose extreme lies exactly on a grid value.
    const bool on_grid = rng() % 5 == 0;
    for (int i = 0; i < n; ++i) {
      int64_t v = static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
      if (on_grid && i == 0) v = span / 10 * static_cast<int64_t>(1 + rng() % 9);
      if (bias == 2 || (bias == 1 && rng() % 2 == 0)) v = -v;
      values.push_back(FormatFixedPoint(v, decimals));
    }
    SCOPED_TRACE("round " + std::to_string(round) + ": " + values[0]);
    InferredBoundsMap bounds;
    Schema s = InferAndClean(OneColumn("value", values), InferOptions(), &bounds);
    const Column* c = s.FindColumn("value");
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(bounds.count("value"), 1u);
    ExpectGridRule(*c, bounds.at("value"), values);
  }
}

// Registry exports write floats to 15 significant digits. A bound rounded to the column's grid
// could reach 10^15 at its scale, past what inferred values may hold; it then stays below on a
// finer grid, and only when nothing coarser holds the data is it the observed value.
TEST_F(InferBoundsTest, FifteenDigitFloatsStayBelowTheLimit) {
  const std::string csv =
      "near_one,all_nines,negative,big_integer,pi\n"
      "0.987654321098765,0.999999999999999,-0.987654321098765,987654321098765,3.14159265358979\n"
      "0.5,0.5,0.1,1,2.5\n"
      "0.123456789012345,0.25,0.2,123456789012345,1\n";
  InferredBoundsMap bounds;
  Schema s = InferAndClean(csv, InferOptions(), &bounds);
  ASSERT_EQ(s.columns.size(), 5u);

  const Column* near_one = s.FindColumn("near_one");
  EXPECT_EQ(near_one->decimals, 15);
  EXPECT_EQ(near_one->min, 0);
  EXPECT_EQ(near_one->max, 0.99);  // ceil on the grid of 0.1 would be 1: 10^15 at 15 places
  EXPECT_EQ(bounds.at("near_one").step, "0.1");
  EXPECT_TRUE(bounds.at("near_one").max.narrowed);
  EXPECT_FALSE(bounds.at("near_one").max.observed);
  EXPECT_EQ(bounds.at("near_one").max.step, "0.01");

  const Column* nines = s.FindColumn("all_nines");
  EXPECT_EQ(nines->max, 0.999999999999999);  // the last resort: the observed value
  EXPECT_TRUE(bounds.at("all_nines").max.observed);
  EXPECT_EQ(bounds.at("all_nines").max.step, "0.000000000000001");

  const Column* negative = s.FindColumn("negative");
  EXPECT_EQ(negative->min, -0.99);
  EXPECT_EQ(negative->max, 0.2);  // the other side keeps the column's grid
  EXPECT_TRUE(bounds.at("negative").min.narrowed);
  EXPECT_FALSE(bounds.at("negative").max.narrowed);

  const Column* big = s.FindColumn("big_integer");
  EXPECT_EQ(big->decimals, 0);
  EXPECT_EQ(big->max, 990000000000000.0);

  const Column* pi = s.FindColumn("pi");
  EXPECT_EQ(pi->decimals, 14);
  EXPECT_EQ(pi->max, 4);
  EXPECT_FALSE(bounds.at("pi").max.narrowed);

  CsvReader reader;
  ASSERT_TRUE(reader.Open(dir_ / "cohort.csv").ok());
  std::vector<std::vector<std::string>> columns(s.columns.size());
  std::vector<std::string> row;
  bool eof = false;
  ASSERT_TRUE(reader.Next(&row, &eof).ok());  // header
  while (reader.Next(&row, &eof).ok() && !eof) {
    for (size_t i = 0; i < row.size(); ++i) columns[i].push_back(row[i]);
  }
  for (size_t i = 0; i < s.columns.size(); ++i) {
    ExpectGridRule(s.columns[i], bounds.at(s.columns[i].name), columns[i]);
  }

  // The review text names the observed bound without its digits.
  const std::string text = DescribeInferredSchema(s, bounds);
  EXPECT_NE(text.find("[0, observed]"), std::string::npos) << text;
  EXPECT_NE(text.find("bounds: grid 0.1; max is the observed value"), std::string::npos) << text;
  EXPECT_NE(text.find("[0, 0.99]"), std::string::npos) << text;
  EXPECT_NE(text.find("bounds: grid 0.1; max on grid 0.01 to fit 15 digits"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("999999999999999"), std::string::npos) << text;
  EXPECT_EQ(text.find("987654321098765"), std::string::npos) << text;
}

// --- declared ranges -------------------------------------------------------------------------

std::string Cohort() {
  std::string csv = "patient_id,sex,arm,cd4,viral_load,wt\n";
  for (int i = 0; i < 20; ++i) {
    csv += "P" + std::to_string(i) + "," + (i % 3 ? "F" : "M") + "," + std::to_string(i % 3) + "," +
           std::to_string(50 + i * 61) + "," + std::to_string(i * 1000 + 7) + "," +
           std::to_string(40 + i) + ".5\n";
  }
  return csv;
}

TEST_F(InferBoundsTest, ADeclaredRangeReplacesTheGrid) {
  InferOptions options;
  ASSERT_TRUE(AddDeclaredRange("cd4=0:5000", &options).ok());
  ASSERT_TRUE(AddDeclaredRange(" wt = 30 : 200.5 ", &options).ok());
  InferredBoundsMap bounds;
  Schema s = InferAndClean(Cohort(), options, &bounds);
  const Column* cd4 = s.FindColumn("cd4");
  EXPECT_EQ(cd4->min, 0);
  EXPECT_EQ(cd4->max, 5000);
  EXPECT_EQ(cd4->bins.size(), 5u);  // clinical choices do not change
  EXPECT_EQ(bounds.at("cd4").source, InferredBounds::Source::kDeclared);
  const Column* wt = s.FindColumn("wt");
  EXPECT_EQ(wt->decimals, 1);
  EXPECT_EQ(wt->min, 30);
  EXPECT_EQ(wt->max, 200.5);
  EXPECT_EQ(bounds.at("viral_load").source, InferredBounds::Source::kGrid);
  EXPECT_EQ(s.derived.size(), 1u);

  // A range whose bounds are the data's own extremes is the owner's choice, and accepted.
  InferOptions tight;
  ASSERT_TRUE(AddDeclaredRange("cd4=50:1209", &tight).ok());
  Result<Schema> t = InferSchema(dir_ / "cohort.csv", tight);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->FindColumn("cd4")->max, 1209);

  // A negative range.
  InferOptions negative;
  ASSERT_TRUE(AddDeclaredRange("change=-50:50", &negative).ok());
  Schema n = InferAndClean("change\n-37.5\n12.25\n0\n", negative, &bounds);
  EXPECT_EQ(n.FindColumn("change")->min, -50);
  EXPECT_EQ(n.FindColumn("change")->max, 50);
}

TEST_F(InferBoundsTest, ADeclaredRangeThatDoesNotHoldTheDataIsRefused) {
  const std::string path = Write(Cohort());
  auto refused = [&](const std::string& spec) {
    InferOptions options;
    Status added = AddDeclaredRange(spec, &options);
    if (!added.ok()) return added.message();
    Result<Schema> s = InferSchema(path, options);
    EXPECT_FALSE(s.ok()) << spec;
    return s.status().message();
  };
  auto expect = [&](const std::string& spec, const std::string& message) {
    const std::string got = refused(spec);
    EXPECT_NE(got.find(message), std::string::npos) << spec << ": " << got;
  };
  // cd4 is 50, 111, ... 1209: 4 values lie above 1000, 1 below 100.
  expect("cd4=100:1000", "--range cd4=100:1000: 5 observed values lie outside the declared range");
  expect("cd4=0:1200", "--range cd4=0:1200: 1 observed value lies outside the declared range");
  expect("wt=41:100", "1 observed value lies outside");
  expect("nope=0:1", "--range names column 'nope', which");
  expect("sex=0:1", "--range sex: column 'sex' is categorical, not numeric");
  expect("patient_id=0:1", "column 'patient_id' is an identifier (never shipped), not numeric");
  expect("cd4=0:2000.5", "--range cd4: MAX 2000.5 has more decimals than the column's values (0)");
  expect("cd4=0:1e16", "--range cd4: MAX 1e16 needs more than 15 digits");
  expect("cd4", "--range 'cd4': write COLUMN=MIN:MAX");
  expect("cd4=5", "write COLUMN=MIN:MAX");
  expect("=0:5", "write COLUMN=MIN:MAX");
  expect("cd4=a:5", "MIN and MAX must be plain numbers");
  expect("cd4=5:1", "MIN is greater than MAX");
  // The error never shows an observed value.
  EXPECT_EQ(refused("cd4=100:1000").find("1209"), std::string::npos);

  InferOptions twice;
  ASSERT_TRUE(AddDeclaredRange("cd4=0:2000", &twice).ok());
  Status again = AddDeclaredRange("cd4=0:3000", &twice);
  EXPECT_NE(again.message().find("names column 'cd4' twice"), std::string::npos) << again.message();
  // Names may hold '=' and ':' (only numbers follow the last '=').
  InferOptions odd;
  ASSERT_TRUE(AddDeclaredRange("a=b:c=-5:-1", &odd).ok());
  EXPECT_EQ(odd.ranges.at("a=b:c").min, "-5");
  EXPECT_EQ(odd.ranges.at("a=b:c").max, "-1");
}

// --- the review text -------------------------------------------------------------------------

TEST_F(InferBoundsTest, DescribeInferredSchema) {
  InferOptions options;
  ASSERT_TRUE(AddDeclaredRange("wt=30:200", &options).ok());
  InferredBoundsMap bounds;
  Schema s = InferAndClean(Cohort(), options, &bounds);
  // The review table (issue 15); without InferNotes, "why" has only what the schema says.
  EXPECT_EQ(DescribeInferredSchema(s, bounds),
            "  column      role        kind         range       decimals  levels  groupable  why\n"
            "  patient_id  identifier  -            -           -         -       no         never "
            "shipped\n"
            "  sex         private     categorical  -           -         2       yes        -\n"
            "  arm         private     numeric      [0, 2]      0         3       yes        "
            "bounds: grid 1\n"
            "  cd4         private     numeric      [0, 2000]   0         -       no         "
            "bounds: grid 1000; bins 0,200,350,500,inf\n"
            "  viral_load  private     numeric      [0, 20000]  0         -       no         "
            "bounds: grid 10000\n"
            "  wt          private     numeric      [30, 200]   1         -       no         "
            "bounds: declared range\n"
            "  derived: 1 (viral_suppressed = viral_load < 200)\n"
            "  crosses: 2 (by sex, arm)\n");

  // A schema read back from its file has no origins: the bounds alone.
  Result<Schema> read = SchemaFromJson(SchemaToJson(s));
  ASSERT_TRUE(read.ok());
  read->columns[1].is_public = true;
  const std::string text = DescribeInferredSchema(*read, {});
  EXPECT_NE(text.find("  sex         public      categorical  -           -         2       yes  "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  cd4         private     numeric      [0, 2000]   0         -       no   "
                      "      bins 0,200,350,500,inf\n"),
            std::string::npos)
      << text;

  // Columns with nothing in them, non-unique identifiers, no derived columns or crosses.
  Schema empty = InferAndClean("patid,note\nA,\nA,\n", InferOptions(), &bounds);
  EXPECT_EQ(
      DescribeInferredSchema(empty, bounds),
      "  column  role        kind     range   decimals  levels  groupable  why\n"
      "  patid   identifier  -        -       -         -       no         repeats allowed; "
      "never shipped\n"
      "  note    private     numeric  [0, 0]  0         -       no         bounds: no values\n"
      "  derived: none\n"
      "  crosses: none\n");
}

// `cipherstat schema` prints the review and never an observed extreme; a refused range leaves
// no schema file.
TEST_F(InferBoundsTest, TheSchemaCommandPrintsTheReview) {
  std::string csv = "id,wtkg,cd4\n";
  for (int i = 0; i < 30; ++i) {
    csv += std::to_string(i) + "," +
           (i == 7   ? "31.41593"
            : i == 9 ? "159.93878"
                     : std::to_string(60 + i) + ".5") +
           "," + std::to_string(i == 3 ? 1287 : 100 + i) + "\n";
  }
  const std::string path = Write(csv);
  testing::ChildResult ok = testing::RunChild(
      {"schema", "--in", path, "--out", dir_ / "schema.json", "--range", "cd4=0:1500"});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  // (More than 12 distinct weights: a few-valued column, decimals or not, would list its
  // values as levels.)
  EXPECT_NE(ok.output.find("  wtkg    private     numeric  [0, 200]   5         -       no         "
                           "numbers; bounds: grid 100\n"),
            std::string::npos)
      << ok.output;
  EXPECT_NE(ok.output.find("  cd4     private     numeric  [0, 1500]  0         -       no         "
                           "numbers; bounds: declared range"),
            std::string::npos)
      << ok.output;
  for (const char* observed : {"31.41593", "159.93878", "1287"}) {
    EXPECT_EQ(ok.output.find(observed), std::string::npos) << observed << "\n" << ok.output;
    EXPECT_EQ(testing::ReadText(dir_ / "schema.json").find(observed), std::string::npos)
        << observed;
  }

  testing::ChildResult refused =
      testing::RunChild({"schema", "--in", path, "--out", dir_ / "refused.json", "--range",
                         "cd4=0:1000", "--range", "wtkg=0:500"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("--range cd4=0:1000: 1 observed value lies outside"),
            std::string::npos)
      << refused.output;
  EXPECT_EQ(refused.output.find("1287"), std::string::npos) << refused.output;
  EXPECT_FALSE(PathExists(dir_ / "refused.json"));
}

// The real files: on every numeric column, the rule's promises over every observed value.
TEST_F(InferBoundsTest, SharedFilesKeepTheRule) {
  if (!testing::SharedDataAvailable()) GTEST_SKIP() << "shared data not available";
  for (const char* name : {"actg175.csv", "actg193a_long.csv", "actg315_vl.csv", "actg320.csv",
                           "jm_aids_baseline.csv", "uti_vl.csv"}) {
    SCOPED_TRACE(name);
    const std::string path = testing::SharedDir() + "/data/" + name;
    InferredBoundsMap bounds;
    Result<Schema> s = InferSchema(path, InferOptions(), &bounds);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    CsvReader reader;
    ASSERT_TRUE(reader.Open(path).ok());
    std::vector<std::string> header, row;
    bool eof = false;
    ASSERT_TRUE(reader.Next(&header, &eof).ok());
    std::vector<std::vector<std::string>> values(header.size());
    while (reader.Next(&row, &eof).ok() && !eof) {
      for (size_t i = 0; i < row.size() && i < header.size(); ++i) {
        if (!row[i].empty() && row[i] != "NA") values[i].push_back(row[i]);
      }
    }
    size_t checked = 0;
    for (size_t i = 0; i < header.size(); ++i) {
      const Column* c = s->FindColumn(header[i]);
      if (c == nullptr || !c->numeric() || values[i].empty()) continue;
      ExpectGridRule(*c, bounds.at(c->name), values[i]);
      ++checked;
    }
    EXPECT_GT(checked, 2u);
  }
}

}  // namespace
}  // namespace cipherstat
