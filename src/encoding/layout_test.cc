#include "encoding/layout.h"

#include <gmp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "encoding/catalog.h"
#include "encoding/schema.h"

namespace cipherstat {
namespace {

__extension__ typedef unsigned __int128 u128;

int Bits(u128 v) {
  int bits = 0;
  for (; v != 0; v >>= 1) ++bits;
  return bits;
}

int64_t Scale(int decimals) {
  int64_t s = 1;
  for (int i = 0; i < decimals; ++i) s *= 10;
  return s;
}

Column Numeric(std::string name, double min, double max, int decimals) {
  Column c;
  c.name = std::move(name);
  c.kind = ColumnKind::kNumeric;
  c.min = min;
  c.max = max;
  c.decimals = decimals;
  return c;
}

Column Categorical(std::string name, std::vector<std::string> levels) {
  Column c;
  c.name = std::move(name);
  c.kind = ColumnKind::kCategorical;
  c.levels = std::move(levels);
  return c;
}

// A schema with every kind of slot: identifier, public column, numeric with decimals and a
// negative minimum, a 0/1 groupable column, a drop_row column, bins, a derived indicator and
// crosses.
Schema TestSchema(uint64_t max_records = 1000) {
  Schema s;
  s.name = "trial";
  s.max_records = max_records;
  Column id;
  id.name = "pid";
  id.kind = ColumnKind::kIdentifier;
  Column site = Categorical("site", {"north", "south", "east"});
  site.is_public = true;
  Column cd4 = Numeric("cd4", 0, 2000, 0);
  cd4.bins = {0, 200, 350, 500, INFINITY};
  Column arm = Numeric("arm", 0, 3, 0);
  arm.levels = {"0", "1", "2", "3"};
  Column flag = Numeric("flag", 0, 1, 0);
  Column temp = Numeric("temp", -40, 45.5, 1);
  Column weight = Numeric("weight", 30.25, 160.5, 2);
  weight.on_invalid = OnInvalid::kDropRow;
  s.columns = {id, site, cd4, arm, Categorical("sex", {"F", "M"}), flag, temp, weight};
  s.derived = {{"low_cd4", "cd4", "<", 200}};
  s.crosses = {{"arm", {"cd4", "temp", "low_cd4", "weight"}}, {"sex", {"cd4", "flag"}}};
  return s;
}

// The largest value one record puts into a slot, computed from the schema alone.
u128 MaxPerRecord(const Schema& schema, const Slot& s) {
  if (s.kind != SlotKind::kSum && s.kind != SlotKind::kSumSquares) return 1;
  u128 range = 1;  // derived indicators
  if (const Column* c = schema.FindColumn(s.variable)) {
    range = static_cast<u128>(std::llround(c->max * Scale(c->decimals)) -
                              std::llround(c->min * Scale(c->decimals)));
  }
  return s.kind == SlotKind::kSum ? range : range * range;
}

Layout MustBuild(const Schema& schema, int bits = 2046) {
  auto layout = Layout::Build(schema, bits);
  EXPECT_TRUE(layout.ok()) << layout.status().ToString();
  return layout.ok() ? std::move(layout).value() : Layout();
}

TEST(LayoutTest, WidthsAreBitsOfMaxRecordsTimesTheLargestPerRecordValue) {
  for (uint64_t max_records :
       {uint64_t{1}, uint64_t{5}, uint64_t{1000}, uint64_t{1000000}, uint64_t{1} << 40}) {
    SCOPED_TRACE(max_records);
    const Schema schema = TestSchema(max_records);
    const Layout layout = MustBuild(schema);
    ASSERT_FALSE(layout.slots().empty());
    for (const Slot& s : layout.slots()) {
      if (s.kind == SlotKind::kTag) {  // max_records tags, each below 2^127 − 1
        EXPECT_EQ(s.width, 127 + Bits(max_records));
        continue;
      }
      const int expected = std::max(1, Bits(MaxPerRecord(schema, s) * max_records));
      EXPECT_EQ(s.width, expected) << "slot " << static_cast<int>(s.kind) << " " << s.variable
                                   << " by " << s.by << " level " << s.level;
    }
  }
  // Spot values: 1000 records of cd4 in [0, 2000]: sum ≤ 2·10^6 (21 bits), sumsq ≤ 4·10^9
  // (32 bits); the count ≤ 1000 (10 bits); temp at 1 place spans 855 (sum ≤ 855000: 20 bits).
  const Layout layout = MustBuild(TestSchema(1000));
  EXPECT_EQ(layout.slots()[static_cast<size_t>(layout.Find(SlotKind::kCount, ""))].width, 10);
  EXPECT_EQ(layout.slots()[static_cast<size_t>(layout.Find(SlotKind::kSum, "cd4"))].width, 21);
  EXPECT_EQ(layout.slots()[static_cast<size_t>(layout.Find(SlotKind::kSumSquares, "cd4"))].width,
            32);
  EXPECT_EQ(layout.slots()[static_cast<size_t>(layout.Find(SlotKind::kSum, "temp"))].width, 20);
}

// Every slot inside its plaintext, the data slots contiguous from bit 0, then the tag; no
// plaintext empty.
void ExpectPackedSoundly(const Layout& layout) {
  const int bits = layout.plaintext_bits();
  std::map<int, std::vector<std::pair<int, int>>> by_ciphertext;
  double data_bits = 0;
  for (const Slot& s : layout.slots()) {
    EXPECT_GE(s.offset, 0);
    EXPECT_GT(s.width, 0);
    EXPECT_LE(s.offset + s.width, bits) << s.variable << " crosses the plaintext boundary";
    EXPECT_GE(s.ciphertext, 0);
    EXPECT_LT(s.ciphertext, layout.num_ciphertexts());
    by_ciphertext[s.ciphertext].push_back({s.offset, s.offset + s.width});
    if (s.kind != SlotKind::kTag) data_bits += s.width;
  }
  EXPECT_EQ(static_cast<int>(by_ciphertext.size()), layout.num_ciphertexts())
      << "an empty plaintext";
  for (auto& [ct, ranges] : by_ciphertext) {
    std::sort(ranges.begin(), ranges.end());
    EXPECT_EQ(ranges[0].first, 0);
    for (size_t i = 1; i < ranges.size(); ++i) {
      EXPECT_EQ(ranges[i - 1].second, ranges[i].first) << "a gap or overlap in plaintext " << ct;
    }
    // The tag comes last, after every data slot of its plaintext.
    const Slot& tag = layout.slots()[static_cast<size_t>(layout.TagSlot(ct))];
    EXPECT_EQ(tag.offset + tag.width, ranges.back().second);
  }
  EXPECT_DOUBLE_EQ(layout.density(), data_bits / (layout.num_ciphertexts() * double(bits)));
}

TEST(LayoutTest, SlotsStayInsideOnePlaintextAndNeverOverlap) {
  for (int bits : {2046, 3070, 4094, 512, 300}) {
    SCOPED_TRACE(bits);
    const Layout layout = MustBuild(TestSchema(100000), bits);
    EXPECT_EQ(layout.plaintext_bits(), bits);
    ExpectPackedSoundly(layout);
  }
  // Smaller plaintexts need more of them.
  EXPECT_GT(MustBuild(TestSchema(100000), 300).num_ciphertexts(),
            MustBuild(TestSchema(100000), 2046).num_ciphertexts());
}

// Issue 19: units over half a plaintext cannot share one. Four crosses by two-level columns
// over six variables of [0, 1000] are 1,120 bits each (per level 6 × (20 observed + 30 sum +
// 40 sumsq), and 2 level slots of 20), with 560 more for the count and whole-dataset sums:
// 5,040 bits. Whole, the units take four plaintexts of 1,899 (2046 less a 147-bit tag); the
// crosses that fit no open plaintext fill the gaps instead, and three hold them all.
TEST(LayoutTest, UnitsFillTheGapsWhenThatSavesAPlaintext) {
  Schema s;
  s.name = "t";
  s.max_records = 1000000;
  std::vector<std::string> over;
  for (int i = 1; i <= 6; ++i) {
    over.push_back("x" + std::to_string(i));
    s.columns.push_back(Numeric(over.back(), 0, 1000, 0));
  }
  for (int g = 1; g <= 4; ++g) {
    const std::string by = "g" + std::to_string(g);
    s.columns.push_back(Categorical(by, {"a", "b"}));
    s.crosses.push_back({by, over});
  }
  const Layout layout = MustBuild(s);
  double data_bits = 0;
  for (const Slot& slot : layout.slots()) data_bits += slot.kind == SlotKind::kTag ? 0 : slot.width;
  EXPECT_EQ(data_bits, 5040);
  EXPECT_EQ(layout.num_ciphertexts(), 3);
  ExpectPackedSoundly(layout);

  // Where filling gaps saves nothing, each unit stays in one plaintext: a GROUP BY reads one
  // ciphertext besides the totals'.
  const Layout whole = MustBuild(TestSchema());
  for (const char* by : {"arm", "sex"}) {
    std::set<int> plaintexts;
    for (const Slot& slot : whole.slots()) {
      if (slot.by == by || (slot.kind == SlotKind::kLevel && slot.variable == by))
        plaintexts.insert(slot.ciphertext);
    }
    EXPECT_EQ(plaintexts.size(), 1u) << by;
  }
}

TEST(LayoutTest, SlotInventoryFollowsTheSchema) {
  const Schema schema = TestSchema();
  const Layout layout = MustBuild(schema);
  auto count = [&](SlotKind kind, const std::string& variable, const std::string& by) {
    int n = 0;
    for (const Slot& s : layout.slots())
      n += s.kind == kind && s.variable == variable && s.by == by;
    return n;
  };
  EXPECT_EQ(count(SlotKind::kCount, "", ""), 1);
  // Numeric variables: private numeric columns then derived, in schema order.
  std::vector<std::string> names;
  for (const VariableCodec& v : layout.variables()) names.push_back(v.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cd4", "arm", "flag", "temp", "weight", "low_cd4"}));
  const VariableCodec* temp = layout.FindVariable("temp");
  ASSERT_NE(temp, nullptr);
  EXPECT_EQ(temp->decimals, 1);
  EXPECT_EQ(temp->min_fixed, -400);
  EXPECT_EQ(temp->range, 855u);
  EXPECT_EQ(layout.FindVariable("site"), nullptr) << "public columns are not encrypted";
  EXPECT_EQ(layout.FindVariable("pid"), nullptr) << "identifiers are never encrypted";
  EXPECT_EQ(layout.FindVariable("sex"), nullptr) << "a categorical column is not numeric";
  // One-hot levels for private groupable columns only; bins per declared bin.
  EXPECT_EQ(count(SlotKind::kLevel, "arm", ""), 4);
  EXPECT_EQ(count(SlotKind::kLevel, "sex", ""), 2);
  EXPECT_EQ(count(SlotKind::kLevel, "site", ""), 0);
  EXPECT_EQ(count(SlotKind::kBin, "cd4", ""), 4);
  // Crosses: per level of `by`, the observed/sum/sumsq slots of each `over`.
  EXPECT_EQ(count(SlotKind::kSum, "cd4", "arm"), 4);
  EXPECT_EQ(count(SlotKind::kSumSquares, "temp", "arm"), 4);
  EXPECT_EQ(count(SlotKind::kSum, "flag", "sex"), 2);
  EXPECT_EQ(count(SlotKind::kSum, "temp", "sex"), 0);
  for (const Slot& s : layout.slots()) {
    EXPECT_NE(s.variable, "pid");
    EXPECT_NE(s.variable, "site");
    EXPECT_NE(s.by, "site");
  }
}

TEST(LayoutTest, IndicatorsHaveNoSumOfSquaresSlot) {
  const Layout layout = MustBuild(TestSchema());
  for (const char* indicator : {"flag", "low_cd4"}) {
    EXPECT_GE(layout.Find(SlotKind::kSum, indicator), 0) << indicator;
    EXPECT_EQ(layout.Find(SlotKind::kSumSquares, indicator), -1) << indicator << ": y² = y";
    EXPECT_EQ(layout.FindVariable(indicator)->range, 1u);
  }
  for (int level = 0; level < 4; ++level) {
    EXPECT_GE(layout.Find(SlotKind::kSum, "low_cd4", "arm", level), 0);
    EXPECT_EQ(layout.Find(SlotKind::kSumSquares, "low_cd4", "arm", level), -1);
  }
  EXPECT_GE(layout.Find(SlotKind::kSumSquares, "cd4"), 0);
  EXPECT_GE(layout.Find(SlotKind::kSumSquares, "arm"), 0) << "arm spans 0..3";
}

TEST(LayoutTest, DropRowColumnsHaveNoObservedSlot) {
  const Layout layout = MustBuild(TestSchema());
  EXPECT_FALSE(layout.FindVariable("weight")->can_be_missing);
  EXPECT_EQ(layout.Find(SlotKind::kObserved, "weight"), -1);
  EXPECT_GE(layout.Find(SlotKind::kSum, "weight"), 0);
  for (int level = 0; level < 4; ++level) {
    EXPECT_EQ(layout.Find(SlotKind::kObserved, "weight", "arm", level), -1);
    EXPECT_GE(layout.Find(SlotKind::kSum, "weight", "arm", level), 0);
  }
  EXPECT_TRUE(layout.FindVariable("cd4")->can_be_missing);
  EXPECT_GE(layout.Find(SlotKind::kObserved, "cd4"), 0);
  EXPECT_GE(layout.Find(SlotKind::kObserved, "low_cd4"), 0) << "missing when cd4 is";
}

TEST(LayoutTest, FindReturnsEachSlotsIndexAndMinusOneForAbsentSlots) {
  const Layout layout = MustBuild(TestSchema());
  for (size_t i = 0; i < layout.slots().size(); ++i) {
    const Slot& s = layout.slots()[i];
    EXPECT_EQ(layout.Find(s.kind, s.variable, s.by, s.level, s.bin), static_cast<int>(i));
  }
  EXPECT_EQ(layout.Find(SlotKind::kSum, "nope"), -1);
  EXPECT_EQ(layout.Find(SlotKind::kSum, "cd4", "arm", 4), -1);    // arm has levels 0..3
  EXPECT_EQ(layout.Find(SlotKind::kSum, "cd4", "site", 0), -1);   // no cross by a public column
  EXPECT_EQ(layout.Find(SlotKind::kBin, "cd4", "", -1, 4), -1);   // 4 bins: 0..3
  EXPECT_EQ(layout.Find(SlotKind::kBin, "temp", "", -1, 0), -1);  // temp has no bins
  EXPECT_EQ(layout.Find(SlotKind::kLevel, "sex", "", 2), -1);
}

TEST(LayoutTest, BuildRejectsASlotWiderThanThePlaintext) {
  Schema schema = TestSchema(uint64_t{1} << 40);
  auto layout = Layout::Build(schema, 48);  // cd4's sum of squares alone needs 62 bits
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(layout.status().message().find("bits"), std::string::npos)
      << layout.status().ToString();
}

// A data slot holds less than 2^126 (kMaxDataSlotBits), below the tag prime 2^127 − 1, so that
// no change to a slot is a multiple of it (encoding/authenticator.h).
TEST(LayoutTest, BuildRejectsSumsWiderThanATaggedSlotHolds) {
  Schema schema = TestSchema(uint64_t{1} << 40);
  for (Column& c : schema.columns) {
    if (c.name == "temp") c.max = 1e10;  // sum of squares: ~(10^11)^2 · 2^40 needs 114 bits
  }
  EXPECT_TRUE(Layout::Build(schema, 2046).ok());
  for (Column& c : schema.columns) {
    if (c.name == "temp") c.max = 1e12;  // ~(10^13)^2 · 2^40: 127 bits
  }
  auto layout = Layout::Build(schema, 2046);
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("more than the 126 a slot can hold under its tag"),
            std::string::npos)
      << layout.status().ToString();
}

TEST(LayoutTest, BuildRejectsAnInvalidSchemaInsteadOfCrashing) {
  Schema schema = TestSchema();
  schema.max_records = 0;
  EXPECT_FALSE(Layout::Build(schema, 2046).ok());
  schema = TestSchema();
  schema.crosses.push_back({"site", {"cd4"}});  // a cross by a public column
  EXPECT_FALSE(Layout::Build(schema, 2046).ok());
  schema = TestSchema();
  schema.crosses[0].over.push_back("nope");
  EXPECT_FALSE(Layout::Build(schema, 2046).ok());
}

TEST(LayoutTest, JsonRoundTripAndMismatchDetection) {
  const Layout layout = MustBuild(TestSchema());
  EXPECT_TRUE(layout.CheckMatches(layout.ToJson()).ok());
  // The same schema with a different record bound gives other widths.
  const Layout other = MustBuild(TestSchema(2000));
  Status s = layout.CheckMatches(other.ToJson());
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_EQ(layout.CheckMatches("{not json").code(), Status::Code::kCorruption);
}

// --- RecordEncoder ------------------------------------------------------------------------

// The header in a different order from the schema, with an extra column the schema ignores.
const std::vector<std::string> kHeader = {"temp", "extra", "sex",  "pid",   "cd4",
                                          "site", "arm",   "flag", "weight"};

std::vector<std::string> Row(const std::map<std::string, std::string>& values) {
  std::vector<std::string> row;
  for (const std::string& h : kHeader) {
    auto it = values.find(h);
    row.push_back(it == values.end() ? "" : it->second);
  }
  return row;
}

struct Encoded {
  Status status;
  std::vector<crypto::BigInt> plaintexts;
  std::vector<std::string> public_values;
};

Encoded Encode(const Schema& schema, const Layout& layout, const std::vector<std::string>& row) {
  Encoded out;
  auto encoder = RecordEncoder::Create(schema, layout, kHeader);
  EXPECT_TRUE(encoder.ok()) << encoder.status().ToString();
  if (!encoder.ok()) return out;
  out.status = encoder->Encode(row, &out.plaintexts, &out.public_values);
  return out;
}

uint64_t SlotValue(const Layout& layout, const Encoded& e, int index) {
  EXPECT_GE(index, 0);
  if (index < 0) return ~uint64_t{0};
  const Slot& s = layout.slots()[static_cast<size_t>(index)];
  crypto::BigInt v = ExtractSlot(e.plaintexts[static_cast<size_t>(s.ciphertext)], s);
  EXPECT_LE(mpz_sizeinbase(v.get(), 2), 64u);
  return mpz_get_ui(v.get());
}

// TestSchema with two product sets, one of them crossed by arm, and cd4 as a survival time
// with flag as its event, by arm.
Schema WithProducts() {
  Schema schema = TestSchema();
  schema.products = {{"cd4", "weight"}, {"temp", "low_cd4", "cd4"}};
  schema.crosses[0].over.push_back("cd4*weight");
  schema.survival = {{"cd4", "flag", {"arm"}}};
  return schema;
}

TEST(LayoutRecordEncoderTest, PacksKnownValuesThatExtractSlotReadsBack) {
  const Schema schema = WithProducts();
  const Layout layout = MustBuild(schema, 256);  // several plaintexts
  ASSERT_GT(layout.num_ciphertexts(), 1);
  const Encoded e = Encode(schema, layout,
                           Row({{"temp", "-3.5"},
                                {"extra", "zzz"},
                                {"sex", "M"},
                                {"pid", "p7"},
                                {"cd4", "350"},
                                {"site", "south"},
                                {"arm", "2"},
                                {"flag", "1"},
                                {"weight", "70.25"}}));
  ASSERT_TRUE(e.status.ok()) << e.status.ToString();
  ASSERT_EQ(static_cast<int>(e.plaintexts.size()), layout.num_ciphertexts());
  EXPECT_EQ(e.public_values, std::vector<std::string>{"south"});
  for (const crypto::BigInt& p : e.plaintexts) {
    EXPECT_LE(mpz_sizeinbase(p.get(), 2), static_cast<size_t>(layout.plaintext_bits()));
  }
  // y = x·10^d − min·10^d: temp −3.5 → −35 + 400 = 365; weight 70.25 → 7025 − 3025 = 4000.
  const std::map<std::string, uint64_t> y = {{"cd4", 350},  {"arm", 2},       {"flag", 1},
                                             {"temp", 365}, {"weight", 4000}, {"low_cd4", 0}};
  const std::map<std::string, int> level = {{"arm", 2}, {"sex", 1}};
  for (size_t i = 0; i < layout.slots().size(); ++i) {
    const Slot& s = layout.slots()[i];
    uint64_t want = 0;
    const bool in_group = s.by.empty() || level.at(s.by) == s.level;
    switch (s.kind) {
      case SlotKind::kCount:  // a product set's per level of arm too
        want = in_group ? 1 : 0;
        break;
      case SlotKind::kObserved:
        want = in_group ? 1 : 0;
        break;
      case SlotKind::kSum:
        want = in_group ? y.at(s.variable) : 0;
        break;
      case SlotKind::kSumSquares:
        want = in_group ? y.at(s.variable) * y.at(s.variable) : 0;
        break;
      case SlotKind::kLevel:
        want = level.at(s.variable) == s.level ? 1 : 0;
        break;
      case SlotKind::kBin:    // 350 is in [350, 500); a survival bin also needs flag present
      case SlotKind::kEvent:  // and flag = 1
        want = in_group && s.bin == 2 ? 1 : 0;
        break;
      case SlotKind::kProduct: {  // every member is present: the complete cases hold it
        const size_t star = s.variable.find('*');
        want = in_group ? y.at(s.variable.substr(0, star)) * y.at(s.variable.substr(star + 1)) : 0;
        break;
      }
      case SlotKind::kTag:
        break;  // encoded without an Authenticator: 0
    }
    EXPECT_EQ(SlotValue(layout, e, static_cast<int>(i)), want)
        << "slot " << i << " kind " << static_cast<int>(s.kind) << " " << s.variable << " by "
        << s.by << " level " << s.level << " bin " << s.bin;
  }
}

TEST(LayoutRecordEncoderTest, MissingValuesLeaveObservedAndCrossSlotsEmpty) {
  const Schema schema = TestSchema();
  const Layout layout = MustBuild(schema);
  const Encoded e = Encode(schema, layout,
                           Row({{"temp", "NA"},
                                {"sex", "F"},
                                {"cd4", ""},
                                {"site", ""},
                                {"arm", ""},
                                {"flag", "0"},
                                {"weight", "30.25"}}));
  ASSERT_TRUE(e.status.ok()) << e.status.ToString();
  EXPECT_EQ(e.public_values, std::vector<std::string>{""});
  EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kCount, "")), 1u);
  for (const char* x : {"cd4", "temp", "low_cd4", "arm"}) {
    EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kObserved, x)), 0u) << x;
    EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kSum, x)), 0u) << x;
  }
  EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kObserved, "flag")), 1u);
  EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kSum, "weight")), 0u) << "weight at its min";
  for (int b = 0; b < 4; ++b)
    EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kBin, "cd4", "", -1, b)), 0u);
  for (int l = 0; l < 4; ++l) {
    EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kLevel, "arm", "", l)), 0u);
    EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kSum, "weight", "arm", l)), 0u);
  }
  EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kLevel, "sex", "", 0)), 1u);
  EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kObserved, "flag", "sex", 0)), 1u);
  EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kObserved, "cd4", "sex", 0)), 0u);
}

