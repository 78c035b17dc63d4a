// DecodeSums on plaintext sums: no keys, no encryption. Each test describes records, packs the
// sums that the layout's slots would hold for them (computed here from layout.h's encoding, not
// with RecordEncoder), decodes, and compares with statistics computed directly from the records
// in exact rational arithmetic, rounded once to the nearest double.
#include "query/decode.h"

#include <gmpxx.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "encoding/layout.h"
#include "encoding/schema.h"
#include "query/plan.h"

namespace cipherstat {
namespace {

using crypto::BigInt;

// One record: numeric values as x·10^decimals, group columns as level indices; a missing
// value is absent. `copies` repeats it (cheap large sums).
struct Record {
  std::string site;  // the public column ("" is NULL)
  std::map<std::string, int64_t> fixed;
  std::map<std::string, int> level;
  uint64_t copies = 1;
};

Column Numeric(const std::string& name, double min, double max, int decimals) {
  Column c;
  c.name = name;
  c.min = min;
  c.max = max;
  c.decimals = decimals;
  return c;
}

Column Categorical(const std::string& name, std::vector<std::string> levels, bool is_public) {
  Column c;
  c.name = name;
  c.kind = ColumnKind::kCategorical;
  c.levels = std::move(levels);
  c.is_public = is_public;
  return c;
}

Schema TrialSchema() {
  Schema s;
  s.name = "trial";
  s.max_records = 100000;
  Column cd4 = Numeric("cd4", 0, 2000, 0);
  cd4.bins = {0, 200, 500, HUGE_VAL};
  s.columns = {Categorical("site", {"north", "south"}, true),
               Categorical("arm", {"A", "B"}, false),
               cd4,
               Numeric("weight", 30, 150, 1),  // offset encoding: min_fixed = 300
               Numeric("temp", -5, 5, 2),      // negative values
               Numeric("flag", 0, 1, 0),       // 0/1: no sum-of-squares slot
               Numeric("big", 0, 4e15, 0)};
  s.crosses = {{"arm", {"cd4", "weight", "temp", "flag"}}};
  return s;
}

class DecodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = TrialSchema();
    ASSERT_TRUE(ValidateSchema(schema_).ok()) << ValidateSchema(schema_).ToString();
    auto layout = Layout::Build(schema_, 2046);
    ASSERT_TRUE(layout.ok()) << layout.status().ToString();
    layout_ = std::move(layout).value();
  }

  const Column& ColumnOf(const std::string& name) const { return *schema_.FindColumn(name); }

  // What one record adds to slot `s` (layout.h: y = x·10^d − min_fixed, one-hot levels and
  // bins, crosses restricted to one level of their group column).
  mpz_class Contribution(const Slot& s, const Record& r) const {
    if (s.kind == SlotKind::kCount) return 1;
    if (s.kind == SlotKind::kLevel) {
      auto it = r.level.find(s.variable);
      return it != r.level.end() && it->second == s.level ? 1 : 0;
    }
    if (!s.by.empty()) {
      auto it = r.level.find(s.by);
      if (it == r.level.end() || it->second != s.level) return 0;
    }
    auto x = r.fixed.find(s.variable);
    if (x == r.fixed.end()) return 0;
    const VariableCodec& v = *layout_.FindVariable(s.variable);
    const mpz_class y = mpz_class(static_cast<long>(x->second)) - static_cast<long>(v.min_fixed);
    switch (s.kind) {
      case SlotKind::kObserved:
        return 1;
      case SlotKind::kSum:
        return y;
      case SlotKind::kSumSquares:
        return y * y;
      case SlotKind::kBin: {
        const Column& c = ColumnOf(s.variable);
        const long double value = static_cast<long double>(x->second) / std::pow(10.0L, v.decimals);
        const size_t b = static_cast<size_t>(s.bin);
        return c.bins[b] <= value && value < c.bins[b + 1] ? 1 : 0;
      }
      default:
        return 0;
    }
  }

