// Schema: what each column of a raw CSV is, how it is validated, and which aggregates the
// encrypted layout must be able to answer. Stored as editable JSON (see SchemaToJson).
//
// {
//   "format": "cipherstat-schema", "version": 1, "name": "cohort",
//   "max_records": 1000000,
//   "columns": [
//     {"name": "patient_id", "kind": "identifier"},
//     {"name": "cause_of_death", "kind": "excluded"},       // never encrypted, never shipped
//     {"name": "age", "kind": "numeric", "min": 18, "max": 90, "decimals": 0,
//      "on_invalid": "missing"},
//     {"name": "arm", "kind": "numeric", "min": 0, "max": 3, "decimals": 0,
//      "levels": ["0","1","2","3"]},                       // numeric AND groupable
//     {"name": "sex", "kind": "categorical", "levels": ["F","M"], "on_invalid": "drop_row"},
//     {"name": "site", "kind": "categorical", "levels": [...], "public": true},
//     {"name": "cd4", "kind": "numeric", "min": 0, "max": 2000, "decimals": 0,
//      "bins": [0, 200, 350, 500, "inf"]},
//     {"name": "viral_load", "kind": "numeric", "min": 0, "max": 20000000, "decimals": 0,
//      "censored": "limit"},                                // "<50" -> 50 (or "missing")
//     {"name": "enrolled", "kind": "date", "min": "2001-01-01", "max": "2024-12-31"},
//     {"name": "last_visit", "kind": "date", "min": "2001-01-01", "max": "2025-12-31"},
//     {"name": "enrolled_year", "kind": "numeric", "year_of": "enrolled", "min": 2001,
//      "max": 2024, "decimals": 0, "levels": ["2001", ..., "2024"]},   // computed by clean
//     {"name": "days_enrolled_to_last_visit", "kind": "numeric",
//      "days_between": ["enrolled", "last_visit"], "min": 0, "max": 9000, "decimals": 0}
//   ],
//   "derived": [{"name": "viral_suppressed", "column": "viral_load", "op": "<", "value": 200}],
//   "crosses": [{"by": "arm", "over": ["cd4", "viral_suppressed", "cd4*age"]}],
//   "products": [["cd4", "age"], ["log10_vl", "cd4", "age"]],
//   "survival": [{"time": "days_enrolled_to_last_visit", "event": "died", "by": ["arm"]}],
//   "missing_values": ["", "NA"]
// }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace cipherstat {

// Identifier: one patient or record (declared by the owner, or inferred: data/clean.h); kept
// in the clean CSV for the owner, never encrypted or shipped. Excluded: a column not worth
// encrypting (free text with too many values to group by); kept in the clean CSV as read, never
// encrypted or shipped, never a reason to drop a row. Neither takes part in any query: the
// compute party's catalog names them, by kind, so that the planner can say why. Date: ISO dates
// ("2019-03-04", encoding/date.h), encrypted as day numbers like a numeric column with 0
// decimals, so AVG gives the average date and STDDEV a spread in days; the catalog calls it
// numeric, so the compute party cannot tell it from a number. Its bounds are written as dates.
enum class ColumnKind { kIdentifier, kNumeric, kCategorical, kExcluded, kDate };
// "identifier", "numeric", "categorical", "excluded", "date"
const char* ColumnKindName(ColumnKind kind);
// What a bad or missing value does to its row.
enum class OnInvalid { kMissing, kDropRow };
// A numeric value written past a detection limit ("<50", "> 10000000"): the limit itself
// ("limit", the default: clean writes 50 and counts it as censored_below/censored_above in its
// report) or a missing value ("missing"). Numeric columns only.
enum class Censored { kLimit, kMissing };

// Real data needs more than 9 places (a square root stored to 10 decimals); the 2^53 range
// rule, not this cap, is what keeps values exact.
inline constexpr int kMaxDecimals = 15;

struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  // Numeric: inclusive range and fixed-point scale (value = integer / 10^decimals). Date: the
  // range as day numbers, decimals 0.
  double min = 0, max = 0;
  int decimals = 0;
  // Categorical levels, or for a numeric column the values it may be grouped by (in the
  // normal form clean writes: "2", "3.5"). Non-empty => the column is groupable.
  std::vector<std::string> levels;
  // Histogram bin edges for a numeric column: bin i is [edges[i], edges[i+1]); the last edge
  // may be +infinity. Empty => HISTOGRAM(column) is not answerable.
  std::vector<double> bins;
  bool is_public = false;  // stays plaintext; usable in WHERE and as a MapReduce key
  // Identifier only: values must be unique (one row per patient), so clean drops repeats.
  // False for visit-level files where an id repeats by design ("unique": false in JSON).
  bool unique = true;
  OnInvalid on_invalid = OnInvalid::kMissing;
  // Numeric only; unset behaves as kLimit and is not written. Inference sets it where it saw
  // a censored value, so that the owner sees the rule.
  std::optional<Censored> censored;
  // A numeric column clean computes from date columns instead of reading it (the raw CSV must
  // not have it): "year_of": D is the calendar year of date D, "days_between": [A, B] is B − A
  // in days. Missing when a source date is. Follow-up times and GROUP BY year come from these.
  std::string year_of;
  std::string days_from, days_to;  // "days_between": [days_from, days_to]

  // Encrypted as a number with sums and squares: a numeric column, or a date as its day number.
  bool numeric() const { return kind == ColumnKind::kNumeric || kind == ColumnKind::kDate; }
  bool date() const { return kind == ColumnKind::kDate; }
  bool computed() const { return !year_of.empty() || !days_from.empty(); }
  // False for identifiers and excluded columns: never encrypted, never in a record line.
  bool shipped() const { return kind != ColumnKind::kIdentifier && kind != ColumnKind::kExcluded; }
  bool groupable() const { return !levels.empty(); }
};

// A 0/1 indicator computed from a numeric column: column op value. Missing if the source is.
struct Derived {
  std::string name;
  std::string column;
  std::string op;  // one of < <= > >= == !=
  double value = 0;
};

// GROUP BY `by` may be asked over each column in `over` (private cross slots).
struct Cross {
  std::string by;
  std::vector<std::string> over;
  bool operator==(const Cross&) const = default;
};

// A product set: numeric variables (private numeric columns or derived indicators) whose
// cross products are encrypted, with their counts, sums and squares, over the records where
// every one of them is present (complete cases), so that CORR, COVAR_*, REGR_* and LINREG can
// run over them (query/aggregates.h). Named by ProductKey; a cross may list that name in its
// "over" to have the set per level of its group column.
using ProductSet = std::vector<std::string>;
// The members joined by '*': "cd4*age". Member names never contain '*' (ValidateSchema).
std::string ProductKey(const ProductSet& members);
// The members of a ProductKey (a slot's "X*Z" or `cases`).
ProductSet SplitProductKey(const std::string& key);

// A time-to-event pair for KAPLAN_MEIER, AT_RISK, EVENTS and LOGRANK (query/aggregates.h):
// `time` a private numeric column with "bins" (the time axis), `event` a private 0/1 column or
// derived indicator (1: the event, 0: censored). Per bin of time the layout encrypts the
// records leaving the risk set (time in the bin, event present) and the events among them,
// and the same per level of each private groupable column in `by`.
struct Survival {
  std::string time, event;
  std::vector<std::string> by;
  bool operator==(const Survival&) const = default;
};

struct Schema {
  std::string name = "dataset";
  uint64_t max_records = 1000000;
  std::vector<Column> columns;
  std::vector<Derived> derived;
  std::vector<Cross> crosses;
  std::vector<ProductSet> products;
  std::vector<Survival> survival;
  std::vector<std::string> missing_values = {"", "NA"};

  // nullptr when absent.
  const Column* FindColumn(const std::string& name) const;
  const Derived* FindDerived(const std::string& name) const;
  // True when `name` is a numeric column or a derived indicator.
  bool IsNumeric(const std::string& name) const;
  bool HasCross(const std::string& by, const std::string& over) const;
  // The product set named `key`, or nullptr.
  const ProductSet* FindProduct(const std::string& key) const;
};

// True when every value `column` (a numeric column with bins) allows falls in one of its bins:
// the first edge is <= min and the last > max, compared as the encoder compares (edge·10^d in
// long double against the fixed-point value, encoding/layout.h).
bool BinsCoverBounds(const Column& column);

// Checks internal consistency: unique names, min <= max, 0 <= decimals <= kMaxDecimals,
// range fits the fixed-point encoding (|value|·10^decimals < 2^53) and min/max/levels are
// exact at that scale, levels unique (numeric levels in normal form: "3.5", not "3.50"),
// bins increasing, products of two or more distinct private numeric (not date) columns or
// indicators, each set once, derived/crosses refer to existing columns of the right kind,
// identifiers and excluded columns not public and without levels or bins (an excluded column never
// drops a row: no "on_invalid": "drop_row"), "censored" on numeric columns only, public columns not
// numeric-only, dates private, between 0001-01-01 and 9999-12-31, with no levels, bins,
// "censored" or indicators (group by a "year_of" column instead), computed columns numeric with
// 0 decimals over date columns... Errors name the column and field.
Status ValidateSchema(const Schema& schema);

std::string SchemaToJson(const Schema& schema);          // pretty-printed, stable key order
Result<Schema> SchemaFromJson(const std::string& json);  // also runs ValidateSchema
Result<Schema> ReadSchemaFile(const std::string& path);  // errors prefixed with the path

}  // namespace cipherstat
