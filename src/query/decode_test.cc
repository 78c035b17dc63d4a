// DecodeSums on plaintext sums: no keys, no encryption. Each test describes records, packs the
// sums that the layout's slots would hold for them (computed here from layout.h's encoding, not
// with RecordEncoder), decodes, and compares with statistics computed directly from the records
// in exact rational arithmetic, rounded once to the nearest double.
#include "query/decode.h"

#include <gmpxx.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
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
    return DecodeSums(schema_, layout_, plan, std::move(sums), records, ReleaseOptions(min_cell));
  }

  // Decodes sums packed (and perhaps tampered with) by hand; the dataset is their records.
  Result<ResultTable> DecodeGroups(const Plan& plan, std::vector<GroupSums> groups,
                                   uint64_t min_cell) const {
    uint64_t records = 0;
    for (const GroupSums& g : groups) records += g.records;
    return DecodeSums(schema_, layout_, plan, std::move(groups), records, ReleaseOptions(min_cell));
  }

  // Adds `delta` to one slot of a group's sums, as a compute party could by adding an
  // encrypted constant (the slot must stay within its width and non-negative).
  void AddToSlot(const Plan& plan, GroupSums* g, SlotKind kind, const std::string& variable,
                 long delta, const std::string& by = "", int level = -1, int bin = -1) const {
    const int index = layout_.Find(kind, variable, by, level, bin);
    ASSERT_GE(index, 0);
    const Slot& slot = layout_.slots()[static_cast<size_t>(index)];
    const auto at = std::find(plan.ciphertexts.begin(), plan.ciphertexts.end(), slot.ciphertext);
    ASSERT_NE(at, plan.ciphertexts.end());
    BigInt& p = g->plaintexts[static_cast<size_t>(at - plan.ciphertexts.begin())];
    mpz_class v;
    mpz_set(v.get_mpz_t(), p.get());
    v += mpz_class(delta) << slot.offset;
    ASSERT_GE(sgn(v), 0);
    mpz_set(p.get(), v.get_mpz_t());
  }

  // A tamper for Refusal: adds `delta` to one slot (AddToSlot).
  auto Adding(SlotKind kind, const std::string& variable, long delta, const std::string& by = "",
              int level = -1, int bin = -1) const {
    return [=, this](const Plan& plan, GroupSums* g) {
      AddToSlot(plan, g, kind, variable, delta, by, level, bin);
    };
  }

  // The exact message with which decoding `records` under `sql`, with `tamper` applied to
  // their one group's sums, is refused (empty if it is not).
  template <typename Tamper>
  std::string Refusal(const std::string& sql, const std::vector<Record>& records,
                      Tamper tamper) const {
    const Plan plan = MustPlan(sql);
    GroupSums g = Pack(plan, records);
    tamper(plan, &g);
    auto t = DecodeGroups(plan, {g}, 11);
    if (t.ok()) return "";
    EXPECT_EQ(t.status().code(), Status::Code::kCorruption) << t.status().ToString();
    return t.status().message();
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
      return "suppressed (" + SuppressedWhy(c) + ")";
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
    case Cell::Kind::kSuppressed:
      return a.hidden == b.hidden && a.text == b.text;
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
  // B's 2 records are a small cell. A's 10 would be the header's 12 records minus B's, so A is
  // hidden too (complementary), with every cell resting on its records.
  const Cell header = Cell::Complementary("the header's record count");
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Text("A"), header, header, header, header}));
  EXPECT_TRUE(RowIs(t->rows[1], {Cell::Text("B"), Cell::Suppressed(), Cell::Suppressed(),
                                 Cell::Suppressed(), Cell::Suppressed()}));
  // Zero records is no small cell: a count of 0 is released.
  std::vector<Record> binned(8);
  for (size_t i = 0; i < binned.size(); ++i) binned[i].fixed["cd4"] = i < 6 ? 50 : 300;
  auto histogram = Decode("SELECT HISTOGRAM(cd4) FROM trial", {binned}, 5);
  ASSERT_TRUE(histogram.ok()) << histogram.status().ToString();
  // The table shows no total of the bins (cd4 may be missing, so the header's 8 records are
  // not one): the one small bin is all there is to hide.
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

// --- Disclosure control inside one table (query/disclosure.h) ----------------------------------

// `n` records with cd4 = `value` (-1: missing), arm `level` (-1: missing).
Record Patients(uint64_t n, int64_t value, int level = -1) {
  Record r;
  if (value >= 0) r.fixed["cd4"] = value;
  if (level >= 0) r.level["arm"] = level;
  r.copies = n;
  return r;
}

