#include "query/sql.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace cipherstat {
namespace {

Query MustParse(std::string_view sql) {
  Result<Query> result = ParseSql(sql);
  EXPECT_TRUE(result.ok()) << sql << "\n" << result.status().ToString();
  return result.ok() ? result.value() : Query{};
}

// Checks both the code and that the message names what went wrong (and where).
::testing::AssertionResult FailsWith(std::string_view sql, std::string_view substring) {
  Result<Query> result = ParseSql(sql);
  if (result.ok()) return ::testing::AssertionFailure() << "parsed: " << sql;
  if (result.status().code() != Status::Code::kInvalidArgument) {
    return ::testing::AssertionFailure() << "wrong code: " << result.status().ToString();
  }
  const std::string& message = result.status().message();
  if (message.rfind("SQL: ", 0) != 0) {
    return ::testing::AssertionFailure() << "message lacks the SQL: prefix: " << message;
  }
  if (message.find(substring) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message \"" << message << "\" lacks \"" << substring << "\"";
  }
  return ::testing::AssertionSuccess();
}

// --- Valid queries ------------------------------------------------------------------------

TEST(SqlParserTest, MinimalQuery) {
  Query q = MustParse("SELECT arm FROM trial");
  ASSERT_EQ(q.items.size(), 1u);
  EXPECT_EQ(q.items[0].aggregate, Aggregate::kNone);
  EXPECT_EQ(q.items[0].column, "arm");
  EXPECT_EQ(q.items[0].label, "arm");
  EXPECT_EQ(q.table, "trial");
  EXPECT_TRUE(q.where.empty());
  EXPECT_TRUE(q.group_by.empty());
}

TEST(SqlParserTest, CountStarAndCountColumn) {
  Query q = MustParse("SELECT COUNT(*), COUNT(cd4) FROM trial");
  ASSERT_EQ(q.items.size(), 2u);
  EXPECT_EQ(q.items[0].aggregate, Aggregate::kCountStar);
  EXPECT_EQ(q.items[0].column, "");
  EXPECT_EQ(q.items[0].label, "count(*)");
  EXPECT_EQ(q.items[1].aggregate, Aggregate::kCount);
  EXPECT_EQ(q.items[1].column, "cd4");
  EXPECT_EQ(q.items[1].label, "count(cd4)");
}

TEST(SqlParserTest, EveryAggregateWithItsLabel) {
  const std::vector<std::tuple<std::string, Aggregate, std::string>> cases = {
      {"COUNT(x)", Aggregate::kCount, "count(x)"},
      {"SUM(x)", Aggregate::kSum, "sum(x)"},
      {"AVG(x)", Aggregate::kAvg, "avg(x)"},
      {"STDDEV(x)", Aggregate::kStddevSamp, "stddev(x)"},
      {"STDDEV_SAMP(x)", Aggregate::kStddevSamp, "stddev_samp(x)"},
      {"VARIANCE(x)", Aggregate::kVarSamp, "variance(x)"},
      {"VAR_SAMP(x)", Aggregate::kVarSamp, "var_samp(x)"},
      {"STDDEV_POP(x)", Aggregate::kStddevPop, "stddev_pop(x)"},
      {"VAR_POP(x)", Aggregate::kVarPop, "var_pop(x)"},
      {"HISTOGRAM(x)", Aggregate::kHistogram, "histogram(x)"},
      {"MIN(x)", Aggregate::kMin, "min(x)"},
      {"MAX(x)", Aggregate::kMax, "max(x)"},
  };
  for (const auto& [text, aggregate, label] : cases) {
    SCOPED_TRACE(text);
    Query q = MustParse("SELECT " + text + " FROM t");
    ASSERT_EQ(q.items.size(), 1u);
    EXPECT_EQ(q.items[0].aggregate, aggregate);
    EXPECT_EQ(q.items[0].column, "x");
    EXPECT_EQ(q.items[0].label, label);
  }
}

TEST(SqlParserTest, AllAggregatesInOneQuery) {
  Query q = MustParse(
      "SELECT count(*), count(a), sum(a), avg(a), stddev(a), stddev_samp(a), variance(a), "
      "var_samp(a), stddev_pop(a), var_pop(a), histogram(a), min(a), max(a) FROM t");
  ASSERT_EQ(q.items.size(), 13u);
  EXPECT_EQ(q.items[12].aggregate, Aggregate::kMax);
  EXPECT_EQ(q.items[12].label, "max(a)");
}

TEST(SqlParserTest, KeywordsAndFunctionsAreCaseInsensitive) {
  for (const std::string sql : {"select avg(cd4) from trial where arm = 1 group by sex",
                                "SELECT AVG(cd4) FROM trial WHERE arm = 1 GROUP BY sex",
                                "SeLeCt AvG(cd4) FrOm trial wHeRe arm = 1 gRoUp bY sex"}) {
    SCOPED_TRACE(sql);
    Query q = MustParse(sql);
    ASSERT_EQ(q.items.size(), 1u);
    EXPECT_EQ(q.items[0].aggregate, Aggregate::kAvg);
    EXPECT_EQ(q.items[0].label, "avg(cd4)");
    EXPECT_EQ(q.table, "trial");
    ASSERT_EQ(q.where.size(), 1u);
    EXPECT_EQ(q.group_by, std::vector<std::string>{"sex"});
  }
}

TEST(SqlParserTest, IdentifiersKeepTheirSpelling) {
  Query q = MustParse("SELECT Arm, Avg(CD4_Count) FROM Trial GROUP BY Arm");
  EXPECT_EQ(q.items[0].column, "Arm");
  EXPECT_EQ(q.items[0].label, "Arm");
  EXPECT_EQ(q.items[1].column, "CD4_Count");
  EXPECT_EQ(q.items[1].label, "avg(CD4_Count)");
  EXPECT_EQ(q.table, "Trial");
  EXPECT_EQ(q.group_by, std::vector<std::string>{"Arm"});
}

TEST(SqlParserTest, AliasWithAs) {
  Query q = MustParse("SELECT avg(cd4) AS mean_cd4, arm AS treatment FROM t GROUP BY arm");
  EXPECT_EQ(q.items[0].label, "mean_cd4");
  EXPECT_EQ(q.items[0].column, "cd4");
  EXPECT_EQ(q.items[1].label, "treatment");
  EXPECT_EQ(q.items[1].column, "arm");
}

TEST(SqlParserTest, AliasWithoutAs) {
  Query q = MustParse("SELECT count(*) n, sum(cd4) total FROM t");
  EXPECT_EQ(q.items[0].label, "n");
  EXPECT_EQ(q.items[0].aggregate, Aggregate::kCountStar);
  EXPECT_EQ(q.items[1].label, "total");
  EXPECT_EQ(q.items[1].column, "cd4");
}

TEST(SqlParserTest, QuotedAliasMayBeAReservedWordOrContainSpaces) {
  Query q = MustParse(R"(SELECT avg(cd4) AS "Mean CD4", count(*) "from" FROM t)");
  EXPECT_EQ(q.items[0].label, "Mean CD4");
  EXPECT_EQ(q.items[1].label, "from");
}

TEST(SqlParserTest, QuotedIdentifiers) {
  Query q =
      MustParse(R"(SELECT "Group", avg("CD4 count") FROM "my table" WHERE "say ""hi""" = 'x' )"
                R"(GROUP BY "Group")");
  EXPECT_EQ(q.items[0].column, "Group");
  EXPECT_EQ(q.items[0].label, "Group");
  EXPECT_EQ(q.items[1].column, "CD4 count");
  EXPECT_EQ(q.items[1].label, "avg(CD4 count)");
  EXPECT_EQ(q.table, "my table");
  ASSERT_EQ(q.where.size(), 1u);
  EXPECT_EQ(q.where[0].column, R"(say "hi")");
  EXPECT_EQ(q.group_by, std::vector<std::string>{"Group"});
}

TEST(SqlParserTest, TrailingSemicolon) {
  EXPECT_EQ(MustParse("SELECT a FROM t;").table, "t");
  EXPECT_EQ(MustParse("SELECT a FROM t ;  \n").table, "t");
  EXPECT_EQ(MustParse("SELECT a FROM t WHERE b = 1;").where.size(), 1u);
  EXPECT_EQ(MustParse("SELECT a FROM t GROUP BY a;").group_by.size(), 1u);
}

TEST(SqlParserTest, WhitespaceOfAnyKind) {
  Query q = MustParse("\n\tSELECT\n  avg( cd4 ) ,\r\n arm\tFROM  t\n GROUP\n BY arm \n");
  ASSERT_EQ(q.items.size(), 2u);
  EXPECT_EQ(q.items[0].label, "avg(cd4)");
  EXPECT_EQ(q.group_by, std::vector<std::string>{"arm"});
}

TEST(SqlParserTest, EveryComparisonOperator) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"=", "="}, {"<>", "<>"}, {"!=", "<>"}, {"<", "<"}, {"<=", "<="}, {">", ">"}, {">=", ">="},
  };
  for (const auto& [written, normalized] : cases) {
    SCOPED_TRACE(written);
    Query spaced = MustParse("SELECT count(*) FROM t WHERE age " + written + " 40");
    ASSERT_EQ(spaced.where.size(), 1u);
    EXPECT_EQ(spaced.where[0].column, "age");
    EXPECT_EQ(spaced.where[0].op, normalized);
    EXPECT_EQ(spaced.where[0].literal, "40");
    EXPECT_FALSE(spaced.where[0].is_string);
    Query tight = MustParse("SELECT count(*) FROM t WHERE age" + written + "40");
    ASSERT_EQ(tight.where.size(), 1u);
    EXPECT_EQ(tight.where[0].op, normalized);
  }
}

TEST(SqlParserTest, SeveralAndConditions) {
  Query q = MustParse(
      "SELECT count(*) FROM t WHERE a = 1 AND b <> 'x' and c != 2.5 AND d < -3 AND e <= 4 "
      "AND f > 5e2 AND g >= 'it''s'");
  ASSERT_EQ(q.where.size(), 7u);
  const std::vector<std::tuple<std::string, std::string, std::string, bool>> expected = {
      {"a", "=", "1", false},    {"b", "<>", "x", true},  {"c", "<>", "2.5", false},
      {"d", "<", "-3", false},   {"e", "<=", "4", false}, {"f", ">", "5e2", false},
      {"g", ">=", "it's", true},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(q.where[i].column, std::get<0>(expected[i]));
    EXPECT_EQ(q.where[i].op, std::get<1>(expected[i]));
    EXPECT_EQ(q.where[i].literal, std::get<2>(expected[i]));
    EXPECT_EQ(q.where[i].is_string, std::get<3>(expected[i]));
  }
}

TEST(SqlParserTest, NumericLiteralsKeepTheirText) {
  for (const std::string number : {"0", "42", "-7", "3.25", "-0.5", ".5", "-.5", "5.", "1e3", "1E3",
                                   "2.5e-3", "-6.02E+23", "007"}) {
    SCOPED_TRACE(number);
    Query q = MustParse("SELECT count(*) FROM t WHERE x = " + number);
    ASSERT_EQ(q.where.size(), 1u);
    EXPECT_EQ(q.where[0].literal, number);
    EXPECT_FALSE(q.where[0].is_string);
  }
}

TEST(SqlParserTest, StringLiterals) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"'F'", "F"},
      {"''", ""},
      {"'it''s'", "it's"},
      {"''''", "'"},
      {"'with spaces and AND or OR'", "with spaces and AND or OR"},
      {"'semi;colon, comma (paren)'", "semi;colon, comma (paren)"},
      {"'42'", "42"},
      {"'Zürich'", "Zürich"},
      {"'line\nbreak'", "line\nbreak"},
      {"'\"double\"'", "\"double\""},
  };
  for (const auto& [written, value] : cases) {
    SCOPED_TRACE(written);
    Query q = MustParse("SELECT count(*) FROM t WHERE sex = " + written + " AND arm = 1");
    ASSERT_EQ(q.where.size(), 2u);
    EXPECT_EQ(q.where[0].literal, value);
    EXPECT_TRUE(q.where[0].is_string);
    EXPECT_EQ(q.where[1].column, "arm");
  }
}

TEST(SqlParserTest, GroupBySeveralColumns) {
  Query q = MustParse("SELECT arm, sex, site, avg(cd4) FROM t GROUP BY arm, sex ,site");
  EXPECT_EQ(q.group_by, (std::vector<std::string>{"arm", "sex", "site"}));
  ASSERT_EQ(q.items.size(), 4u);
  EXPECT_EQ(q.items[2].aggregate, Aggregate::kNone);
  EXPECT_EQ(q.items[3].aggregate, Aggregate::kAvg);
}

TEST(SqlParserTest, FullQuery) {
  Query q = MustParse(
      "SELECT arm, COUNT(*) AS n, AVG(cd4) mean, STDDEV(cd4) FROM actg175 "
      "WHERE sex = 'F' AND age >= 18 GROUP BY arm;");
  ASSERT_EQ(q.items.size(), 4u);
  EXPECT_EQ(q.items[0].label, "arm");
  EXPECT_EQ(q.items[1].label, "n");
  EXPECT_EQ(q.items[2].label, "mean");
  EXPECT_EQ(q.items[3].label, "stddev(cd4)");
  EXPECT_EQ(q.items[3].aggregate, Aggregate::kStddevSamp);
  EXPECT_EQ(q.table, "actg175");
  ASSERT_EQ(q.where.size(), 2u);
  EXPECT_EQ(q.where[1].op, ">=");
  EXPECT_EQ(q.group_by, std::vector<std::string>{"arm"});
}

TEST(SqlParserTest, SemanticsAreLeftToThePlanner) {
  // Plain columns missing from GROUP BY, MIN/MAX, GROUP BY on an unselected column: all
  // grammatical, so the parser accepts them and the planner explains.
  Query q = MustParse("SELECT arm, min(cd4), max(cd4) FROM t GROUP BY sex");
  EXPECT_EQ(q.items[1].aggregate, Aggregate::kMin);
  EXPECT_EQ(q.items[2].aggregate, Aggregate::kMax);
  EXPECT_EQ(q.group_by, std::vector<std::string>{"sex"});
}

TEST(SqlParserTest, FunctionNamesWithoutParenthesesAreColumns) {
  Query q = MustParse("SELECT count, avg FROM t GROUP BY count");
  EXPECT_EQ(q.items[0].aggregate, Aggregate::kNone);
  EXPECT_EQ(q.items[0].column, "count");
  EXPECT_EQ(q.items[1].label, "avg");
}

TEST(SqlParserTest, ReservedWordsAreUsableWhenQuoted) {
  Query q = MustParse(R"(SELECT "from", avg("group") FROM "where" GROUP BY "from")");
  EXPECT_EQ(q.items[0].column, "from");
  EXPECT_EQ(q.items[1].column, "group");
  EXPECT_EQ(q.table, "where");
}

TEST(SqlParserTest, AggregateNames) {
  EXPECT_EQ(AggregateName(Aggregate::kCountStar), "count");
  EXPECT_EQ(AggregateName(Aggregate::kCount), "count");
  EXPECT_EQ(AggregateName(Aggregate::kSum), "sum");
  EXPECT_EQ(AggregateName(Aggregate::kAvg), "avg");
  EXPECT_EQ(AggregateName(Aggregate::kStddevSamp), "stddev");
  EXPECT_EQ(AggregateName(Aggregate::kVarSamp), "variance");
  EXPECT_EQ(AggregateName(Aggregate::kStddevPop), "stddev_pop");
  EXPECT_EQ(AggregateName(Aggregate::kVarPop), "var_pop");
  EXPECT_EQ(AggregateName(Aggregate::kHistogram), "histogram");
  EXPECT_EQ(AggregateName(Aggregate::kMin), "min");
  EXPECT_EQ(AggregateName(Aggregate::kMax), "max");
}

// --- Errors -------------------------------------------------------------------------------

TEST(SqlParserTest, PercentileContWithinGroup) {
  Query q = MustParse(
      "SELECT arm, percentile_cont(0.5) WITHIN GROUP (ORDER BY cd4), "
      "PERCENTILE_CONT(.25) within group (order by \"CD 4\" ASC) AS q1, "
      "percentile_cont(1) WITHIN GROUP (ORDER BY cd4) FROM t GROUP BY arm");
  ASSERT_EQ(q.items.size(), 4u);
  EXPECT_EQ(q.items[1].aggregate, Aggregate::kPercentileCont);
  EXPECT_EQ(q.items[1].column, "cd4");
  EXPECT_EQ(q.items[1].fraction, 0.5);
  EXPECT_EQ(q.items[1].label, "percentile_cont(0.5)(cd4)");
  EXPECT_EQ(q.items[2].column, "CD 4");
  EXPECT_EQ(q.items[2].fraction, 0.25);
  EXPECT_EQ(q.items[2].label, "q1");
  EXPECT_EQ(q.items[3].fraction, 1.0);
  EXPECT_EQ(q.items[3].label, "percentile_cont(1)(cd4)");
  EXPECT_EQ(MustParse("SELECT percentile_cont(0) WITHIN GROUP (ORDER BY x) FROM t").items[0].label,
            "percentile_cont(0)(x)");
  EXPECT_EQ(AggregateName(Aggregate::kPercentileCont), "percentile_cont");
}

TEST(SqlErrorTest, PercentileContSyntax) {
  const std::string x = " WITHIN GROUP (ORDER BY x) FROM t";
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(x)" + x,
                        "at character 24: expected a fraction p between 0 and 1"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(1.5)" + x,
                        "at character 24: percentile_cont: the fraction must be between 0 and 1, "
                        "found 1.5"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(-0.5)" + x, "between 0 and 1, found -0.5"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(0.5 FROM t", "expected ')' after the fraction"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(0.5) FROM t",
                        "at character 29: expected WITHIN GROUP (ORDER BY column) after "
                        "percentile_cont(p), found 'FROM'"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(0.5) WITHIN (ORDER BY x) FROM t",
                        "expected GROUP, found '('"));
  EXPECT_TRUE(
      FailsWith("SELECT percentile_cont(0.5) WITHIN GROUP ORDER BY x FROM t", "expected '('"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(0.5) WITHIN GROUP (x) FROM t", "expected ORDER"));
  EXPECT_TRUE(
      FailsWith("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER x) FROM t", "expected BY"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x DESC) FROM t",
                        "DESC is not supported in percentile_cont: use the fraction 1 - p"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x, y) FROM t",
                        "percentile_cont orders by one column"));
  EXPECT_TRUE(FailsWith("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x FROM t",
                        "expected ')', found 'FROM'"));
  EXPECT_TRUE(FailsWith("SELECT percentile_disc(0.5)" + x, "unknown function 'percentile_disc'"));
}

TEST(SqlErrorTest, HeaderExampleExpectedFrom) {
  // Also pins the exact format promised in sql.h.
  Result<Query> result = ParseSql("SELECT avg(cd4) AS avg FORM trial");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "SQL: at character 24: expected FROM, found 'FORM'");
}

TEST(SqlErrorTest, EmptyOrMissingSelect) {
  EXPECT_TRUE(FailsWith("", "at character 1: expected SELECT, found 'end of query'"));
  EXPECT_TRUE(FailsWith("   ", "at character 4: expected SELECT, found 'end of query'"));
  EXPECT_TRUE(FailsWith("SELEC a FROM t", "at character 1: expected SELECT, found 'SELEC'"));
  EXPECT_TRUE(FailsWith(";", "at character 1: expected SELECT, found ';'"));
}

TEST(SqlErrorTest, EmptySelectList) {
  EXPECT_TRUE(FailsWith("SELECT FROM t", "at character 8: empty select list"));
  EXPECT_TRUE(FailsWith("SELECT", "at character 7: empty select list"));
  EXPECT_TRUE(FailsWith("SELECT ;", "empty select list"));
}

TEST(SqlErrorTest, BadSelectItems) {
  EXPECT_TRUE(FailsWith("SELECT a, FROM t",
                        "at character 11: expected a column or aggregate, found 'FROM'"));
  EXPECT_TRUE(
      FailsWith("SELECT * FROM t", "at character 8: expected a column or aggregate, found '*'"));
  EXPECT_TRUE(FailsWith("SELECT a,, b FROM t", "at character 10: expected a column or aggregate"));
  EXPECT_TRUE(FailsWith("SELECT 1 FROM t", "expected a column or aggregate, found '1'"));
}

TEST(SqlErrorTest, ExpectedFrom) {
  EXPECT_TRUE(FailsWith("SELECT a", "at character 9: expected FROM, found 'end of query'"));
  EXPECT_TRUE(FailsWith("SELECT a b c FROM t",
                        "at character 12: expected FROM, found 'c' ('b' was read as an alias)"));
  EXPECT_TRUE(FailsWith("SELECT a WHERE x = 1", "expected FROM, found 'WHERE'"));
  EXPECT_TRUE(FailsWith(R"(SELECT "avg"(x) FROM t)", "expected FROM, found '('"));
}

TEST(SqlErrorTest, MisspeltFromAfterAColumnIsExplained) {
  // Without AS a misspelt FROM is a valid alias; the error names it so the user sees why.
  Result<Query> result = ParseSql("SELECT arm FORM trial");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            "SQL: at character 17: expected FROM, found 'trial' ('FORM' was read as an alias)");
}

TEST(SqlErrorTest, BadAlias) {
  EXPECT_TRUE(FailsWith("SELECT a AS FROM t", "at character 13: expected an alias, found 'FROM'"));
  EXPECT_TRUE(FailsWith("SELECT a AS 'x' FROM t", "expected an alias, found ''x''"));
}

TEST(SqlErrorTest, MissingTableName) {
  EXPECT_TRUE(
      FailsWith("SELECT a FROM", "at character 14: expected a table name, found 'end of query'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM WHERE", "expected a table name, found 'WHERE'"));
}

TEST(SqlErrorTest, UnknownFunction) {
  EXPECT_TRUE(FailsWith("SELECT foo(x) FROM t", "at character 8: unknown function 'foo'"));
  EXPECT_TRUE(FailsWith("SELECT a, FOO(x) FROM t", "at character 11: unknown function 'foo'"));
  EXPECT_TRUE(FailsWith("SELECT median(x) FROM t", "unknown function 'median'"));
}

TEST(SqlErrorTest, BadAggregateArguments) {
  EXPECT_TRUE(
      FailsWith("SELECT sum(*) FROM t", "at character 12: expected a column name, found '*'"));
  EXPECT_TRUE(FailsWith("SELECT avg() FROM t", "expected a column name, found ')'"));
  EXPECT_TRUE(FailsWith("SELECT avg(a, b) FROM t", "at character 13: expected ')', found ','"));
  EXPECT_TRUE(FailsWith("SELECT avg(a FROM t", "expected ')', found 'FROM'"));
  EXPECT_TRUE(FailsWith("SELECT avg(sum(a)) FROM t", "expected ')', found '('"));
  EXPECT_TRUE(FailsWith("SELECT count(", "expected a column name, found 'end of query'"));
}

TEST(SqlErrorTest, DistinctIsNotSupported) {
  EXPECT_TRUE(FailsWith("SELECT COUNT(DISTINCT x) FROM t",
                        "at character 14: DISTINCT is not supported inside count(...)"));
  EXPECT_TRUE(FailsWith("SELECT sum(distinct x) FROM t", "DISTINCT is not supported"));
  EXPECT_TRUE(
      FailsWith("SELECT DISTINCT arm FROM t", "at character 8: SELECT DISTINCT is not supported"));
}

TEST(SqlErrorTest, OrIsRefused) {
  EXPECT_TRUE(FailsWith("SELECT count(*) FROM t WHERE a = 1 OR b = 2",
                        "at character 36: only AND is supported between WHERE conditions, "
                        "found 'OR'"));
  EXPECT_TRUE(
      FailsWith("SELECT count(*) FROM t WHERE a = 1 AND b = 2 or c = 3", "only AND is supported"));
}

TEST(SqlErrorTest, BadConditions) {
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE",
                        "at character 22: expected a column name, found 'end of query'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE 1 = a", "expected a column name, found '1'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE a LIKE 'x%'",
                        "at character 25: expected a comparison operator"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE a == 1", "expected a literal"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE a = b",
                        "at character 27: expected a literal (a number or 'text'), found 'b'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE a = ", "expected a literal"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE a = 1 AND", "expected a column name"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE NOT a = 1", "expected a column name, found 'NOT'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE a = - 1", "unexpected character '-'"));
}

TEST(SqlErrorTest, UnexpectedCharacters) {
  EXPECT_TRUE(
      FailsWith("SELECT a FROM t WHERE a ~ 1", "at character 25: unexpected character '~'"));
  EXPECT_TRUE(FailsWith("SELECT a! FROM t", "at character 9: unexpected character '!'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t.u", "unexpected character '.'"));
  EXPECT_TRUE(FailsWith("SELECT é FROM t", "at character 8: unexpected character 'é'"));
  EXPECT_TRUE(FailsWith(std::string_view("SELECT a\0 FROM t", 16), "unexpected character"));
}

TEST(SqlErrorTest, MalformedNumbers) {
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE x = 1e", "at character 27: malformed number '1e'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE x = 1.2.3", "malformed number '1.2.3'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE x = 12abc", "malformed number '12abc'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE x = 1e+", "malformed number '1e'"));
}

TEST(SqlErrorTest, UnterminatedString) {
  EXPECT_TRUE(
      FailsWith("SELECT a FROM t WHERE s = 'abc", "at character 27: unterminated string literal"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE s = 'it''s", "unterminated string literal"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE s = '", "unterminated string literal"));
  // The leftmost error wins even when the unterminated string is later in the query.
  EXPECT_TRUE(FailsWith("SELECT a AS x FORM t WHERE s = 'abc", "expected FROM, found 'FORM'"));
}

TEST(SqlErrorTest, BadQuotedIdentifiers) {
  EXPECT_TRUE(FailsWith(R"(SELECT "abc FROM t)", "at character 8: unterminated quoted identifier"));
  EXPECT_TRUE(FailsWith(R"(SELECT "" FROM t)", "at character 8: empty quoted identifier"));
}

TEST(SqlErrorTest, TrailingGarbage) {
  EXPECT_TRUE(FailsWith("SELECT a FROM t x",
                        "at character 17: expected WHERE, GROUP BY or end of query, found 'x'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t ORDER BY a", "end of query, found 'ORDER'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE b = 1 c",
                        "expected AND, GROUP BY or end of query, found 'c'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t GROUP BY a b", "expected ',' or end of query, found 'b'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t; SELECT b FROM t",
                        "at character 18: expected end of query, found 'SELECT'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t;;", "expected end of query, found ';'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t GROUP BY a LIMIT 5", "end of query, found 'LIMIT'"));
}

TEST(SqlErrorTest, BadGroupBy) {
  EXPECT_TRUE(FailsWith("SELECT a FROM t GROUP a", "at character 23: expected BY, found 'a'"));
  EXPECT_TRUE(
      FailsWith("SELECT a FROM t GROUP BY", "expected a column name, found 'end of query'"));
  EXPECT_TRUE(FailsWith("SELECT a FROM t GROUP BY a,", "expected a column name"));
  EXPECT_TRUE(
      FailsWith("SELECT a FROM t GROUP BY avg(a)", "expected ',' or end of query, found '('"));
}

TEST(SqlErrorTest, PositionsCountCharactersNotBytes) {
  // 'é' is two bytes in UTF-8 but one character for whoever counts along the query.
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE s = 'é' OR b = 1", "at character 31:"));
}

TEST(SqlErrorTest, LongTokensAreShortenedInMessages) {
  const std::string long_name(5000, 'x');
  Result<Query> result = ParseSql("SELECT a FROM t " + long_name);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("found '" + std::string(40, 'x') + "...'"),
            std::string::npos)
      << result.status().message();
  EXPECT_LT(result.status().message().size(), 200u);
}

TEST(SqlErrorTest, QueryLengthIsBounded) {
  const std::string head = "SELECT a FROM t WHERE s = '";
  std::string at_limit = head + std::string(100000 - head.size() - 1, 'x') + "'";
  ASSERT_EQ(at_limit.size(), 100000u);
  EXPECT_TRUE(ParseSql(at_limit).ok());
  EXPECT_TRUE(FailsWith(at_limit + " ", "the query is 100001 characters long; at most 100000"));
  EXPECT_TRUE(FailsWith(std::string(1000000, ' '), "at most 100000 are accepted"));
}

std::string Repeated(const std::string& piece, const std::string& separator, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += separator;
    out += piece + std::to_string(i);
  }
  return out;
}

TEST(SqlErrorTest, SelectListIsBounded) {
  EXPECT_EQ(MustParse("SELECT " + Repeated("c", ",", 1000) + " FROM t").items.size(), 1000u);
  EXPECT_TRUE(FailsWith("SELECT " + Repeated("c", ",", 1001) + " FROM t",
                        "too many select items (at most 1000)"));
}

TEST(SqlErrorTest, WhereIsBounded) {
  EXPECT_EQ(
      MustParse("SELECT a FROM t WHERE " + Repeated("c", " = 1 AND ", 1000) + " = 1").where.size(),
      1000u);
  EXPECT_TRUE(FailsWith("SELECT a FROM t WHERE " + Repeated("c", " = 1 AND ", 1001) + " = 1",
                        "too many WHERE conditions (at most 1000)"));
}

TEST(SqlErrorTest, GroupByIsBounded) {
  EXPECT_EQ(MustParse("SELECT a FROM t GROUP BY " + Repeated("c", ",", 1000)).group_by.size(),
            1000u);
  EXPECT_TRUE(FailsWith("SELECT a FROM t GROUP BY " + Repeated("c", ",", 1001),
                        "too many GROUP BY columns (at most 1000)"));
}

// Malformed input as a test subject in its own right: every prefix and random mutations of a
// valid query must either parse or fail cleanly with a positioned InvalidArgument.
TEST(SqlRobustnessTest, PrefixesAndMutationsFailCleanly) {
  const std::string valid =
      "SELECT arm, COUNT(*) AS n, AVG(\"cd4 \"\"x\"\"\") m FROM t WHERE sex = 'F''s' AND "
      "age >= -1.5e2 AND b != .5 GROUP BY arm, sex;";
  ASSERT_TRUE(ParseSql(valid).ok());
  auto check = [](const std::string& sql) {
    Result<Query> result = ParseSql(sql);
    if (result.ok()) return;
    EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument) << sql;
    EXPECT_EQ(result.status().message().rfind("SQL: at character ", 0), 0u)
        << sql << "\n"
        << result.status().message();
  };
  for (size_t n = 0; n <= valid.size(); ++n) check(valid.substr(0, n));

  std::mt19937 rng(20240601);
  const std::string alphabet = "'\"(),*;=<>!-.e0aZ_ \n\x80\xc3";
  for (int round = 0; round < 5000; ++round) {
    std::string sql = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % sql.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          sql[at] = c;
          break;
        case 1:
          sql.insert(sql.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          sql.erase(at, 1);
          break;
      }
      if (sql.empty()) sql = "S";
    }
    check(sql);
  }
}

}  // namespace
}  // namespace cipherstat
