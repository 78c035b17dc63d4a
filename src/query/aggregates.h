// The aggregates of the query language, one registry entry each. The parser finds an entry by
// its SQL name, the planner asks it which slots to sum, the decoder turns a row's sums into its
// cells, and the HTML report reads the chart it suits.
//
// Adding an aggregate takes an enum value below and an entry, with its slots and its decoder,
// in aggregates.cc; nothing else changes.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bigint.h"
#include "encoding/catalog.h"
#include "encoding/layout.h"
#include "query/cell.h"
#include "query/noise.h"
#include "util/status.h"

namespace cipherstat {

enum class Aggregate {
  kNone,  // a plain column (must appear in GROUP BY): no entry
  kCountStar,
  kCount,
  kSum,
  kAvg,
  kStddevSamp,
  kVarSamp,
  kStddevPop,
  kVarPop,
  kHistogram,
  kAvgCi,           // the mean's 95% confidence interval (Student t)
  kProportionCi,    // a 0/1 column's proportion's 95% interval (Wilson score)
  kTtest,           // Welch's two-sample t-test between the two groups of the GROUP BY
  kAnova,           // one-way ANOVA (equal variances) across the groups of the GROUP BY
  kChisq,           // chi-square test of independence: the GROUP BY against a categorical column
  kPercentileCont,  // PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x), from x's histogram bins
  // Over the pairs where y and x are both present, from a declared product set (encoding/
  // schema.h), with PostgreSQL's definitions and NULLs:
  kCorr,           // Pearson's r
  kCovarSamp,      // Σ(x−x̄)(y−ȳ)/(n−1)
  kCovarPop,       // Σ(x−x̄)(y−ȳ)/n
  kRegrSlope,      // least squares y = a + b·x: b
  kRegrIntercept,  // a
  kRegrR2,         // r² (1 when y is constant and x is not)
  kRegrCount,      // the pairs
  kLinreg,         // LINREG(y, x1, ..., xk): least squares over the complete cases, with
                   // each coefficient's standard error, t and p (Student t, n−k−1 df)
  // Over a declared survival pair (time, event) (encoding/schema.h), per bin of time:
  kKaplanMeier,  // the Kaplan–Meier survival estimate at the end of the bin
  kAtRisk,       // the records still followed at the start of the bin
  kEvents,       // the events in the bin
  kLogrank,      // the log-rank test across the groups of the GROUP BY (query/compare.h)
  kMin,          // MIN and MAX are parsed so that the planner can explain why they cannot run
  kMax,
};

// What goes between the parentheses: COUNT(*) takes a star, PERCENTILE_CONT a fraction p
// followed by WITHIN GROUP (ORDER BY x), CORR and the like two columns (y, x), LINREG y and one
// or more x, every other aggregate a column.
enum class ArgumentKind { kStar, kColumn, kFractionWithinGroup, kColumnPair, kColumnList };

// How many columns an item releases.
enum class OutputColumns {
  kOne,        // labelled like the item: "avg(cd4)" or its alias
  kOnePerBin,  // one per bin of the argument: "histogram(cd4)[0,200)", ...
  kParts,      // one per AggregateSpec::parts: "avg_ci(cd4) lo", "avg_ci(cd4) hi"; an empty
               // part is the label alone
  kTerms,      // per term of a model, "(intercept)" then each x, one per AggregateSpec::
               // term_parts ("linreg(y, x) x estimate"), then one per AggregateSpec::parts
};

// The chart the HTML report draws from an aggregate's column.
enum class ChartHint {
  kNone,
  kMeanBars,              // a bar per row; a 0/1 column's mean is drawn as a proportion
  kSampleSdWhiskers,      // ± one SD whiskers on the mean bars of the same column
  kPopulationSdWhiskers,  // the same, when the query asks no sample SD
  kHistogram,             // a chart per row, a bar per bin
  kSurvivalSteps,         // one chart, a step line per row
};

struct ItemContext;
class RowSums;
struct SelectItem;  // query/sql.h

struct AggregateSpec {
  Aggregate aggregate;
  std::vector<std::string_view> names;  // SQL names in lowercase, the canonical one first
  ArgumentKind argument;
  OutputColumns columns;
  ChartHint chart;
  // kParts: the suffix of each column, in order; kTerms: of each column after the terms'.
  std::vector<std::string_view> parts = {};
  // kTerms: the suffix of each term's columns.
  std::vector<std::string_view> term_parts = {};
  // A statistic over every group of the GROUP BY, released as the table's one row
  // (query/compare.h): its `decode` is never called.
  bool across_groups = false;
  // Computed from exact sums only: with differential privacy (--dp-epsilon) it is refused,
  // since its interval or p-value would ignore the noise.
  bool exact_only = false;
  // Adds the slots the item needs to `slots`. Errors: InvalidArgument naming what the schema
  // lacks; NotFound(variable) when the layout lacks a slot the schema promises.
  Status (*slots)(const ItemContext& item, std::set<int>* slots);
  // The item's cells in one row, each passed through RowSums::Release; the decoder hides
  // cells afterwards by the disclosure rules (query/disclosure.h).
  std::vector<Cell> (*decode)(const ItemContext& item, const RowSums& row);
};

// One SELECT item as the planner and the decoder see it. The planner runs on both sides, so
// `slots` reads only the catalog and the layout's slots; `decode` runs on the owner's side,
// where the layout is built from the owner's schema and has its variable codecs.
struct ItemContext {
  Aggregate aggregate;
  const std::string& column;         // the argument; empty for COUNT(*)
  const std::string& private_group;  // the private GROUP BY column, or empty
  const Catalog& catalog;
  const Layout& layout;
  double fraction = 0;  // PERCENTILE_CONT's p
  // The argument's schema column: on the owner's side only (the decoder), else nullptr.
  const Column* schema_column = nullptr;
  // The x of (y, x), or LINREG's x1..xk (`column` is y).
  std::vector<std::string> regressors = {};
  // The confidence level of AVG_CI and PROPORTION_CI (ReleaseOptions::level).
  double level = 0.95;
  // The release's minimum cell size (ReleaseOptions::min_cell): KAPLAN_MEIER and AT_RISK stop
  // before a bin whose events or exits it would show.
  uint64_t min_cell = 0;
};

// The context of a SELECT item's aggregate as both sides plan it; the decoder then sets the
// owner's fields (schema_column, level, min_cell).
ItemContext PlanningContext(const SelectItem& item, const std::string& private_group,
                            const Catalog& catalog, const Layout& layout);

// The differential-privacy noise in a value a RowSums returns (query/decode.h): the sum of
// `terms` independent discrete Laplace draws, one per slot read, with total `variance` in
// squared fixed-point units; `single` is the draw's distribution when terms == 1.
struct SumNoise {
  double variance = 0;
  int terms = 0;
  std::optional<DiscreteLaplace> single;
};

// The decrypted sums behind one output row: a public group's, narrowed to one level of the
// private GROUP BY column when the query has one.
class RowSums {
 public:
  virtual ~RowSums() = default;

