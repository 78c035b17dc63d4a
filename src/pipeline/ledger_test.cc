// The release ledger's file: releases read back as written, and any edit refused.
#include "pipeline/ledger.h"

#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace cipherstat::pipeline {
namespace {

using testing::ScratchDir;

// A table of two rows, the second hidden: the ledger keeps the first alone.
ResultTable Table(uint64_t north) {
  ResultTable t;
  t.sql = "SELECT site, COUNT(*) FROM cohort GROUP BY site";
  t.min_cell = 11;
  t.columns = {"site", "count(*)"};
  t.column_info = {ColumnInfo{Aggregate::kNone, "site"}, ColumnInfo{Aggregate::kCountStar, ""}};
  t.rows = {{Cell::Text("north"), Cell::Integer(static_cast<int64_t>(north))},
            {Cell::Text("south"), Cell::Suppressed()}};
  t.populations = {{{"site = 'north'"}, north}, {{"site = 'south'"}, 3}};
  return t;
}

TEST(Ledger, ReleasesReadBackInOrder) {
  ScratchDir dir;
  auto ledger = Ledger::Open(dir / "ledger", "d1");
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_TRUE(ledger->releases().empty());
  auto first = ledger->Record(Table(40), "sha-a");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->rfind("ledger release 1, sha256 ", 0), 0u) << *first;
  ASSERT_TRUE(ledger->Record(Table(41), "sha-b").ok());

  auto again = Ledger::Open(dir / "ledger", "d1");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->releases().size(), 2u);
  EXPECT_EQ(again->releases()[1].number, 2);
  ASSERT_EQ(again->releases()[1].rows.size(), 1u);  // the hidden row is not a release
  EXPECT_EQ(again->releases()[1].rows[0], (RowPopulation{{"site = 'north'"}, 41}));
  EXPECT_TRUE(Ledger::Open(dir / "ledger", "d2")->releases().empty());  // per dataset
}

TEST(Ledger, AnEditedRemovedOrCutLineIsRefused) {
  ScratchDir dir;
  auto ledger = Ledger::Open(dir / "ledger", "d1");
  ASSERT_TRUE(ledger.ok());
  for (uint64_t n : {40, 41, 42}) ASSERT_TRUE(ledger->Record(Table(n), "sha").ok());
  const std::string path = dir / "ledger/d1.jsonl";
  const std::string text = testing::ReadText(path);
  const std::vector<std::string> lines = testing::Lines(text);
  ASSERT_EQ(lines.size(), 3u);
  auto refused = [&](const std::string& edited) {
    testing::WriteText(path, edited);
    auto opened = Ledger::Open(dir / "ledger", "d1");
    EXPECT_FALSE(opened.ok());
    return opened.ok() ? std::string() : opened.status().message();
  };
  std::string lowered = text;
  lowered.replace(lowered.find("\"records\":40"), 12, "\"records\":90");
  EXPECT_EQ(refused(lowered),
            path +
                " line 2: it does not follow the line before (an entry was changed or "
                "removed); the ledger is damaged (restore it from a backup)");
  EXPECT_EQ(refused(lines[0] + "\n" + lines[2] + "\n"),
            path +
                " line 2: release numbers out of order; the ledger is damaged (restore it "
                "from a backup)");
  EXPECT_EQ(refused(lines[1] + "\n" + lines[2] + "\n"),
            path +
                " line 1: release numbers out of order; the ledger is damaged (restore it "
                "from a backup)");
  EXPECT_EQ(refused(text.substr(0, text.size() - 5)),
            path +
                ": the last line is cut short; the ledger is damaged (restore it from a "
                "backup)");
  EXPECT_EQ(refused("{}\n"),
            path +
                " line 1: not a ledger entry; the ledger is damaged (restore it from a "
                "backup)");
  testing::WriteText(path, text);
  EXPECT_TRUE(Ledger::Open(dir / "ledger", "d1").ok());
}

// ε adds up exactly: 0.1 + 0.2 is 0.3, which a double would put past a budget of 0.3.
TEST(Ledger, ThePrivacyBudgetIsDebitedExactly) {
  ScratchDir dir;
  auto ledger = Ledger::Open(dir / "ledger", "d1");
  ASSERT_TRUE(ledger.ok());
  const Rational budget = *ParseEpsilon("0.3");
  for (const char* epsilon : {"0.1", "0.2"}) {
    ResultTable t = Table(40);
    t.epsilon = *ParseEpsilon(epsilon);
    ASSERT_TRUE(ledger->CheckBudget(*t.epsilon, budget).ok()) << epsilon;
    ASSERT_TRUE(ledger->Record(t, "sha").ok());
  }
  ASSERT_TRUE(ledger->Record(Table(40), "sha").ok());  // an exact release spends nothing
  auto again = Ledger::Open(dir / "ledger", "d1");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->spent(), *ParseEpsilon("0.3"));
  ASSERT_TRUE(again->budget().has_value());
  EXPECT_EQ(*again->budget(), budget);
  const Status over = again->CheckBudget(*ParseEpsilon("0.01"), std::nullopt);
  EXPECT_EQ(over.message(),
            "privacy budget exhausted: this dataset has spent epsilon 3/10 of "
            "its 3/10 in " +
                dir / "ledger/d1.jsonl" +
                ", and this release needs 1/100; nothing was decrypted (raising "
                "it, with --dp-budget, is the data owner's decision)");
  EXPECT_TRUE(again->CheckBudget(*ParseEpsilon("0.7"), *ParseEpsilon("1")).ok());
  // A budget that is not a fraction is a damaged ledger.
  std::string text = testing::ReadText(dir / "ledger/d1.jsonl");
  text.replace(text.find("\"budget\":\"3/10\""), 17, "\"budget\":\"0.3!\"");
  testing::WriteText(dir / "ledger/d1.jsonl", text);
  EXPECT_FALSE(Ledger::Open(dir / "ledger", "d1").ok());
}

TEST(Ledger, WithoutAnyBudgetSetTheDefaultIsOne) {
  ScratchDir dir;
  auto ledger = Ledger::Open(dir / "ledger", "d1");
  ASSERT_TRUE(ledger.ok());
  EXPECT_TRUE(ledger->CheckBudget(*ParseEpsilon("1"), std::nullopt).ok());
  EXPECT_FALSE(ledger->CheckBudget(*ParseEpsilon("1.000001"), std::nullopt).ok());
}

}  // namespace
}  // namespace cipherstat::pipeline