// An analyst's arithmetic on a released table: cells that add up to a total (a cell of the
// table, or a number printed beside it), solved one unknown at a time — each relation with a
// single hidden cell gives it — until nothing changes. `at_least_one` also uses what every
// reader knows about a hidden count (1 or more: a 0 is shown), so that k hidden cells adding
// up to k are each 1.
struct Sum {
  std::vector<std::pair<size_t, size_t>> parts;
  std::optional<std::pair<size_t, size_t>> total_cell;
  int64_t total = 0;  // when there is no total cell
};

std::map<std::pair<size_t, size_t>, int64_t> Recover(const ResultTable& t,
                                                     const std::vector<Sum>& sums,
                                                     bool at_least_one = false) {
  std::map<std::pair<size_t, size_t>, int64_t> known, recovered;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    for (size_t c = 0; c < t.rows[r].size(); ++c) {
      if (t.rows[r][c].kind == Cell::Kind::kInteger) known[{r, c}] = t.rows[r][c].integer;
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (const Sum& s : sums) {
      std::vector<std::pair<size_t, size_t>> unknown;
      int64_t rest = s.total;
      if (s.total_cell) {
        auto it = known.find(*s.total_cell);
        if (it == known.end()) continue;
        rest = it->second;
      }
      for (const auto& cell : s.parts) {
        auto it = known.find(cell);
        if (it == known.end()) {
          unknown.push_back(cell);
        } else {
          rest -= it->second;
        }
      }
      if (unknown.size() == 1 ||
          (at_least_one && !unknown.empty() && rest == static_cast<int64_t>(unknown.size()))) {
        for (const auto& cell : unknown) {
          known[cell] = unknown.size() == 1 ? rest : 1;
          recovered[cell] = known[cell];
        }
        changed = true;
      }
    }
  }
  return recovered;
}

// `open` with only its cells of 1..min_cell-1 records hidden: the per-cell rule before this
// one, where every count cell is its own support.
ResultTable PrimaryOnly(ResultTable open, int64_t min_cell) {
  for (auto& row : open.rows) {
    for (Cell& c : row) {
      if (c.kind == Cell::Kind::kInteger && c.integer > 0 && c.integer < min_cell) {
        c = Cell::Suppressed();
      }
    }
  }
  return open;
}

TEST_F(DecodeTest, AttackCountMinusTheOtherBinsRecoversNoHiddenBin) {
  // Issue 16: SELECT COUNT(cd4), HISTOGRAM(cd4) with one bin of 2 patients.
  const std::vector<Record> records = {Patients(20, 100), Patients(2, 300), Patients(15, 800),
                                       Patients(3, -1)};
  const std::string sql = "SELECT COUNT(*), COUNT(cd4), HISTOGRAM(cd4) FROM trial";
  auto t = Decode(sql, {records}, 11);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  // The bins cover cd4's bounds [0, 2000], so they add up to COUNT(cd4): the smallest other
  // bin (15) is hidden with the small one.
  EXPECT_TRUE(
      RowIs(t->rows[0], {Cell::Integer(40), Cell::Integer(37), Cell::Integer(20),
                         Cell::Suppressed(), Cell::Complementary("bins of cd4 = count(cd4)")}));
  const std::vector<Sum> attack = {{{{0, 2}, {0, 3}, {0, 4}}, std::pair<size_t, size_t>{0, 1}}};
  EXPECT_TRUE(Recover(*t, attack, true).empty());
  // Under the per-cell rule the same subtraction gave the hidden bin: 37 − 20 − 15 = 2.
  auto open = Decode(sql, {records}, 0);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  const auto before = Recover(PrimaryOnly(*open, 11), attack);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before.begin()->second, 2);
}

TEST_F(DecodeTest, AttackTwoHiddenBinsOfOnePatientEachAreNotRecoveredByTheirBounds) {
  // Two hidden bins adding up to 2 would each be 1 (a hidden count is at least 1): the rule
  // hides the third bin as well.
  const std::vector<Record> records = {Patients(1, 100), Patients(1, 300), Patients(28, 800)};
  auto t = Decode("SELECT COUNT(cd4), HISTOGRAM(cd4) FROM trial", {records}, 11);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Integer(30), Cell::Suppressed(), Cell::Suppressed(),
                                 Cell::Complementary("bins of cd4 = count(cd4)")}));
  const std::vector<Sum> attack = {{{{0, 1}, {0, 2}, {0, 3}}, std::pair<size_t, size_t>{0, 0}}};
  EXPECT_TRUE(Recover(*t, attack, true).empty());
  auto open = Decode("SELECT COUNT(cd4), HISTOGRAM(cd4) FROM trial", {records}, 0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(Recover(PrimaryOnly(*open, 11), attack, true).size(), 2u);
}