  // The summed plaintexts of `records` for the ciphertexts the plan reads.
  GroupSums Pack(const Plan& plan, const std::vector<Record>& records,
                 std::vector<std::string> key = {}) const {
    GroupSums g;
    g.key = std::move(key);
    for (const Record& r : records) g.records += r.copies;
    std::vector<mpz_class> plaintexts(static_cast<size_t>(layout_.num_ciphertexts()));
    for (const Slot& s : layout_.slots()) {
      mpz_class sum = 0;
      for (const Record& r : records)
        sum += Contribution(s, r) * static_cast<unsigned long>(r.copies);
      EXPECT_LT(mpz_sizeinbase(sum.get_mpz_t(), 2), static_cast<size_t>(s.width) + 1);
      plaintexts[static_cast<size_t>(s.ciphertext)] += sum << s.offset;
    }
    for (int c : plan.ciphertexts) {
      BigInt p;
      mpz_set(p.get(), plaintexts[static_cast<size_t>(c)].get_mpz_t());
      g.plaintexts.push_back(std::move(p));
    }
    return g;
  }

  Plan MustPlan(const std::string& sql) const {
    auto plan = MakePlan(sql, CatalogOf(schema_), layout_);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? *plan : Plan{};
  }

  // Decodes `sql` over public groups of records (one group when the query has no public
  // GROUP BY), the dataset being all of them.
  Result<ResultTable> Decode(const std::string& sql, const std::vector<std::vector<Record>>& groups,
                             uint64_t min_cell = 0,
                             const std::vector<std::vector<std::string>>& keys = {}) const {
    const Plan plan = MustPlan(sql);
    std::vector<GroupSums> sums;
    uint64_t records = 0;
    for (size_t i = 0; i < groups.size(); ++i) {
      sums.push_back(Pack(plan, groups[i], i < keys.size() ? keys[i] : std::vector<std::string>{}));
      records += sums.back().records;
    }
    return DecodeSums(schema_, layout_, plan, std::move(sums), records, ReleaseOptions{min_cell});
  }

  Schema schema_;
  Layout layout_;
};

// --- Independent statistics --------------------------------------------------------------------

// The double nearest to q (a tie keeps the one nearer zero).
double Nearest(const mpq_class& q) {
  double best = q.get_d();  // truncated towards zero
  for (double neighbour : {std::nextafter(best, -HUGE_VAL), std::nextafter(best, HUGE_VAL)}) {
    if (abs(q - mpq_class(neighbour)) < abs(q - mpq_class(best))) best = neighbour;
  }
  return best;
}

// The values of `variable` present in `records` (each copy counted), exactly.
std::vector<mpq_class> Values(const std::vector<Record>& records, const std::string& variable,
                              int decimals) {
  mpz_class scale;
  mpz_ui_pow_ui(scale.get_mpz_t(), 10, static_cast<unsigned long>(decimals));
  std::vector<mpq_class> values;
  for (const Record& r : records) {
    auto x = r.fixed.find(variable);
    if (x == r.fixed.end()) continue;
    mpq_class v(mpz_class(static_cast<long>(x->second)), scale);
    v.canonicalize();
    for (uint64_t i = 0; i < r.copies; ++i) values.push_back(v);
  }
  return values;
}

mpq_class SumOf(const std::vector<mpq_class>& values) {
  mpq_class sum = 0;
  for (const mpq_class& v : values) sum += v;
  return sum;
}

mpq_class MeanOf(const std::vector<mpq_class>& values) {
  return SumOf(values) / static_cast<unsigned long>(values.size());
}

// Two-pass: Σ(x − mean)² / (n − 1) or / n.
mpq_class VarianceOf(const std::vector<mpq_class>& values, bool sample) {
  const mpq_class mean = MeanOf(values);
  mpq_class squares = 0;
  for (const mpq_class& v : values) squares += (v - mean) * (v - mean);
  return squares / static_cast<unsigned long>(values.size() - (sample ? 1 : 0));
}

// --- Cell comparison ---------------------------------------------------------------------------

std::string Show(const Cell& c) {
  switch (c.kind) {
    case Cell::Kind::kNull:
      return "NULL";
    case Cell::Kind::kInteger:
      return std::to_string(c.integer);
    case Cell::Kind::kReal: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g (real)", c.real);
      return buf;
    }
    case Cell::Kind::kText:
      return "'" + c.text + "'";
    case Cell::Kind::kSuppressed:
      return "suppressed";
  }
  return "?";
}

