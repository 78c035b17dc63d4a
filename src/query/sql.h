// The query language: a small SQL subset with PostgreSQL semantics.
//
//   SELECT item [, item]... FROM name
//     [WHERE column op literal [AND column op literal]...]
//     [GROUP BY column [, column]...] [;]
//   item:    column | COUNT(*) | COUNT(x) | SUM(x) | AVG(x) | STDDEV(x) | VARIANCE(x)
//            | STDDEV_POP(x) | VAR_POP(x) | STDDEV_SAMP(x) | VAR_SAMP(x) | HISTOGRAM(x)
//            | AVG_CI(x) | PROPORTION_CI(x) | TTEST(x) | ANOVA(x) | CHISQ(x)  (query/compare.h)
//            | MIN(x) | MAX(x)          (the functions of query/aggregates.h)
//            | PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x [ASC])   (p a number in [0, 1])
//            | CORR(y, x) | COVAR_SAMP(y, x) | COVAR_POP(y, x) | REGR_SLOPE(y, x)
//            | REGR_INTERCEPT(y, x) | REGR_R2(y, x) | REGR_COUNT(y, x) | LINREG(y, x1, ...)
//            | KAPLAN_MEIER(t, e) | AT_RISK(t, e) | EVENTS(t, e) | LOGRANK(t, e)
//            each optionally followed by [AS] alias
//   op:      = | <> | != | < | <= | > | >=
//   literal: 'text' (with '' for a quote) | number
// Keywords and function names are case-insensitive; identifiers may be "double-quoted".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "query/aggregates.h"
#include "util/status.h"

namespace cipherstat {

struct SelectItem {
  Aggregate aggregate = Aggregate::kNone;
  std::string column;  // the argument (empty for COUNT(*)), or the plain column; y of (y, x)
  std::vector<std::string> regressors = {};  // x of (y, x), or x1..xk of LINREG
  std::string label;    // alias if given, else canonical text: "count(*)", "avg(cd4)", "arm",
                        // "percentile_cont(0.5)(cd4)", "corr(cd4, age)"
  double fraction = 0;  // PERCENTILE_CONT's p
};

struct Condition {
  std::string column;
  std::string op;       // one of = <> < <= > >=   ("!=" is normalized to "<>")
  std::string literal;  // unquoted text of the literal
  bool is_string = false;
};

struct Query {
  std::vector<SelectItem> items;
  std::string table;
  std::vector<Condition> where;  // ANDed
  std::vector<std::string> group_by;
};

// Parses `sql`. Errors are InvalidArgument with the 1-based character position and what was
// expected, e.g. "SQL: at character 24: expected FROM, found 'FORM'".
Result<Query> ParseSql(std::string_view sql);

}  // namespace cipherstat
