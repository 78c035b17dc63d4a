// What the text and CSV renderers do with hostile text values: a public column's values are
// whoever wrote the data's choice, and reach a terminal (text) or a spreadsheet (CSV).
#include "report/render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace cipherstat {
namespace {

ResultTable GroupTable(const std::string& key, const Cell& value) {
  ResultTable t;
  t.columns = {"site", "avg(dose)"};
  t.rows = {{Cell::Text(key), value}};
  return t;
}

TEST(RenderText, EscapeSequencesInGroupKeysReachNoTerminal) {
  const std::string text = RenderText(GroupTable("\x1b[31mred", Cell::Integer(12)));
  EXPECT_EQ(text,
            "site         avg(dose)\n"
            "-----------  ---------\n"
            "\\x1b[31mred  12\n");
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  // C1 CSI (U+009B), a bell and a carriage return that would overwrite the line.
  const std::string c1 =
      RenderText(GroupTable("\xc2\x9b"
                            "2J\a\rfake",
                            Cell::Integer(1)));
  EXPECT_NE(c1.find("\\u009b2J\\x07\\x0dfake"), std::string::npos) << c1;
  // Column names are escaped too; JSON keeps the exact value.
  ResultTable t = GroupTable("ok", Cell::Integer(1));
  t.columns[0] = "s\x1bite";
  EXPECT_NE(RenderText(t).find("s\\x1bite"), std::string::npos);
  EXPECT_NE(RenderJson(GroupTable("\x1b[31mred", Cell::Integer(1))).find("\\u001b[31mred"),
            std::string::npos);
}

TEST(RenderCsv, FormulaPrefixesAreNeutralizedNumbersAreNot) {
  EXPECT_EQ(RenderCsv(GroupTable("=cmd|' /C calc'!A0", Cell::Real(-3.5))),
            "site,avg(dose)\n'=cmd|' /C calc'!A0,-3.5\n");
  // A text key that is a number stays a number; the other prefixes are quoted.
  EXPECT_EQ(RenderCsv(GroupTable("-3.5", Cell::Integer(-4))), "site,avg(dose)\n-3.5,-4\n");
  for (const char* number : {"-3.5", "+2", "-1e-3", "-.5", "+7.", "-2E+10"}) {
    EXPECT_EQ(CsvSafeText(number), number);
  }
  for (const char* formula : {"=1+2", "+1+2", "-2+3", "@SUM(A1:A2)", "\tx", "\rx", "-", "+", "-e5",
                              "-1e", "-1.2.3", "--1", "- 1"}) {
    EXPECT_EQ(CsvSafeText(formula), std::string("'") + formula) << formula;
  }
  EXPECT_EQ(CsvSafeText("north"), "north");
  EXPECT_EQ(CsvSafeText(""), "");
  EXPECT_EQ(CsvSafeText("a=b"), "a=b");
  // Header cells too; a neutralized cell is still CSV-quoted where it must be.
  ResultTable t = GroupTable("=HYPERLINK(\"http://x\",\"y\")", Cell::Integer(1));
  t.columns[0] = "@site";
  EXPECT_EQ(RenderCsv(t), "'@site,avg(dose)\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1\n");
}

TEST(RenderSuppressed, EveryFormatSaysWhyACellIsHidden) {
  ResultTable t;
  t.min_cell = 11;
  t.columns = {"site", "count(*)"};
  t.rows = {{Cell::Text("north"), Cell::Integer(40)},
            {Cell::Text("south"), Cell::Suppressed()},
            {Cell::Text("west"), Cell::Complementary("the header's record count")}};
  EXPECT_EQ(RenderText(t),
            "site   count(*)\n"
            "-----  " +
                std::string(53, '-') +
                "\n"
                "north  40\n"
                "south  suppressed (primary)\n"
                "west   suppressed (complementary: the header's record count)\n"
                "(primary: cells from fewer than 11 records are suppressed)\n"
                "(complementary: further cells are suppressed so that no suppressed count can be "
                "recomputed from the total each names)\n");
  EXPECT_EQ(RenderCsv(t),
            "site,count(*)\nnorth,40\nsouth,suppressed (primary)\n"
            "west,suppressed (complementary: the header's record count)\n");
  const nlohmann::json j = nlohmann::json::parse(RenderJson(t));
  EXPECT_EQ(j["rows"][1][1], nullptr);
  EXPECT_EQ(j["rows"][2][1], nullptr);
  EXPECT_EQ(j["suppressed"], nlohmann::json::parse("[[1, 1], [2, 1]]"));
  EXPECT_EQ(j["suppressed_why"],
            nlohmann::json::parse(R"(["primary", "complementary: the header's record count"])"));
}

// With differential privacy every format gives each noisy cell its scale and 95% interval.
TEST(RenderNoise, EveryFormatGivesEachNoisyCellItsScaleAndInterval) {
  ResultTable t;
  t.columns = {"site", "count(*)", "avg(dose)"};
  t.epsilon = ParseEpsilon("0.5").value();
  Cell count = Cell::Integer(1004);
  count.noise = CellNoise{2, 6, false};
  Cell mean = Cell::Real(10.25);
  mean.noise = CellNoise{0.5, 0.98, true};
  t.rows = {{Cell::Text("north"), count, mean},
            {Cell::Text("south"), Cell::Integer(0), Cell::Null()}};
  t.rows[1][1].noise = CellNoise{2, 6, false};
  EXPECT_EQ(RenderText(t),
            "site   count(*)           avg(dose)\n"
            "-----  -----------------  --------------------\n"
            "north  1004 \u00b16 (scale 2)  10.25 \u00b10.98 (sd\u22480.5)\n"
            "south  0 \u00b16 (scale 2)     NULL\n"
            "(differential privacy: this table spends \u03b5 = 1/2; every count and sum carries "
            "discrete Laplace noise, \u00b1 is the 95% interval of a cell's noise (scale: its "
            "Laplace scale, exact; sd\u2248: a derived value's propagated standard deviation, "
            "interval approximate), and the record count is withheld)\n");
  EXPECT_EQ(RenderCsv(t),
            "site,count(*),count(*) noise,count(*) ci95,avg(dose),avg(dose) noise,avg(dose) ci95\n"
            "north,1004,scale 2,6,10.25,sd 0.5,0.98\n"
            "south,0,scale 2,6,,,\n");
  const nlohmann::json j = nlohmann::json::parse(RenderJson(t));
  EXPECT_EQ(j["epsilon"], "1/2");
  EXPECT_TRUE(j["records"].is_null());
  EXPECT_EQ(j["noise"], nlohmann::json::parse(R"([[null, {"scale": 2.0, "ci95": 6.0},
      {"sd": 0.5, "ci95": 0.98, "approximate": true}], [null, {"scale": 2.0, "ci95": 6.0}, null]])"));
  // Without ε nothing is added.
  t.epsilon.reset();
  for (auto& row : t.rows) {
    for (Cell& cell : row) cell.noise.reset();
  }
  EXPECT_FALSE(nlohmann::json::parse(RenderJson(t)).contains("noise"));
  EXPECT_EQ(RenderCsv(t), "site,count(*),avg(dose)\nnorth,1004,10.25\nsouth,0,\n");
}

}  // namespace
}  // namespace cipherstat