// Bit-identical reals, equal integers and texts.
bool Same(const Cell& a, const Cell& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Cell::Kind::kInteger:
      return a.integer == b.integer;
    case Cell::Kind::kReal:
      return std::memcmp(&a.real, &b.real, sizeof(double)) == 0;
    case Cell::Kind::kText:
      return a.text == b.text;
    default:
      return true;
  }
}

::testing::AssertionResult RowIs(const std::vector<Cell>& got, const std::vector<Cell>& want) {
  bool same = got.size() == want.size();
  for (size_t i = 0; same && i < got.size(); ++i) same = Same(got[i], want[i]);
  if (same) return ::testing::AssertionSuccess();
  std::string text = "got";
  for (const Cell& c : got) text += " | " + Show(c);
  text += "\nwant";
  for (const Cell& c : want) text += " | " + Show(c);
  return ::testing::AssertionFailure() << text;
}

Cell Real(const mpq_class& q) { return Cell::Real(Nearest(q)); }

// --- Records -----------------------------------------------------------------------------------

// Varied values, some missing, with an arm level for most.
std::vector<Record> Cohort() {
  std::vector<Record> records;
  for (int i = 0; i < 40; ++i) {
    Record r;
    r.site = i % 3 == 0 ? "south" : "north";
    if (i % 7 != 3) r.level["arm"] = (i * 5 + 1) % 3 == 0 ? 0 : 1;
    if (i % 5 != 2) r.fixed["cd4"] = (i * 137 + 11) % 1900;
    if (i % 6 != 4) r.fixed["weight"] = 300 + (i * 379) % 1201;  // 30.0 .. 150.0
    if (i % 4 != 1) r.fixed["temp"] = -500 + (i * 263) % 701;    // -5.00 .. 2.00
    if (i % 9 != 8) r.fixed["flag"] = (i * i) % 3 == 1 ? 1 : 0;
    records.push_back(r);
  }
  return records;
}

std::vector<Record> Where(const std::vector<Record>& records, bool (*keep)(const Record&)) {
  std::vector<Record> out;
  for (const Record& r : records) {
    if (keep(r)) out.push_back(r);
  }
  return out;
}

// --- Tests -------------------------------------------------------------------------------------

TEST_F(DecodeTest, CountSumAndAverageOfTheWholeDataset) {
  const std::vector<Record> records = Cohort();
  auto t = Decode(
      "SELECT COUNT(*), COUNT(cd4), SUM(cd4), AVG(cd4), SUM(weight), AVG(weight), SUM(temp), "
      "AVG(temp), SUM(flag), AVG(flag) FROM trial",
      {records});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 1u);
  const auto cd4 = Values(records, "cd4", 0);
  const auto weight = Values(records, "weight", 1);
  const auto temp = Values(records, "temp", 2);
  const auto flag = Values(records, "flag", 0);
  EXPECT_TRUE(RowIs(
      t->rows[0], {Cell::Integer(40), Cell::Integer(static_cast<int64_t>(cd4.size())),
                   Cell::Integer(SumOf(cd4).get_num().get_si()), Real(MeanOf(cd4)),
                   Real(SumOf(weight)), Real(MeanOf(weight)), Real(SumOf(temp)), Real(MeanOf(temp)),
                   Cell::Integer(SumOf(flag).get_num().get_si()), Real(MeanOf(flag))}));
  EXPECT_LT(sgn(SumOf(temp)), 0) << "the data should exercise a negative sum";
}

TEST_F(DecodeTest, VarianceAndStandardDeviationSampleAndPopulation) {
  const std::vector<Record> records = Cohort();
  for (const auto& [x, decimals] : std::vector<std::pair<std::string, int>>{
           {"cd4", 0}, {"weight", 1}, {"temp", 2}, {"flag", 0}}) {
    SCOPED_TRACE(x);
    auto t =
        Decode("SELECT VARIANCE(" + x + "), VAR_SAMP(" + x + "), STDDEV(" + x + "), STDDEV_SAMP(" +
                   x + "), VAR_POP(" + x + "), STDDEV_POP(" + x + ") FROM trial",
               {records});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    const auto values = Values(records, x, decimals);
    const double sample = Nearest(VarianceOf(values, true));
    const double population = Nearest(VarianceOf(values, false));
    EXPECT_TRUE(RowIs(t->rows[0], {Cell::Real(sample), Cell::Real(sample),
                                   Cell::Real(std::sqrt(sample)), Cell::Real(std::sqrt(sample)),
                                   Cell::Real(population), Cell::Real(std::sqrt(population))}));
  }
}

