// The Table 1 layout (report/table1.h) on a table built by hand: figures, hidden cells and
// p-values as every release writes them, and each format's escaping of group and level names.
#include "report/table1.h"

#include <gtest/gtest.h>

#include <string>

#include "report/html.h"
#include "report/render.h"
#include "test_util.h"

namespace cipherstat {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Two groups and Overall; the second group's level name and its column name are hostile.
Table1 Example() {
  Table1 t;
  t.group = "arm";
  t.columns = {"arm = a", "arm = <b>&\"x'", "Overall"};
  t.facts.dataset_name = "cohort";
  t.facts.dataset_records = 300;
  t.facts.min_cell = 11;
  t.rows.push_back({"N",
                    false,
                    Table1Stat::kCount,
                    {{Cell::Integer(200)}, {Cell::Integer(100)}, {Cell::Integer(300)}},
                    Cell::Null(),
                    ""});
  t.rows.push_back({"cd4, mean \u00b1 SD",
                    false,
                    Table1Stat::kMeanSd,
                    {{Cell::Real(371.25), Cell::Real(144.61)},
                     {Cell::Real(-0.5), Cell::Real(0.01234)},
                     {Cell::Real(9.876), Cell::Real(1000)}},
                    Cell::Real(0.0421),
                    "Welch t-test"});
  t.rows.push_back({"cd4, median [IQR]",
                    false,
                    Table1Stat::kMedianIqr,
                    {{Cell::Real(350), Cell::Real(270), Cell::Real(420.5), Cell::Real(0),
                      Cell::Real(0), Cell::Real(0)},
                     {Cell::Suppressed(), Cell::Suppressed(), Cell::Suppressed(), Cell::Null(),
                      Cell::Null(), Cell::Null()},
                     {Cell::Real(340), Cell::Real(260), Cell::Text(">= 500"), Cell::Real(0),
                      Cell::Real(0), Cell::Null()}},
                    Cell::Complementary("over hidden group arm=b"),
                    "ANOVA"});
  t.rows.push_back({"died = 1, n (%)",
                    false,
                    Table1Stat::kCountPercent,
                    {{Cell::Integer(52), Cell::Integer(200)},
                     {Cell::Integer(3), Cell::Suppressed()},
                     {Cell::Integer(55), Cell::Integer(300)}},
                    Cell::Real(0.00001),
                    "chi-square"});
  t.rows.push_back({"one level = 1, n (%)",
                    false,
                    Table1Stat::kCountPercent,
                    {{Cell::Integer(200), Cell::Integer(200)},
                     {Cell::Integer(100), Cell::Integer(100)},
                     {Cell::Integer(300), Cell::Integer(300)}},
                    Cell::Null(),
                    "chi-square"});
  t.rows.push_back(
      {"site, n (%)", false, Table1Stat::kHeading, {{}, {}, {}}, Cell::Real(0.5), "chi-square"});
  t.rows.push_back({"=cmd|' /C calc'!A0",
                    true,
                    Table1Stat::kCountPercent,
                    {{Cell::Integer(200), Cell::Integer(200)},
                     {Cell::Suppressed(), Cell::Integer(100)},
                     {Cell::Integer(290), Cell::Integer(300)}},
                    Cell::Null(),
                    ""});
  t.notes = {"karnof skipped: no cross <arm \u00d7 karnof>", "bell\x07"};
  t.queries = {"SELECT arm, COUNT(*) FROM cohort GROUP BY arm"};
  return t;
}

TEST(Table1Layout, CellsReadAsAPapersTable) {
  const Table1 t = Example();
  EXPECT_EQ(Table1CellText(t.rows[0], 0), "200");
  EXPECT_EQ(Table1CellText(t.rows[1], 0), "371.2 \u00b1 144.6");  // %.1f rounds half to even
  EXPECT_EQ(Table1CellText(t.rows[1], 1), "-0.500 \u00b1 0.012");
  EXPECT_EQ(Table1CellText(t.rows[1], 2), "9.88 \u00b1 1000.00");
  EXPECT_EQ(Table1CellText(t.rows[2], 0), "350.0 [270.0, 420.5]");
  EXPECT_EQ(Table1CellText(t.rows[2], 1), "suppressed (primary)");
  EXPECT_EQ(Table1CellText(t.rows[2], 2), "340.0 [260.0, >= 500]");
  EXPECT_EQ(Table1CellText(t.rows[3], 0), "52 (26.0%)");
  EXPECT_EQ(Table1CellText(t.rows[3], 1), "3");  // its N is hidden: no percentage
  EXPECT_EQ(Table1CellText(t.rows[5], 0), "");
  EXPECT_EQ(Table1CellText(t.rows[6], 2), "290 (96.7%)");
  EXPECT_EQ(Table1PText(Cell::Real(0.0421)), "0.042");
  EXPECT_EQ(Table1PText(Cell::Real(0.00001)), "<0.001");
  EXPECT_EQ(Table1PText(Cell::Null()), "NULL");
  EXPECT_EQ(Table1PText(Cell::Complementary("over hidden group arm=b")),
            "suppressed (complementary: over hidden group arm=b)");
}

TEST(Table1Layout, TextAlignsColumnsAndSaysWhyCellsAreHidden) {
  const std::string text = RenderTable1Text(Example());
  SCOPED_TRACE(text);
  const std::vector<std::string> lines = testing::Lines(text);
  ASSERT_GE(lines.size(), 10u);
  EXPECT_EQ(lines[0], "Table 1 by arm");
  // Every row's second column starts at the same character (± is one character).
  auto column_start = [&](const std::string& line, const std::string& cell) {
    const size_t at = line.find(cell);
    if (at == std::string::npos) return std::string::npos;
    size_t chars = 0;
    for (size_t i = 0; i < at; ++i) chars += (line[i] & 0xC0) != 0x80;
    return chars;
  };
  const size_t start = column_start(lines[2], "arm = a");
  ASSERT_NE(start, std::string::npos);
  EXPECT_EQ(column_start(lines[5], "371.2 \u00b1 144.6"), start);
  EXPECT_EQ(column_start(lines[6], "350.0 [270.0, 420.5]"), start);
  EXPECT_TRUE(Contains(text, "  =cmd|' /C calc'!A0")) << "a level is indented";
  EXPECT_TRUE(Contains(text, "suppressed (complementary: over hidden group arm=b)  ANOVA"));
  EXPECT_TRUE(Contains(lines[8], "300 (100.0%)") && Contains(lines[8], " NULL "))
      << "a test without a value says NULL, as releases do";
  EXPECT_TRUE(Contains(text, "(primary: cells from fewer than 11 records are suppressed)"));
  EXPECT_TRUE(Contains(text, "note: karnof skipped: no cross <arm \u00d7 karnof>\n"));
  EXPECT_TRUE(Contains(text, "note: bell\\x07\n")) << "control characters escaped";
  EXPECT_FALSE(Contains(text, "\x07"));
  EXPECT_TRUE(Contains(text, "  SELECT arm, COUNT(*) FROM cohort GROUP BY arm\n"));
}

TEST(Table1Layout, CsvQuotesAndNeutralizesFormulas) {
  const std::string csv = RenderTable1Csv(Example());
  SCOPED_TRACE(csv);
  const std::vector<std::string> lines = testing::Lines(csv);
  ASSERT_GE(lines.size(), 9u);
  EXPECT_EQ(lines[0], ",arm = a,\"arm = <b>&\"\"x'\",Overall,p,test");
  EXPECT_EQ(lines[1], "N,200,100,300,,");
  EXPECT_EQ(lines[2],
            "\"cd4, mean \u00b1 SD\",371.2 \u00b1 144.6,'-0.500 \u00b1 0.012,9.88 \u00b1 "
            "1000.00,0.042,Welch t-test");
  EXPECT_EQ(lines[3],
            "\"cd4, median [IQR]\",\"350.0 [270.0, 420.5]\",suppressed (primary),\"340.0 [260.0, "
            ">= 500]\",suppressed (complementary: over hidden group arm=b),ANOVA");
  // A level name that a spreadsheet would run gets its leading ' before the indent.
  EXPECT_EQ(lines[5],
            "\"one level = 1, n (%)\",200 (100.0%),100 (100.0%),300 (100.0%),,chi-square");
  EXPECT_EQ(lines[7], "  '=cmd|' /C calc'!A0,200 (100.0%),suppressed (primary),290 (96.7%),,");
  EXPECT_EQ(lines[8], "note: karnof skipped: no cross <arm \u00d7 karnof>,,,,,");
}

TEST(Table1Layout, HtmlEscapesNamesAndMarksHiddenCells) {
  ReportContext context;
  context.generated_at = "2026-11-30 12:00 UTC";
  const std::string html = RenderHtmlTable1(Example(), context);
  EXPECT_TRUE(Contains(html, "<title>Table 1 by arm</title>"));
  EXPECT_TRUE(Contains(html, "arm = &lt;b&gt;&amp;&quot;x&#39;"));
  EXPECT_FALSE(Contains(html, "<b>&"));
  EXPECT_TRUE(Contains(html, "no cross &lt;arm \u00d7 karnof&gt;"));
  EXPECT_TRUE(Contains(html, "class=\"suppressed\""));
  EXPECT_TRUE(Contains(html, "over hidden group arm=b"));
  EXPECT_TRUE(Contains(html, "<th scope=\"row\">N</th>"));
  EXPECT_TRUE(Contains(html, "371.2 \u00b1 144.6"));
  EXPECT_TRUE(Contains(html, "<code>SELECT arm, COUNT(*) FROM cohort GROUP BY arm</code>"));
  EXPECT_TRUE(Contains(html, "Content-Security-Policy"));
  EXPECT_FALSE(Contains(html, "<script"));
  EXPECT_EQ(RenderTable1(Example(), "csv"), RenderTable1Csv(Example()));
  EXPECT_EQ(RenderTable1(Example(), "text"), RenderTable1Text(Example()));
}

}  // namespace
}  // namespace cipherstat