TEST_F(DecodeTest, AttackHeaderMinusTheOtherLevelsRecoversNoHiddenGroup) {
  // Issue 16: GROUP BY a private column with one small level; the header prints the total.
  std::vector<Record> records = {Patients(30, 100, 0), Patients(3, 250, 1), Patients(12, 400)};
  for (Record& r : records) r.fixed["weight"] = 700;
  const std::string sql = "SELECT arm, COUNT(*), AVG(weight), SUM(cd4) FROM trial GROUP BY arm";
  auto t = Decode(sql, {records}, 11);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->dataset_records, 45u);
  ASSERT_EQ(t->rows.size(), 3u);
  // B (3 records) is hidden; 45 − 30 would give it, so the NULL row (12 < 30) is hidden too,
  // its mean and sum with it.
  const Cell header = Cell::Complementary("the header's record count");
  EXPECT_TRUE(
      RowIs(t->rows[0], {Cell::Text("A"), Cell::Integer(30), Cell::Real(70), Cell::Integer(3000)}));
  EXPECT_TRUE(RowIs(t->rows[1],
                    {Cell::Text("B"), Cell::Suppressed(), Cell::Suppressed(), Cell::Suppressed()}));
  EXPECT_TRUE(RowIs(t->rows[2], {Cell::Null(), header, header, header}));
  const int64_t total = static_cast<int64_t>(t->dataset_records);
  const std::vector<Sum> attack = {{{{0, 1}, {1, 1}, {2, 1}}, std::nullopt, total}};
  EXPECT_TRUE(Recover(*t, attack, true).empty());
  auto open = Decode(sql, {records}, 0);
  ASSERT_TRUE(open.ok());
  const auto before = Recover(PrimaryOnly(*open, 11), attack);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before.begin()->second, 3);
}

TEST_F(DecodeTest, ComplementarySuppressionCoversTheMarginsOfATwoWayTable) {
  // site (public) by arm (private): north A 20, B 3, NULL 15; south A 25, B 14, NULL 12.
  const std::vector<Record> north = {Patients(20, 100, 0), Patients(3, 100, 1), Patients(15, 100)};
  const std::vector<Record> south = {Patients(25, 100, 0), Patients(14, 100, 1), Patients(12, 100)};
  auto t = Decode("SELECT site, arm, COUNT(*), AVG(cd4) FROM trial GROUP BY site, arm",
                  {north, south}, 11, {{"north"}, {"south"}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 6u);
  // The rule, step by step: arm=B's column has one hidden cell (north B): hide south B (its
  // only other). site=north's row has one (north B): hide the smaller of 20 and 15. arm=NULL's
  // column now has one (north NULL): hide south NULL. Every row and column then has two, and
  // the four hidden cells form a cycle no combination of margins resolves.
  auto row = [](const char* site, Cell arm, Cell count) {
    return std::vector<Cell>{Cell::Text(site), arm, count,
                             count.kind == Cell::Kind::kInteger ? Cell::Real(100) : count};
  };
  const std::vector<std::vector<Cell>> want = {
      row("north", Cell::Text("A"), Cell::Integer(20)),
      row("north", Cell::Text("B"), Cell::Suppressed()),
      row("north", Cell::Null(), Cell::Complementary("total of site=north")),
      row("south", Cell::Text("A"), Cell::Integer(25)),
      row("south", Cell::Text("B"), Cell::Complementary("total of arm=B")),
      row("south", Cell::Null(), Cell::Complementary("total of arm=NULL")),
  };
  for (size_t r = 0; r < want.size(); ++r) EXPECT_TRUE(RowIs(t->rows[r], want[r])) << r;
  // The margins, as the same query by site alone or by arm alone would publish them, and the
  // header's total.
  const std::vector<Sum> attack = {
      {{{0, 2}, {1, 2}, {2, 2}}, std::nullopt, 38},
      {{{3, 2}, {4, 2}, {5, 2}}, std::nullopt, 51},
      {{{0, 2}, {3, 2}}, std::nullopt, 45},
      {{{1, 2}, {4, 2}}, std::nullopt, 17},
      {{{2, 2}, {5, 2}}, std::nullopt, 27},
      {{{0, 2}, {1, 2}, {2, 2}, {3, 2}, {4, 2}, {5, 2}}, std::nullopt, 89}};
  EXPECT_TRUE(Recover(*t, attack, true).empty());
}

TEST_F(DecodeTest, AWhereTableProtectsItsFilteredTotalWhenThatIsPublishable) {
  // The header counts the whole dataset, not the filtered rows; their total (38) is what
  // SELECT COUNT(*) ... WHERE site = 'north' would release.
  const std::vector<Record> north = {Patients(20, 100, 0), Patients(3, 100, 1), Patients(15, 100)};
  auto t = Decode("SELECT arm, COUNT(*) FROM trial WHERE site = 'north' GROUP BY arm", {north}, 11);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Text("A"), Cell::Integer(20)}));
  EXPECT_TRUE(RowIs(t->rows[1], {Cell::Text("B"), Cell::Suppressed()}));
  EXPECT_TRUE(RowIs(t->rows[2], {Cell::Null(), Cell::Complementary("table total")}));
}