TEST_F(DecodeTest, FewValuesGiveNullWhereSqlDoes) {
  Record one;
  one.fixed["cd4"] = 350;
  Record none;  // cd4 missing
  auto t = Decode(
      "SELECT COUNT(cd4), SUM(cd4), AVG(cd4), VARIANCE(cd4), VAR_POP(cd4), STDDEV_POP(cd4) "
      "FROM trial",
      {{one, none}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Integer(1), Cell::Integer(350), Cell::Real(350),
                                 Cell::Null(), Cell::Real(0), Cell::Real(0)}));
  auto empty = Decode("SELECT COUNT(*), COUNT(cd4), SUM(cd4), AVG(cd4), STDDEV_POP(cd4) FROM trial",
                      {{none}});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(RowIs(empty->rows[0], {Cell::Integer(1), Cell::Integer(0), Cell::Null(), Cell::Null(),
                                     Cell::Null()}));
}

TEST_F(DecodeTest, NoRecordsAndNoGroupByGiveOneRow) {
  auto t = Decode("SELECT COUNT(*), SUM(weight), HISTOGRAM(cd4) FROM trial", {});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Integer(0), Cell::Null(), Cell::Integer(0), Cell::Integer(0),
                                 Cell::Integer(0)}));
  auto grouped = Decode("SELECT site, COUNT(*) FROM trial GROUP BY site", {});
  ASSERT_TRUE(grouped.ok()) << grouped.status().ToString();
  EXPECT_TRUE(grouped->rows.empty());
}

TEST_F(DecodeTest, SumsBeyondInt64AreReals) {
  Record r;
  r.fixed["big"] = 4000000000000000;
  r.copies = 3000;
  auto t = Decode("SELECT SUM(big), AVG(big) FROM trial", {{r}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Real(1.2e19), Cell::Real(4e15)}));
}

TEST_F(DecodeTest, HistogramCountsRecordsPerBinWithOneColumnPerBin) {
  const std::vector<Record> records = Cohort();
  auto t = Decode("SELECT HISTOGRAM(cd4) AS h, COUNT(*) FROM trial", {records});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->columns,
            (std::vector<std::string>{"h[0,200)", "h[200,500)", "h[500,inf)", "count(*)"}));
  int64_t bins[3] = {0, 0, 0};
  for (const Record& r : records) {
    auto x = r.fixed.find("cd4");
    if (x != r.fixed.end()) ++bins[x->second < 200 ? 0 : x->second < 500 ? 1 : 2];
  }
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Integer(bins[0]), Cell::Integer(bins[1]),
                                 Cell::Integer(bins[2]), Cell::Integer(40)}));
  // What the HTML report reads instead of the labels.
  ASSERT_EQ(t->column_info.size(), 4u);
  for (int b = 0; b < 3; ++b) {
    const ColumnInfo& info = t->column_info[static_cast<size_t>(b)];
    EXPECT_EQ(info.aggregate, Aggregate::kHistogram);
    EXPECT_EQ(info.argument, "cd4");
    EXPECT_EQ(info.chart, ChartHint::kHistogram);
    EXPECT_EQ(info.item, 0);
    EXPECT_EQ(info.bin, b);
  }
  EXPECT_EQ(t->column_info[3].aggregate, Aggregate::kCountStar);
  EXPECT_EQ(t->column_info[3].item, 1);
  EXPECT_EQ(t->column_info[3].bin, -1);
}