TEST(LayoutRecordEncoderTest, AProductSetCountsOnlyRecordsWithEveryMemberPresent) {
  const Schema schema = WithProducts();
  const Layout layout = MustBuild(schema);
  EXPECT_GE(layout.Find(SlotKind::kProduct, "cd4*weight", "arm", 2, -1, "cd4*weight"), 0);
  EXPECT_LT(layout.Find(SlotKind::kProduct, "cd4*weight", "sex", 0, -1, "cd4*weight"), 0);
  // temp missing: the set {temp, low_cd4, cd4} has no complete case; {cd4, weight} has.
  const Encoded e = Encode(schema, layout,
                           Row({{"temp", "NA"},
                                {"sex", "F"},
                                {"cd4", "150"},
                                {"site", "east"},
                                {"arm", "1"},
                                {"flag", "0"},
                                {"weight", "40.25"}}));
  ASSERT_TRUE(e.status.ok()) << e.status.ToString();
  const std::string both = "cd4*weight", three = "temp*low_cd4*cd4";
  auto value = [&](SlotKind kind, const std::string& v, const std::string& cases,
                   const std::string& by = "", int level = -1) {
    return SlotValue(layout, e, layout.Find(kind, v, by, level, -1, cases));
  };
  EXPECT_EQ(value(SlotKind::kCount, "", both), 1u);
  EXPECT_EQ(value(SlotKind::kSum, "cd4", both), 150u);
  EXPECT_EQ(value(SlotKind::kSum, "weight", both), 1000u);  // 4025 − 3025
  EXPECT_EQ(value(SlotKind::kSumSquares, "weight", both), 1000000u);
  EXPECT_EQ(value(SlotKind::kProduct, "cd4*weight", both), 150000u);
  EXPECT_EQ(value(SlotKind::kProduct, "cd4*weight", both, "arm", 1), 150000u);
  EXPECT_EQ(value(SlotKind::kProduct, "cd4*weight", both, "arm", 0), 0u);
  EXPECT_EQ(value(SlotKind::kCount, "", three), 0u);
  EXPECT_EQ(value(SlotKind::kSum, "cd4", three), 0u);
  EXPECT_EQ(value(SlotKind::kProduct, "low_cd4*cd4", three), 0u);
  EXPECT_EQ(value(SlotKind::kSum, "low_cd4", three), 0u);
  // The ordinary slots still hold cd4.
  EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kSum, "cd4")), 150u);
}

