// The complementary suppression rule (query/disclosure.h) on counts and relations built by
// hand; query/decode_test.cc runs it on decoded tables.
#include "query/disclosure.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace cipherstat {
namespace {

// Counts with the given values, each in a row of its own (no row rule).
std::vector<Count> Counts(const std::vector<uint64_t>& values) {
  std::vector<Count> counts;
  for (size_t i = 0; i < values.size(); ++i) {
    Count c;
    c.value = values[i];
    c.row = static_cast<int>(i);
    counts.push_back(c);
  }
  return counts;
}

// "p" primary, "c:<relation>" complementary, "-" shown, one per count.
std::vector<std::string> Pattern(const std::vector<Count>& counts) {
  std::vector<std::string> out;
  for (const Count& c : counts) {
    out.push_back(!c.hidden ? "-" : c.why == Hidden::kPrimary ? "p" : "c:" + c.relation);
  }
  return out;
}

using P = std::vector<std::string>;

TEST(Suppress, HidesTheSmallestOtherMemberOfARelationWithOneHiddenCount) {
  std::vector<Count> counts = Counts({40, 5, 30, 12, 0});
  Suppress(11, {{"total", {1, 2, 3, 4}, 0}}, &counts);  // 5 + 30 + 12 + 0 = 40, a count
  EXPECT_EQ(Pattern(counts), (P{"-", "p", "-", "c:total", "-"}));
  // Zero is no small cell and never a complement; nothing below min_cell 2 is hidden.
  counts = Counts({1, 0, 25});
  Suppress(1, {{"total", {0, 1, 2}, -1}}, &counts);
  EXPECT_EQ(Pattern(counts), (P{"-", "-", "-"}));
}

TEST(Suppress, IteratesToAFixedPointAcrossRelations) {
  // Two relations sharing count 2: hiding it for the first exposes nothing new, but the
  // second relation then needs its own complement... [0]+[1]+[2] and [2]+[3]+[4].
  std::vector<Count> counts = Counts({50, 3, 20, 40, 30});
  Suppress(11, {{"first", {0, 1, 2}, -1}, {"second", {2, 3, 4}, -1}}, &counts);
  // first: 3 hidden → hide 20 (smallest of 50, 20); second: 20 hidden → hide 30.
  EXPECT_EQ(Pattern(counts), (P{"-", "p", "c:first", "-", "c:second"}));
}

TEST(Suppress, ACountAloneInAPublishedTotalIsTheLastChoiceOfComplement) {
  // Count 1 (15) is by itself a known total (another query publishes it): hiding it protects
  // this table but not against that query, so the larger 60 goes.
  std::vector<Count> counts = Counts({4, 15, 60});
  Suppress(11, {{"margin", {0, 1, 2}, -1}, {"alone", {1}, -1}}, &counts);
  EXPECT_EQ(Pattern(counts), (P{"p", "-", "c:margin"}));
  // When it is the only candidate, it goes: the table itself must not give the 4 away.
  counts = Counts({4, 15});
  Suppress(11, {{"margin", {0, 1}, -1}, {"alone", {1}, -1}}, &counts);
  EXPECT_EQ(Pattern(counts), (P{"p", "c:margin"}));
}

TEST(Suppress, BoundsTheLabelsImplyCountAsAnExposure) {
  // Two primary counts summing to 20 with min_cell 11 are each 10 (at most min_cell − 1).
  std::vector<Count> counts = Counts({10, 10, 25});
  Suppress(11, {{"t", {0, 1, 2}, -1}}, &counts);
  EXPECT_EQ(Pattern(counts), (P{"p", "p", "c:t"}));
  // A primary 1 beside a complementary 11 summing to 12: the primary is 1, the complementary
  // min_cell — hide another.
  counts = Counts({1, 11, 30, 40});
  Suppress(11, {{"t", {0, 1, 2, 3}, -1}}, &counts);
  EXPECT_EQ(Pattern(counts), (P{"p", "c:t", "c:t", "-"}));
}

TEST(Suppress, HidingARowsRecordsHidesItsRow) {
  // Two rows: its records and the records with some x present, each adding up over the rows.
  auto two_rows = [](uint64_t records0, uint64_t x0, uint64_t records1, uint64_t x1) {
    std::vector<Count> counts = Counts({records0, x0, records1, x1});
    counts[1].row = 0;
    counts[3].row = 2;
    counts[0].row_records = true;
    counts[2].row_records = true;
    return counts;
  };
  const std::vector<Relation> relations = {{"records", {0, 2}, -1}, {"x", {1, 3}, -1}};
  std::vector<Count> counts = two_rows(30, 8, 25, 20);
  Suppress(11, relations, &counts);
  // x: 8 hidden → hide 20, which leaves its row's records shown.
  EXPECT_EQ(Pattern(counts), (P{"-", "p", "-", "c:x"}));
  counts = two_rows(5, 4, 25, 20);
  Suppress(11, relations, &counts);
  // Row 0's 5 records hide the row; records then hide row 2's 25, and its 20 with them.
  EXPECT_EQ(Pattern(counts), (P{"p", "p", "c:records", "c:records"}));
}

TEST(Suppress, TheAuditFindsACountDeterminedOnlyByCombiningRelations) {
  // A 4×4 table with known row and column totals. The hidden (primary) cells form two 2×2
  // cycles joined by one cell, (2,3): every row and column has two or more hidden cells, yet
  // rows 1+2 minus columns 1+2 leave (2,3) alone.
  const std::vector<std::vector<uint64_t>> grid = {
      {3, 4, 20, 21}, {5, 6, 7, 22}, {23, 24, 3, 4}, {25, 26, 5, 6}};
  std::vector<uint64_t> values;
  for (const auto& row : grid) values.insert(values.end(), row.begin(), row.end());
  std::vector<Count> counts = Counts(values);
  std::vector<Relation> relations;
  for (int r = 0; r < 4; ++r) {
    relations.push_back(
        {"row " + std::to_string(r + 1), {4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3}, -1});
  }
  for (int c = 0; c < 4; ++c) {
    relations.push_back({"column " + std::to_string(c + 1), {c, 4 + c, 8 + c, 12 + c}, -1});
  }
  Suppress(11, relations, &counts);
  // (2,3)'s relations are row 2 (shown: 22) and column 3 (shown: 20): 20 goes, which joins the
  // first cycle to (2,3) and leaves nothing determined.
  EXPECT_EQ(Pattern(counts), (P{"p", "p", "c:column 3", "-",  //
                                "p", "p", "p", "-",           //
                                "-", "-", "p", "p",           //
                                "-", "-", "p", "p"}));
}

TEST(Suppress, ACountNothingCanProtectStaysHiddenWithoutHidingMore) {
  // The header prints a one-row table's records: 7 < min_cell, hidden, but recomputable.
  std::vector<Count> counts = Counts({7, 30});
  Suppress(11, {{"header", {0}, -1}, {"other", {1}, -1}}, &counts);
  EXPECT_EQ(Pattern(counts), (P{"p", "-"}));
}

TEST(Suppress, CountsHiddenBeforehandTakePartWithTheirReason) {
  // As a rule across releases would leave them: row 0's 30 records hidden, naming a release.
  std::vector<Count> counts = Counts({30, 20, 40});
  counts[1].row = 0;
  counts[0].row_records = true;
  counts[0].hidden = true;
  counts[0].why = Hidden::kComplementary;
  counts[0].relation = "release 3";
  Suppress(11, {{"records", {0, 2}, -1}}, &counts);
  EXPECT_EQ(Pattern(counts), (P{"c:release 3", "c:release 3", "c:records"}));
}

TEST(BinsCoverBounds, ComparesEdgesAsTheEncoderDoes) {
  Column c;
  c.max = 2000;
  c.bins = {0, 200, 500, HUGE_VAL};
  EXPECT_TRUE(BinsCoverBounds(c));
  c.bins = {0, 200, 500, 2000};  // 2000 itself is in no bin
  EXPECT_FALSE(BinsCoverBounds(c));
  c.bins = {0.1, 1};  // 0.1·10 in long double is above the fixed-point 1
  c.decimals = 1;
  c.min = 0.1;
  c.max = 0.9;
  EXPECT_FALSE(BinsCoverBounds(c));
  c.bins = {0, 1};
  EXPECT_TRUE(BinsCoverBounds(c));
  // A survival time's bins must cover its bounds this way too.
  Schema s;
  s.name = "t";
  Column event;
  event.name = "e";
  event.max = 1;
  c.name = "t";
  c.bins = {0.1, 1};
  s.columns = {c, event};
  s.survival = {{"t", "e", {}}};
  EXPECT_NE(ValidateSchema(s).message().find("must cover its bounds"), std::string::npos)
      << ValidateSchema(s).ToString();
}

}  // namespace
}  // namespace cipherstat