TEST_F(DecodeTest, PrivateGroupByGivesEachLevelAndTheNullGroup) {
  const std::vector<Record> records = Cohort();
  auto t = Decode(
      "SELECT arm, COUNT(*), COUNT(arm), COUNT(cd4), SUM(temp), AVG(weight), VARIANCE(cd4), "
      "STDDEV_POP(temp), AVG(flag) FROM trial GROUP BY arm",
      {records});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 3u);  // A, B, NULL
  const std::vector<std::optional<int>> levels = {0, 1, std::nullopt};
  for (size_t row = 0; row < 3; ++row) {
    SCOPED_TRACE(row);
    std::vector<Record> in;
    for (const Record& r : records) {
      auto it = r.level.find("arm");
      const std::optional<int> level =
          it == r.level.end() ? std::nullopt : std::optional<int>(it->second);
      if (level == levels[row]) in.push_back(r);
    }
    ASSERT_GE(in.size(), 2u);
    const auto n = static_cast<int64_t>(in.size());
    EXPECT_TRUE(RowIs(t->rows[row],
                      {levels[row] ? Cell::Text(*levels[row] == 0 ? "A" : "B") : Cell::Null(),
                       Cell::Integer(n), Cell::Integer(levels[row] ? n : 0),
                       Cell::Integer(static_cast<int64_t>(Values(in, "cd4", 0).size())),
                       Real(SumOf(Values(in, "temp", 2))), Real(MeanOf(Values(in, "weight", 1))),
                       Real(VarianceOf(Values(in, "cd4", 0), true)),
                       Cell::Real(std::sqrt(Nearest(VarianceOf(Values(in, "temp", 2), false)))),
                       Real(MeanOf(Values(in, "flag", 0)))}));
  }
}

TEST_F(DecodeTest, EmptyPrivateGroupsAreLeftOut) {
  std::vector<Record> records = Where(Cohort(), [](const Record& r) {
    auto it = r.level.find("arm");
    return it != r.level.end() && it->second == 1;
  });
  auto t = Decode("SELECT arm, COUNT(*) FROM trial GROUP BY arm", {records});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_TRUE(
      RowIs(t->rows[0], {Cell::Text("B"), Cell::Integer(static_cast<int64_t>(records.size()))}));
}

TEST_F(DecodeTest, PublicGroupByDecodesEachGroupWithItsKey) {
  const std::vector<Record> all = Cohort();
  const auto north = Where(all, [](const Record& r) { return r.site == "north"; });
  const auto south = Where(all, [](const Record& r) { return r.site == "south"; });
  auto t = Decode("SELECT COUNT(*), site, AVG(weight), COUNT(arm) FROM trial GROUP BY site",
                  {north, south}, 0, {{"north"}, {"south"}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 2u);
  auto with_arm = [](const std::vector<Record>& rs) {
    int64_t n = 0;
    for (const Record& r : rs) n += r.level.count("arm") ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(RowIs(t->rows[0],
                    {Cell::Integer(static_cast<int64_t>(north.size())), Cell::Text("north"),
                     Real(MeanOf(Values(north, "weight", 1))), Cell::Integer(with_arm(north))}));
  EXPECT_TRUE(RowIs(t->rows[1],
                    {Cell::Integer(static_cast<int64_t>(south.size())), Cell::Text("south"),
                     Real(MeanOf(Values(south, "weight", 1))), Cell::Integer(with_arm(south))}));
  EXPECT_EQ(t->column_info[1].aggregate, Aggregate::kNone);
  EXPECT_EQ(t->column_info[1].argument, "site");
  EXPECT_EQ(t->column_info[2].chart, ChartHint::kMeanBars);
}

TEST_F(DecodeTest, CellsFromFewerThanMinCellRecordsAreSuppressed) {
  std::vector<Record> records;
  for (int i = 0; i < 12; ++i) {
    Record r;
    r.level["arm"] = i < 10 ? 0 : 1;                      // A: 10 records, B: 2
    if (i < 5 || i >= 10) r.fixed["cd4"] = 100 + 50 * i;  // A: 5 values; B: 2
    records.push_back(r);
  }
  auto t = Decode("SELECT arm, COUNT(*), COUNT(cd4), AVG(cd4), COUNT(arm) FROM trial GROUP BY arm",
                  {records}, /*min_cell=*/5);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Text("A"), Cell::Integer(10), Cell::Integer(5),
                                 Cell::Real(200), Cell::Integer(10)}));
  EXPECT_TRUE(RowIs(t->rows[1], {Cell::Text("B"), Cell::Suppressed(), Cell::Suppressed(),
                                 Cell::Suppressed(), Cell::Suppressed()}));
  // Zero records is no small cell: a count of 0 is released.
  std::vector<Record> binned(8);
  for (size_t i = 0; i < binned.size(); ++i) binned[i].fixed["cd4"] = i < 6 ? 50 : 300;
  auto histogram = Decode("SELECT HISTOGRAM(cd4) FROM trial", {binned}, 5);
  ASSERT_TRUE(histogram.ok()) << histogram.status().ToString();
  EXPECT_TRUE(RowIs(histogram->rows[0], {Cell::Integer(6), Cell::Suppressed(), Cell::Integer(0)}));
}