TEST(LayoutTest, ProductsAreValidatedAndTravelInTheCatalog) {
  Schema schema = WithProducts();
  const Catalog catalog = CatalogOf(schema);
  auto back = CatalogFromJson(CatalogToJson(catalog));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, catalog);
  auto reread = SchemaFromJson(SchemaToJson(schema));
  ASSERT_TRUE(reread.ok()) << reread.status().ToString();
  EXPECT_EQ(reread->products, schema.products);
  EXPECT_EQ(reread->survival, schema.survival);
  const Layout layout = MustBuild(schema);
  auto compute_side = Layout::FromJson(layout.ToJson());
  ASSERT_TRUE(compute_side.ok()) << compute_side.status().ToString();
  EXPECT_TRUE(layout.CheckMatches(compute_side->ToJson()).ok());
  // A catalog from an untrusted manifest: a repeated member or a repeated survival pair is
  // refused as corrupt.
  Catalog repeated_member = catalog;
  repeated_member.products.push_back({"cd4", "cd4"});
  EXPECT_FALSE(CatalogFromJson(CatalogToJson(repeated_member)).ok());
  Catalog repeated_pair = catalog;
  repeated_pair.survival.push_back(repeated_pair.survival.front());
  EXPECT_FALSE(CatalogFromJson(CatalogToJson(repeated_pair)).ok());
  EXPECT_EQ(SplitProductKey("temp*low_cd4*cd4"), (ProductSet{"temp", "low_cd4", "cd4"}));
  auto refused = [](Schema s, const std::string& expected) {
    const Status status = ValidateSchema(s);
    EXPECT_NE(status.message().find(expected), std::string::npos) << status.ToString();
  };
  Schema one = schema;
  one.products = {{"cd4"}};
  refused(one, "at least two");
  Schema twice = schema;
  twice.products = {{"cd4", "cd4"}};
  refused(twice, "'cd4' listed twice");
  Schema category = schema;
  category.products = {{"cd4", "sex"}};
  refused(category, "'sex' is not a private numeric column");
  Schema repeated = schema;
  repeated.products.push_back({"weight", "cd4"});  // the same set in another order
  refused(repeated, "declared twice");
  Schema no_bins = schema;
  no_bins.survival = {{"weight", "flag", {}}};
  refused(no_bins, "'weight' has no \"bins\"");
  Schema not_zero_one = schema;
  not_zero_one.survival = {{"cd4", "arm", {}}};
  refused(not_zero_one, "'arm' is not a private 0/1 column");
  Schema public_by = schema;
  public_by.survival = {{"cd4", "flag", {"site"}}};
  refused(public_by, "'site' is not a private column with \"levels\"");
  Schema unknown_cross = TestSchema();
  unknown_cross.crosses[0].over.push_back("cd4*age");
  refused(unknown_cross, "'cd4*age' is not a private numeric column, derived indicator or product");
}