  virtual const crypto::BigInt& records() const = 0;  // the records in the row
  // True for the row of records that miss the private GROUP BY column.
  virtual bool null_group() const = 0;
  // A slot summed over the row's whole public group (Layout::Find's arguments, `by` empty).
  virtual crypto::BigInt Slot(SlotKind kind, const std::string& variable, int level,
                              int bin) const = 0;
  // A slot of `variable` summed over the row's records: the whole group's, the row's level's
  // (a cross by the private column), or for the NULL row the total minus every level's.
  // `cases` and `bin`: a product set's or survival pair's slot (Slot::cases, Slot::bin).
  virtual crypto::BigInt ForRow(SlotKind kind, const std::string& variable,
                                const std::string& cases = "", int bin = -1) const = 0;
  // With differential privacy, the noise in records(), Slot(...) and ForRow(...); nullopt
  // for an exact release.
  virtual std::optional<SumNoise> RecordsNoise() const { return std::nullopt; }
  virtual std::optional<SumNoise> SlotNoise(SlotKind, const std::string&, int, int) const {
    return std::nullopt;
  }
  virtual std::optional<SumNoise> ForRowNoise(SlotKind, const std::string&) const {
    return std::nullopt;
  }

  // `value`, computed from `support` records (the row's, or those with x present, or a
  // bin's). Every cell an item decodes goes through here, once, in column order: the support
  // is recorded for the disclosure rules (query/disclosure.h), which hide cells of the whole
  // table afterwards.
  Cell Release(const crypto::BigInt& support, Cell value) const;

 protected:
  // Release appends each cell's support to `supports`.
  explicit RowSums(std::vector<crypto::BigInt>* supports) : supports_(supports) {}

 private:
  std::vector<crypto::BigInt>* supports_;
};

// Every entry, in enum order.
const std::vector<AggregateSpec>& Aggregates();
// The entry of `aggregate`; nullptr for kNone.
const AggregateSpec* FindAggregate(Aggregate aggregate);
// The entry called `lowercase_name` that takes `argument`, or nullptr.
const AggregateSpec* FindAggregate(std::string_view lowercase_name, ArgumentKind argument);
// True when CHISQ(y) under a GROUP BY whose private column is `group` ("" for none) reads the
// levels of y per public group; false when it reads a 0/1 y's observed count and sum.
bool ChisqReadsLevels(const Catalog& catalog, const std::string& y, const std::string& group);
// Canonical lowercase name ("count", "avg", "stddev", ...); "none" for kNone.
std::string AggregateName(Aggregate aggregate);

}  // namespace cipherstat