TEST_F(DecodeTest, NoRelationNoComplementAndNothingAtAllBelowMinCellTwo) {
  // A public GROUP BY with WHERE and only means: each hidden mean rests on its own count, and
  // the counts of x present add up to a publishable total, so one more is hidden.
  const std::vector<Record> a = {Patients(30, 100)}, b = {Patients(4, 100)}, c = {Patients(12, 90)};
  auto t = Decode("SELECT site, AVG(cd4) FROM trial GROUP BY site", {a, b, c}, 11,
                  {{"north"}, {"south"}, {""}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(RowIs(t->rows[0], {Cell::Text("north"), Cell::Real(100)}));
  EXPECT_TRUE(RowIs(t->rows[1], {Cell::Text("south"), Cell::Suppressed()}));
  EXPECT_TRUE(RowIs(t->rows[2], {Cell::Null(), Cell::Complementary("table total")}));
  auto open = Decode("SELECT site, AVG(cd4) FROM trial GROUP BY site", {a, b, c}, 1,
                     {{"north"}, {"south"}, {""}});
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(RowIs(open->rows[1], {Cell::Text("south"), Cell::Real(100)}));
}

// --- Sanity checks: refused as corrupt or tampered ---------------------------------------------

TEST_F(DecodeTest, LevelsAddingUpToMoreThanTheirGroupAreRefused) {
  EXPECT_EQ(Refusal("SELECT arm, COUNT(*) FROM trial GROUP BY arm",
                    {Patients(30, 100, 0), Patients(10, 100, 1)},
                    Adding(SlotKind::kLevel, "arm", 2, "", 0)),
            "result refused as corrupt or tampered: row arm=NULL, count(*): -2 records: the "
            "levels of arm add up to 42, more than the group's 40");
}

TEST_F(DecodeTest, ANegativeCountOfValuesIsRefused) {
  // A: 5 records, 3 with cd4; NULL: 2 records, 1 with cd4. Two more values claimed for A
  // leave the NULL row -1.
  EXPECT_EQ(Refusal("SELECT arm, COUNT(cd4) FROM trial GROUP BY arm",
                    {Patients(3, 100, 0), Patients(2, -1, 0), Patients(1, 100), Patients(1, -1)},
                    Adding(SlotKind::kObserved, "cd4", 2, "arm", 0)),
            "result refused as corrupt or tampered: row arm=NULL, count(cd4): a negative count of "
            "values (-1)");
}

TEST_F(DecodeTest, MoreValuesThanRecordsAreRefused) {
  EXPECT_EQ(Refusal("SELECT COUNT(cd4) FROM trial", {Patients(2, 100)},
                    Adding(SlotKind::kObserved, "cd4", 3)),
            "result refused as corrupt or tampered: count(cd4): 5 values in a row of 2 records");
  EXPECT_EQ(Refusal("SELECT COUNT(arm) FROM trial", {Patients(4, 100, 0)},
                    Adding(SlotKind::kLevel, "arm", 1, "", 0)),
            "result refused as corrupt or tampered: count(arm): 5 records with a value in a row of "
            "4 records");
}

TEST_F(DecodeTest, AMeanOutsideTheColumnsBoundsIsRefused) {
  EXPECT_EQ(Refusal("SELECT AVG(cd4) FROM trial", {Patients(4, 100)},
                    Adding(SlotKind::kSum, "cd4", 8000)),
            "result refused as corrupt or tampered: avg(cd4): mean 2100 outside the column's "
            "bounds [0, 2000]");
  // Offset encoding: weight's sums are of y = 10·x − 300, within [0, 1200] each.
  Record light;  // weight 30.0: y = 0
  light.fixed["weight"] = 300;
  light.copies = 2;
  EXPECT_EQ(Refusal("SELECT site, AVG(weight) FROM trial GROUP BY site", {light},
                    [&](const Plan& plan, GroupSums* g) {
                      g->key = {"north"};
                      AddToSlot(plan, g, SlotKind::kSum, "weight", 2 * 1200 + 1);
                    }),
            "result refused as corrupt or tampered: row site=north, avg(weight): mean 150.05 "
            "outside the column's bounds [30, 150]");
  // Below the minimum: the NULL row's sum is the total minus the levels'. A (10 records at
  // 30.0) is claimed to sum to 300 (with squares to match); NULL (2 at 40.0) is left −100.
  Record a = light, none;
  a.level["arm"] = 0;
  a.copies = 10;
  none.fixed["weight"] = 400;
  none.copies = 2;
  EXPECT_EQ(Refusal("SELECT arm, AVG(weight) FROM trial GROUP BY arm", {a, none},
                    [&](const Plan& plan, GroupSums* g) {
                      AddToSlot(plan, g, SlotKind::kSum, "weight", 300, "arm", 0);
                      AddToSlot(plan, g, SlotKind::kSumSquares, "weight", 9000, "arm", 0);
                    }),
            "result refused as corrupt or tampered: row arm=NULL, avg(weight): mean 25 outside "
            "the column's bounds [30, 150]");
  EXPECT_EQ(
      Refusal("SELECT AVG(cd4) FROM trial", {Patients(2, -1)},
              [&](const Plan& p, GroupSums* s) { AddToSlot(p, s, SlotKind::kSum, "cd4", 5); }),
      "result refused as corrupt or tampered: avg(cd4): non-zero sums over no values");
}

TEST_F(DecodeTest, ANegativeVarianceIsRefused) {
  // cd4 100 and 300: Σy = 400, Σy² = 100000; with Σy² = 0, n·Σy² < (Σy)².
  EXPECT_EQ(
      Refusal("SELECT VARIANCE(cd4), COUNT(cd4) FROM trial", {Patients(1, 100), Patients(1, 300)},
              Adding(SlotKind::kSumSquares, "cd4", -100000)),
      "result refused as corrupt or tampered: variance(cd4): negative variance (n·Σy² < "
      "(Σy)²)");
  // And squares no values within [0, 2000] give: Σy² > 2000·Σy.
  EXPECT_EQ(Refusal("SELECT VARIANCE(cd4) FROM trial", {Patients(1, 100), Patients(1, 300)},
                    Adding(SlotKind::kSumSquares, "cd4", 1000000)),
            "result refused as corrupt or tampered: variance(cd4): sum of squares beyond the "
            "column's bounds [0, 2000]");
}

TEST_F(DecodeTest, BinsAddingUpToMoreThanTheirCountAreRefused) {
  const std::vector<Record> records = {Patients(3, 100), Patients(1, -1)};
  const std::string sql = "SELECT COUNT(cd4), HISTOGRAM(cd4) FROM trial";
  EXPECT_EQ(Refusal(sql, records, Adding(SlotKind::kBin, "cd4", 1, "", -1, 1)),
            "result refused as corrupt or tampered: histogram(cd4)[0,200): the bins add up to 4 "
            "records, more than the 3 with cd4 present");
  EXPECT_EQ(Refusal(sql, records, Adding(SlotKind::kBin, "cd4", 2, "", -1, 2)),
            "result refused as corrupt or tampered: histogram(cd4)[0,200): the bins add up to 5 "
            "records, more than the row's 4");
  // The bins cover [0, 2000]: every value present is in one of them.
  EXPECT_EQ(Refusal(sql, records, Adding(SlotKind::kBin, "cd4", -1, "", -1, 0)),
            "result refused as corrupt or tampered: histogram(cd4)[0,200): the bins add up to 2 "
            "records, but they cover the column's bounds and 3 have cd4");
  // Without COUNT(cd4) the query reads no count of values: the row's records bound the bins.
  EXPECT_EQ(Refusal("SELECT HISTOGRAM(cd4) FROM trial", records,
                    Adding(SlotKind::kBin, "cd4", 1, "", -1, 1)),
            "");
}

// --- Differential privacy (decode.h, ReleaseOptions::epsilon) -----------------------------------

// A deterministic UniformBelow: the same seed replays the same draws.
UniformBelow Replay(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](const BigInt& bound) {
    const long below = *bound.ToLong();
    return BigInt::FromLong(std::uniform_int_distribution<long>(0, below - 1)(*rng));
  };
}

Rational Epsilon(const std::string& text) { return ParseEpsilon(text).value(); }

// Options for a release with ε (and its randomness, when given).
ReleaseOptions Dp(uint64_t min_cell, const Rational& epsilon, UniformBelow source = nullptr) {
  ReleaseOptions options(min_cell);
  options.epsilon = epsilon;
  options.noise_source = std::move(source);
  return options;
}

TEST_F(DecodeTest, DpNoisyCountStarHasTheDiscreteLaplaceMeanAndVariance) {
  // COUNT(*) alone reads one slot family (k = 1): scale 1/ε = 1, p = e^-1.
  const Plan plan = MustPlan("SELECT COUNT(*) FROM trial");
  const GroupSums sums = Pack(plan, {Patients(1000, 500)});
  const ReleaseOptions options = Dp(0, Epsilon("1"));
  constexpr int kDraws = 2000;
  double sum = 0, squares = 0;
  std::map<long, int> seen;
  for (int i = 0; i < kDraws; ++i) {
    auto t = DecodeSums(schema_, layout_, plan, {sums}, 1000, options);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_EQ(t->rows[0][0].kind, Cell::Kind::kInteger);
    const double x = static_cast<double>(t->rows[0][0].integer - 1000);
    sum += x;
    squares += x * x;
    ++seen[static_cast<long>(x)];
  }
  // The distribution's moments, from its probabilities (1-p)/(1+p)·p^|x|.
  const double p = std::exp(-1.0);
  double variance = 0, fourth = 0, zero = (1 - p) / (1 + p);
  for (int x = 1; x < 200; ++x) {
    const double mass = 2 * zero * std::pow(p, x);
    variance += mass * x * x;
    fourth += mass * std::pow(x, 4);
  }
  ASSERT_NEAR(variance, 2 * p / ((1 - p) * (1 - p)), 1e-12);
  // Mean 0: Bernstein's inequality for the sub-exponential noise (E|X|^k <= k!·σ²·b^(k-2)/2
  // with b = 2, checked numerically) puts |mean| above 0.2 with probability below
  // 2·exp(-n·0.04/(2(σ²+0.4))) ≈ 4e-8.
  EXPECT_LT(std::abs(sum / kDraws), 0.2);
  // Variance σ² ≈ 1.84: the mean of X² has standard deviation sqrt((E X⁴ − σ⁴)/n) ≈ 0.09;
  // 7 of them (a normal approximation, tail 3e-12, leaving margin for the skew of X²; the
  // exact bound below covers the whole distribution, scale included).
  const double spread = std::sqrt((fourth - variance * variance) / kDraws);
  EXPECT_NEAR(squares / kDraws, variance, 7 * spread) << "spread " << spread;
  // The whole distribution: the empirical CDF is within 0.062 of P(X <= x) everywhere
  // (Dvoretzky–Kiefer–Wolfowitz with Massart's constant: failure below 2·exp(-2n·0.062²) =
  // 4.2e-7 for n = 2000). A scale of 2 instead of 1 moves P(X <= 0) by 0.11.
  double cdf = 0, empirical = 0;
  for (long x = -40; x <= 40; ++x) {
    cdf += zero * std::pow(p, std::abs(static_cast<double>(x)));
    empirical += static_cast<double>(seen[x]) / kDraws;
    EXPECT_NEAR(empirical, cdf, 0.062) << "at " << x;
  }
}

TEST_F(DecodeTest, DpNoiseIsAddedToTheSumsBeforeTheMean) {
  // cd4 may be missing: COUNT(cd4), SUM and AVG read count, observed, sum and sumsq: k = 4.
  const std::string sql = "SELECT COUNT(*), COUNT(cd4), SUM(cd4), AVG(cd4) FROM trial";
  const Plan plan = MustPlan(sql);
  const std::vector<Record> records = {Patients(600, 500), Patients(400, 1200), Patients(50, -1)};
  const Rational epsilon = Epsilon("0.5");
  const ReleaseOptions options = Dp(0, epsilon, Replay(42));
  auto t = DecodeSums(schema_, layout_, plan, {Pack(plan, records)}, 1050, options);
  ASSERT_TRUE(t.ok()) << t.status().ToString();

  // The same draws, replayed: one per slot the plan reads, in slot order, scale Δ·4/ε.
  ASSERT_EQ(plan.slots.size(), 4u);
  const UniformBelow replay = Replay(42);
  std::map<SlotKind, BigInt> noise;
  std::map<SlotKind, double> scale;
  for (int index : plan.slots) {
    const Slot& s = layout_.slots()[static_cast<size_t>(index)];
    const uint64_t delta = s.kind == SlotKind::kSum          ? 2000
                           : s.kind == SlotKind::kSumSquares ? 2000 * 2000
                                                             : 1;
    const DiscreteLaplace d =
        DiscreteLaplace::ForSum(delta, Rational::Make(BigInt(1), BigInt(8)).value()).value();
    noise[s.kind] = d.Sample(replay);
    scale[s.kind] = d.scale().ToDouble();
  }
  EXPECT_EQ(scale[SlotKind::kCount], 8);  // 1·k/ε = 4/0.5
  EXPECT_EQ(scale[SlotKind::kSum], 16000);
  EXPECT_EQ(scale[SlotKind::kSumSquares], 32000000);
  const long n = 1000 + *noise[SlotKind::kObserved].ToLong();
  const long sum = 600 * 500 + 400 * 1200 + *noise[SlotKind::kSum].ToLong();
  const std::vector<Cell>& row = t->rows[0];
  EXPECT_EQ(row[0].integer, 1050 + *noise[SlotKind::kCount].ToLong());
  EXPECT_EQ(row[1].integer, n);
  EXPECT_EQ(row[2].integer, sum);
  ASSERT_EQ(row[3].kind, Cell::Kind::kReal);
  EXPECT_EQ(row[3].real, Nearest(mpq_class(sum, n))) << "mean = noisy sum / noisy count";

  // Each cell's noise: exact for one slot, propagated for the mean.
  const DiscreteLaplace count8 = DiscreteLaplace::WithScale(Rational::Integer(8)).value();
  const DiscreteLaplace sum16000 = DiscreteLaplace::WithScale(Rational::Integer(16000)).value();
  for (int c : {0, 1}) {
    ASSERT_TRUE(row[c].noise);
    EXPECT_EQ(row[c].noise->scale, 8);
    EXPECT_EQ(row[c].noise->half_width95, static_cast<double>(count8.HalfWidth95()));
    EXPECT_FALSE(row[c].noise->approximate);
  }
  ASSERT_TRUE(row[2].noise);
  EXPECT_EQ(row[2].noise->scale, 16000);
  EXPECT_EQ(row[2].noise->half_width95, static_cast<double>(sum16000.HalfWidth95()));
  ASSERT_TRUE(row[3].noise);
  EXPECT_TRUE(row[3].noise->approximate);
  const double dn = static_cast<double>(n), ds = static_cast<double>(sum);
  const double sd = std::sqrt(sum16000.Variance() / (dn * dn) +
                              ds * ds * count8.Variance() / (dn * dn * dn * dn));
  EXPECT_DOUBLE_EQ(row[3].noise->scale, sd);
  EXPECT_DOUBLE_EQ(row[3].noise->half_width95, 1.96 * sd);

  // The release spends ε and withholds the exact record count.
  ASSERT_TRUE(t->epsilon);
  EXPECT_EQ(*t->epsilon, epsilon);
  EXPECT_EQ(t->dataset_records, 0u);
}

TEST_F(DecodeTest, DpSplitsEpsilonEvenlyOverTheSlotFamiliesARecordCanReach) {
  struct Case {
    std::string sql, epsilon;
    size_t column;
    double scale;  // Δ·k/ε
  };
  const std::vector<Case> cases = {
      {"SELECT COUNT(*) FROM trial", "0.1", 0, 10},  // k = 1
      {"SELECT COUNT(*) FROM trial", "2", 0, 0.5},
      // count and the bins (one family: a record falls in one bin): k = 2.
      {"SELECT COUNT(*), HISTOGRAM(cd4) FROM trial", "1", 0, 2},
      {"SELECT COUNT(*), HISTOGRAM(cd4) FROM trial", "1", 2, 2},
      // count, observed, sum, sumsq: k = 4; Σcd4 has Δ = 2000.
      {"SELECT SUM(cd4) FROM trial", "1", 0, 8000},
      // GROUP BY arm over cd4: count, level(arm), and observed/sum/sumsq each in total and
      // crossed by arm: k = 8. The row arm=A's COUNT(*) is its level slot.
      {"SELECT arm, COUNT(*), AVG(cd4) FROM trial GROUP BY arm", "1", 1, 8},
      // flag is 0/1 (no sumsq slot): count, observed, sum: k = 3, Δ(sum) = 1.
      {"SELECT SUM(flag) FROM trial", "0.25", 0, 12},
  };
  const std::vector<Record> records = {Patients(300, 100, 0), Patients(300, 700, 1)};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sql + " at ε = " + c.epsilon);
    const Plan plan = MustPlan(c.sql);
    std::vector<Record> with_flag = records;
    for (Record& r : with_flag) r.fixed["flag"] = 1;
    const ReleaseOptions options = Dp(0, Epsilon(c.epsilon));
    auto t = DecodeSums(schema_, layout_, plan, {Pack(plan, with_flag)}, 600, options);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    const Cell& cell = t->rows[0][c.column];
    ASSERT_TRUE(cell.noise);
    EXPECT_FALSE(cell.noise->approximate);
    EXPECT_EQ(cell.noise->scale, c.scale);
    EXPECT_EQ(*t->epsilon, Epsilon(c.epsilon));
  }
}