TEST(LayoutRecordEncoderTest, SurvivalBinsCountExitsAndEventsWithTheEventPresent) {
  const Schema schema = WithProducts();
  const Layout layout = MustBuild(schema);
  auto encode = [&](const std::string& cd4, const std::string& flag) {
    return Encode(schema, layout,
                  Row({{"temp", "0"},
                       {"sex", "F"},
                       {"cd4", cd4},
                       {"site", "east"},
                       {"arm", "3"},
                       {"flag", flag},
                       {"weight", "40"}}));
  };
  auto at = [&](const Encoded& e, SlotKind kind, int bin, const std::string& by = "",
                int level = -1) {
    return SlotValue(layout, e, layout.Find(kind, "cd4", by, level, bin, "flag"));
  };
  const Encoded event = encode("199", "1"), censored = encode("199", "0"),
                no_flag = encode("199", "");
  for (const Encoded* e : {&event, &censored, &no_flag}) ASSERT_TRUE(e->status.ok());
  EXPECT_EQ(at(event, SlotKind::kBin, 0), 1u);
  EXPECT_EQ(at(event, SlotKind::kEvent, 0), 1u);
  EXPECT_EQ(at(event, SlotKind::kEvent, 0, "arm", 3), 1u);
  EXPECT_EQ(at(event, SlotKind::kEvent, 0, "arm", 2), 0u);
  EXPECT_EQ(at(event, SlotKind::kEvent, 1), 0u);
  EXPECT_EQ(at(censored, SlotKind::kBin, 0), 1u);
  EXPECT_EQ(at(censored, SlotKind::kEvent, 0), 0u);
  EXPECT_EQ(at(no_flag, SlotKind::kBin, 0), 0u);  // not followed: no event status
  EXPECT_EQ(at(no_flag, SlotKind::kEvent, 0), 0u);
  EXPECT_EQ(SlotValue(layout, no_flag, layout.Find(SlotKind::kBin, "cd4", "", -1, 0)), 1u);
}