TEST_F(DecodeTest, AGroupsCountSlotMustMatchItsReportedRecords) {
  const Plan plan = MustPlan("SELECT COUNT(*) FROM trial");
  GroupSums g = Pack(plan, Cohort());
  g.records = 39;
  auto t = DecodeSums(schema_, layout_, plan, {g}, 39, ReleaseOptions{});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_NE(t.status().message().find("encrypted record count (40) differs from the 39 records"),
            std::string::npos)
      << t.status().ToString();
}

TEST_F(DecodeTest, WithoutWhereTheGroupsMustCoverTheDataset) {
  const Plan plan = MustPlan("SELECT COUNT(*) FROM trial");
  auto t = DecodeSums(schema_, layout_, plan, {Pack(plan, Cohort())}, 41, ReleaseOptions{});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), Status::Code::kCorruption);
  EXPECT_NE(t.status().message().find("result covers 40 records but the dataset manifest lists 41"),
            std::string::npos)
      << t.status().ToString();
  // A WHERE selects some records: no such check.
  const Plan filtered = MustPlan("SELECT COUNT(*) FROM trial WHERE site = 'north'");
  EXPECT_TRUE(
      DecodeSums(schema_, layout_, filtered, {Pack(filtered, Cohort())}, 41, ReleaseOptions{})
          .ok());
}

TEST_F(DecodeTest, AGroupWithTheWrongNumberOfSumsIsCorrupt) {
  const Plan plan = MustPlan("SELECT COUNT(*), AVG(cd4) FROM trial");
  GroupSums g = Pack(plan, Cohort());
  g.plaintexts.pop_back();
  auto t = DecodeSums(schema_, layout_, plan, {g}, 40, ReleaseOptions{});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("wrong number of sums"), std::string::npos);
}

TEST_F(DecodeTest, ColumnInfoNamesEachColumnsAggregateArgumentAndChart) {
  auto t = Decode(
      "SELECT arm, AVG(cd4) AS m, STDDEV(cd4), STDDEV_POP(cd4), VARIANCE(cd4), COUNT(*) FROM "
      "trial GROUP BY arm",
      {Cohort()});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->column_info.size(), 6u);
  const std::vector<std::pair<Aggregate, ChartHint>> want = {
      {Aggregate::kNone, ChartHint::kNone},
      {Aggregate::kAvg, ChartHint::kMeanBars},
      {Aggregate::kStddevSamp, ChartHint::kSampleSdWhiskers},
      {Aggregate::kStddevPop, ChartHint::kPopulationSdWhiskers},
      {Aggregate::kVarSamp, ChartHint::kNone},
      {Aggregate::kCountStar, ChartHint::kNone}};
  for (size_t c = 0; c < want.size(); ++c) {
    EXPECT_EQ(t->column_info[c].aggregate, want[c].first) << c;
    EXPECT_EQ(t->column_info[c].chart, want[c].second) << c;
    EXPECT_EQ(t->column_info[c].item, static_cast<int>(c));
  }
  EXPECT_EQ(t->column_info[1].argument, "cd4");
  EXPECT_EQ(t->column_info[5].argument, "");
  EXPECT_EQ(t->columns[1], "m");
  EXPECT_EQ(t->query.group_by, std::vector<std::string>{"arm"});
}

}  // namespace
}  // namespace cipherstat