TEST_F(DecodeTest, DpChecksRunOnTheExactSumsAndNoiseKeepsRelationsConsistent) {
  // The record-count check still compares the exact count with the compute party's.
  const Plan plan = MustPlan("SELECT arm, COUNT(*) FROM trial GROUP BY arm");
  GroupSums g = Pack(plan, {Patients(300, 100, 0), Patients(200, 700, 1), Patients(40, 5)});
  GroupSums tampered = g;
  tampered.records += 1;
  const ReleaseOptions options = Dp(0, Epsilon("1"), Replay(7));
  auto bad = DecodeSums(schema_, layout_, plan, {tampered}, 541, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kCorruption);
  auto dropped = DecodeSums(schema_, layout_, plan, {g}, 541, options);
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.status().message(),
            "result covers 540 records but the dataset manifest lists 541: records were dropped "
            "or duplicated");
  // The NULL row is the noisy total minus the noisy levels: the released rows add up to the
  // noisy count, one draw per slot.
  auto t = DecodeSums(schema_, layout_, plan, {g}, 540, options);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_TRUE(t->rows[2][1].noise->approximate) << "total minus levels: three draws";
  EXPECT_FALSE(t->rows[0][1].noise->approximate);
  // Exact: no noise anywhere, and the record count is kept.
  auto exact = DecodeSums(schema_, layout_, plan, {g}, 540, ReleaseOptions(0));
  ASSERT_TRUE(exact.ok());
  EXPECT_FALSE(exact->epsilon);
  EXPECT_EQ(exact->dataset_records, 540u);
  for (const auto& row : exact->rows) {
    for (const Cell& cell : row) EXPECT_FALSE(cell.noise);
  }
}