TEST(LayoutRecordEncoderTest, DerivedIndicatorAndBinEdges) {
  const Schema schema = TestSchema();
  const Layout layout = MustBuild(schema);
  auto encode_cd4 = [&](const std::string& cd4) {
    return Encode(schema, layout,
                  Row({{"temp", "0"},
                       {"sex", "F"},
                       {"cd4", cd4},
                       {"site", "north"},
                       {"arm", "0"},
                       {"flag", "0"},
                       {"weight", "50"}}));
  };
  const std::vector<std::pair<std::string, int>> cases = {{"0", 0},   {"199", 0}, {"200", 1},
                                                          {"349", 1}, {"350", 2}, {"499", 2},
                                                          {"500", 3}, {"2000", 3}};
  for (const auto& [cd4, bin] : cases) {
    const Encoded e = encode_cd4(cd4);
    ASSERT_TRUE(e.status.ok()) << cd4 << ": " << e.status.ToString();
    for (int b = 0; b < 4; ++b) {
      EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kBin, "cd4", "", -1, b)),
                b == bin ? 1u : 0u)
          << "cd4 " << cd4 << " bin " << b;
    }
    EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kSum, "low_cd4")),
              std::stoi(cd4) < 200 ? 1u : 0u)
        << "cd4 " << cd4;
    EXPECT_EQ(SlotValue(layout, e, layout.Find(SlotKind::kObserved, "low_cd4")), 1u);
  }
}

