// Table 1 of a clinical paper (issue 18 item 6): the cohort's characteristics by a grouping
// column, built only from released tables. It writes SQL queries and runs them through
// RunReportQueries (pipeline/report.h): each is computed on the compute side's code path,
// verified, decrypted, decoded and passed through the disclosure rules and the release ledger
// exactly as any other release; this file only chooses the queries and lays their cells out
// (report/table1.h).
//
// The queries, for grouping column g over table t (an "overall" column drops the GROUP BY):
//   N                    SELECT g, COUNT(*) FROM t GROUP BY g
//   numeric x            SELECT g, COUNT(x), AVG(x), STDDEV(x) FROM t GROUP BY g   mean ± SD
//   x in `median`        SELECT g, COUNT(x), PERCENTILE_CONT(0.5 | 0.25 | 0.75) WITHIN GROUP
//                        (ORDER BY x) FROM t GROUP BY g                            median [IQR]
//   0/1 y (a derived     SELECT g, COUNT(y), SUM(y) FROM t GROUP BY g              n (%) of ones
//   indicator, or private numeric with min 0, max 1, no decimals)
//   categorical y (or a  SELECT g, y, COUNT(*) FROM t GROUP BY g, y                n (%) per level
//   public groupable one, or one in `categorical`)
// and one test query per row, after the figures (so that the number of groups with values is
// known): TTEST(x) for two groups, ANOVA(x) for more (numeric rows, the median's too), CHISQ(y)
// (0/1 and categorical rows), each "SELECT TEST(x) FROM t GROUP BY g" alone, so that each
// p-value is hidden exactly when its own per-group table has a hidden cell (query/compare.h).
//
// Which columns: `columns`, else every column the dataset ships (identifiers and excluded
// columns never are) and every derived indicator, in schema order. What a column needs is what
// its queries need (the planner decides, query/plan.h): a private g needs crosses g × x, and
// cannot be crossed with a private categorical y; medians need x's histogram bins and a
// public g. A column whose figures the dataset cannot answer is skipped with a note quoting
// the planner, or refused when `columns` or `median` named it; a row whose test cannot run
// keeps its figures, with a note and no p-value. Groups whose g is missing are left out of the
// group columns (a note counts them) but are in Overall, as R's table() and t.test(x ~ g) drop
// NA groups.
//
// Refused with --dp-epsilon: p-values and percentiles need exact sums (query/compare.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "engine/engine.h"
#include "pipeline/release.h"
#include "report/table1.h"
#include "store/dataset.h"
#include "util/status.h"

namespace cipherstat::pipeline {

struct Table1Spec {
  std::string group;                 // the grouping column
  std::vector<std::string> columns;  // the rows' columns, in order; empty: every column
  std::vector<std::string> median;   // numeric columns shown as median [IQR] instead
  // Numeric columns with levels (arms 0..3) shown as n (%) per level instead of mean ± SD.
  std::vector<std::string> categorical;
  bool overall = true;  // an "Overall" column
};

struct Table1Run {
  Table1 table;
  Schema schema;  // the owner's, opened with the results
  DatasetFacts facts;
  std::string ledger_entries;  // the ledger lines recorded, for the audit entry
};

// Runs the queries above in three rounds (`progress` hears each query before it runs) through
// RunReportQueries (N; figures; tests) and lays out the released cells. Errors: InvalidArgument for
// a group or listed column the dataset cannot answer, naming it and the planner's reason; any error
// of a release.
Result<Table1Run> BuildTable1(
    const Dataset& dataset, Decryptor& decryptor, const Table1Spec& spec, const ReleaseRules& rules,
    const audit::Trail* ledger, Engine& engine,
    const std::function<void(const std::string& sql)>& progress = nullptr);

}  // namespace cipherstat::pipeline