TEST_F(DecodeTest, DpSmallNoisyCountsAreStillSuppressedAndImpossibleValuesClamped) {
  // A tiny group with a large scale: the noisy count is often negative (released as 0) or
  // small (suppressed), and a mean never leaves the column's bounds.
  const Plan plan = MustPlan("SELECT COUNT(*), AVG(cd4), STDDEV(cd4) FROM trial");
  const GroupSums g = Pack(plan, {Patients(3, 1999)});
  const ReleaseOptions options = Dp(11, Epsilon("0.05"));
  int suppressed = 0;
  for (int i = 0; i < 400; ++i) {
    auto t = DecodeSums(schema_, layout_, plan, {g}, 3, options);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    const std::vector<Cell>& row = t->rows[0];
    if (row[0].kind == Cell::Kind::kSuppressed) {
      ++suppressed;
      continue;
    }
    ASSERT_EQ(row[0].kind, Cell::Kind::kInteger);
    EXPECT_TRUE(row[0].integer == 0 || row[0].integer >= 11) << row[0].integer;
    if (row[1].kind == Cell::Kind::kReal) {
      EXPECT_GE(row[1].real, 0);
      EXPECT_LE(row[1].real, 2000);
    }
    if (row[2].kind == Cell::Kind::kReal) {
      EXPECT_GE(row[2].real, 0);
    }
  }
  // Scale 80 (k = 4): P(3 + X in 1..10) ≈ 10/160 per draw, so none in 400 has probability
  // (1 - 1/16)^400 < 1e-11.
  EXPECT_GT(suppressed, 0);
}

}  // namespace
}  // namespace cipherstat