TEST(LayoutRecordEncoderTest, RejectsValuesOutsideTheSchemaNamingTheColumn) {
  const Schema schema = TestSchema();
  const Layout layout = MustBuild(schema);
  const std::map<std::string, std::string> good = {{"temp", "1.5"},   {"sex", "F"}, {"cd4", "10"},
                                                   {"site", "north"}, {"arm", "1"}, {"flag", "0"},
                                                   {"weight", "50"}};
  ASSERT_TRUE(Encode(schema, layout, Row(good)).status.ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"cd4", "2001"},  {"cd4", "-1"},       {"temp", "45.6"}, {"temp", "-40.1"},
      {"temp", "1.25"}, {"weight", "30.24"}, {"cd4", "abc"},   {"sex", "X"},
      {"arm", "4"},     {"weight", ""},      {"flag", "2"}};
  for (const auto& [column, value] : bad) {
    auto values = good;
    values[column] = value;
    const Encoded e = Encode(schema, layout, Row(values));
    EXPECT_FALSE(e.status.ok()) << column << " = '" << value << "' accepted";
    EXPECT_NE(e.status.ToString().find("'" + column + "'"), std::string::npos)
        << column << " = '" << value << "': " << e.status.ToString();
  }
}

// Public values are shipped in plaintext and used as keys: one outside the schema's levels,
// or one holding a tab or line break (the segment format's separators), must be refused.
TEST(LayoutRecordEncoderTest, RejectsPublicValuesOutsideTheSchemaNamingTheColumn) {
  const Schema schema = TestSchema();
  const Layout layout = MustBuild(schema);
  std::map<std::string, std::string> values = {{"temp", "1.5"},   {"sex", "F"}, {"cd4", "10"},
                                               {"site", "north"}, {"arm", "1"}, {"flag", "0"},
                                               {"weight", "50"}};
  for (const char* site : {"Atlantis", "nor\tth", "nor\nth", "north\t"}) {
    values["site"] = site;
    const Encoded e = Encode(schema, layout, Row(values));
    EXPECT_FALSE(e.status.ok()) << "public value '" << site << "' accepted";
    EXPECT_NE(e.status.ToString().find("'site'"), std::string::npos) << e.status.ToString();
  }
}

TEST(LayoutRecordEncoderTest, CreateNeedsEverySchemaColumnInTheHeader) {
  const Schema schema = TestSchema();
  const Layout layout = MustBuild(schema);
  std::vector<std::string> header = kHeader;
  header.erase(std::find(header.begin(), header.end(), "weight"));
  auto encoder = RecordEncoder::Create(schema, layout, header);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("weight"), std::string::npos)
      << encoder.status().ToString();
  auto ok = RecordEncoder::Create(schema, layout, kHeader);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->public_columns(), std::vector<std::string>{"site"});
}

TEST(LayoutRecordEncoderTest, MaxRecordsOfMaximalRecordsFillEachSlotWithoutCarry) {
  // Sum max_records copies of an all-maximum record: every slot reads back exactly
  // max_records · (its per-record value), i.e. nothing carried into a neighbour.
  const uint64_t n = 37;
  const Schema schema = TestSchema(n);
  const Layout layout = MustBuild(schema, 300);
  const Encoded e = Encode(schema, layout,
                           Row({{"temp", "45.5"},
                                {"sex", "M"},
                                {"cd4", "2000"},
                                {"site", "east"},
                                {"arm", "3"},
                                {"flag", "1"},
                                {"weight", "160.5"}}));
  ASSERT_TRUE(e.status.ok()) << e.status.ToString();
  std::vector<crypto::BigInt> sums(e.plaintexts.size());
  for (size_t i = 0; i < sums.size(); ++i) mpz_mul_ui(sums[i].get(), e.plaintexts[i].get(), n);
  for (size_t i = 0; i < layout.slots().size(); ++i) {
    const Slot& s = layout.slots()[i];
    crypto::BigInt one = ExtractSlot(e.plaintexts[static_cast<size_t>(s.ciphertext)], s);
    crypto::BigInt total = ExtractSlot(sums[static_cast<size_t>(s.ciphertext)], s);
    mpz_mul_ui(one.get(), one.get(), n);
    EXPECT_EQ(mpz_cmp(one.get(), total.get()), 0) << "slot " << i << " " << s.variable;
    EXPECT_LE(mpz_sizeinbase(sums[static_cast<size_t>(s.ciphertext)].get(), 2),
              static_cast<size_t>(layout.plaintext_bits()));
  }
  // The widest slots are full: n · R² needs every bit of its width.
  const Slot& sq = layout.slots()[static_cast<size_t>(layout.Find(SlotKind::kSumSquares, "cd4"))];
  EXPECT_EQ(sq.width, Bits(static_cast<u128>(2000) * 2000 * n));
}

// The compute party reads the layout from the manifest: the same slots, no codecs.
TEST(LayoutTest, FromJsonGivesTheSameSlotsWithoutCodecs) {
  const Layout built = MustBuild(TestSchema());
  auto read = Layout::FromJson(built.ToJson());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->ToJson(), built.ToJson());
  EXPECT_TRUE(built.CheckMatches(read->ToJson()).ok());
  EXPECT_EQ(read->num_ciphertexts(), built.num_ciphertexts());
  EXPECT_TRUE(read->variables().empty());
  for (const Slot& s : built.slots()) {
    EXPECT_GE(read->Find(s.kind, s.variable, s.by, s.level, s.bin), 0) << s.variable;
  }
}

TEST(LayoutTest, FromJsonRefusesSlotsOutsideTheirPlaintextOrOverlapping) {
  const Layout built = MustBuild(TestSchema());
  const nlohmann::json good = nlohmann::json::parse(built.ToJson());
  auto refused = [](const nlohmann::json& j) {
    return Layout::FromJson(j.dump()).status().code() == Status::Code::kCorruption;
  };
  nlohmann::json j = good;
  j["slots"][1]["offset"] = j["slots"][0]["offset"];
  j["slots"][1]["ciphertext"] = j["slots"][0]["ciphertext"];
  EXPECT_TRUE(refused(j)) << "overlap";
  j = good;
  j["slots"][0]["offset"] = built.plaintext_bits();
  EXPECT_TRUE(refused(j)) << "past the plaintext";
  j = good;
  j["slots"][0]["ciphertext"] = built.num_ciphertexts();
  EXPECT_TRUE(refused(j)) << "no such ciphertext";
  j = good;
  j["slots"][0]["kind"] = "secret";
  EXPECT_TRUE(refused(j)) << "unknown kind";
  j = good;
  j["slots"] = nlohmann::json::array();
  EXPECT_TRUE(refused(j)) << "no count slot";
  EXPECT_FALSE(Layout::FromJson("[]").ok());
  EXPECT_FALSE(Layout::FromJson("{").ok());
}

}  // namespace
}  // namespace cipherstat
