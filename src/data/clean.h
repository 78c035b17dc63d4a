// Schema inference and cleaning: raw CSV in, validated CSV out, and a report of every change.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "encoding/schema.h"
#include "util/status.h"

namespace cipherstat {

// An owner-declared range for one numeric column, as written ("0", "2000", "-3.5"): exact at the
// column's decimals. It replaces the grid bounds below.
struct DeclaredRange {
  std::string min, max;
};

struct InferOptions {
  size_t max_levels = 12;                       // at most this many distinct values => groupable
  uint64_t max_records = 1000000;               // written into the schema
  std::map<std::string, DeclaredRange> ranges;  // by column name (`schema --range`)
};

// Parses "COLUMN=MIN:MAX" (`schema --range`; the name is everything before the last '=') into
// options->ranges. Fails for a malformed spec, a bound that is not a plain number, MIN > MAX or
// a column named twice.
Status AddDeclaredRange(const std::string& spec, InferOptions* options);

// Where a numeric column's inferred bounds came from (InferSchema's review notes).
struct InferredBounds {
  enum class Source {
    kGrid,      // the grid rule below
    kDeclared,  // options.ranges
    kNoValues,  // every value missing: [0, 0]
  };
  struct Side {
    std::string step;       // the grid step this bound lies on, as text ("1000", "0.1")
    bool narrowed = false;  // finer than the column's step: the coarse bound would pass 10^15
    bool observed = false;  // no coarser bound fits: the bound is the observed extreme itself
  };
  Source source = Source::kGrid;
  std::string step;  // kGrid: the column's grid step, as text
  Side min, max;     // kGrid
};
using InferredBoundsMap = std::map<std::string, InferredBounds>;  // by numeric column name

// Reads the whole CSV once (streaming) and proposes a schema: identifiers (name looks like an
// id and values are unique; a patient-id name such as "id"/"patid" whose values repeat, as in
// a visit-level file, becomes a non-unique identifier; unique text, or text with more than
// max_levels values, is never shipped), numeric columns with bounds and decimals (up to
// kMaxDecimals), categorical columns, numeric columns with <= max_levels distinct integer values
// get levels too; CD4-named columns get clinical bins, a viral-load column a viral_suppressed (<
// 200) indicator; crosses by every private groupable column over every other numeric column and
// indicator. The schema is named after the file stem, made a plain SQL identifier ("2024-x" ->
// "t_2024_x").
//
// Bounds are never the data's extremes (the highest viral load is one patient's value); they are
// rounded outward to a coarse decimal grid. In the column's fixed-point units (value·10^decimals,
// decimals being the most places any value has, as clean needs them):
//   M    = max(|observed min|, |observed max|)
//   step = 10^floor(log10 M)            (the unit of M's leading digit; 1 unit when M is 0)
//   min' = 0 if observed min >= 0, else floor(min / step)·step
//   max' = ceil(max / step)·step
// so cd4 0..1287 -> [0, 2000] (step 1000), wtkg 31.0..159.93878 -> [0, 200] (step 100), a
// change -37.5..12.25 -> [-40, 20] (step 10), a score 0.05..0.73 -> [0, 0.8] (step 0.1). Integer
// columns get integer bounds, every bound is exact at the column's decimals, and a bound equals
// an observed value only when that value is itself on the grid (1000 stays 1000: it then says
// only "at most"); a column whose largest magnitude is a single digit at its scale (flags,
// codes 0..3, which get levels and so list their values anyway) has a step of one unit.
// Inferred values stay below 10^15 at their scale (15 significant digits, inside the 2^53 rule
// of encoding/schema.h). A bound the rule would put at or past 10^15 (a 15-digit float such as
// 0.987654321098765 -> 1) becomes instead the largest value below 10^15 on a finer power-of-ten
// grid that still holds the data (-> 0.99, step 0.01); only when none does (0.999999999999999)
// is it the observed extreme, and `bounds` says so.
//
// options.ranges replaces a column's grid bounds with the owner's clinical range. It fails,
// naming the column, when the column is not in the header or not inferred numeric, a bound is
// not exact at the column's decimals or has more than 15 digits there, or any observed value
// lies outside the range (the error gives how many, never which).
//
// `bounds`, when not null, receives where each numeric column's bounds came from, for
// DescribeInferredSchema.
Result<Schema> InferSchema(const std::string& csv_path, const InferOptions& options,
                           InferredBoundsMap* bounds = nullptr);

// What InferSchema proposed, for the owner to review: a line per column (kind, decimals, number
// of levels, bounds and their origin, bins, public or private; identifiers "never shipped"),
// then the derived indicators and crosses. Never an observed value: level names and observed
// extremes stay out (this text lands in terminals and logs), except a bound that is itself an
// observed value, which is shown as "observed". `bounds` may be empty (a schema read from a
// file): bounds are then shown without their origin.
std::string DescribeInferredSchema(const Schema& schema, const InferredBoundsMap& bounds);

// One rule's hits in the clean report.
struct RuleHits {
  uint64_t count = 0;
  std::vector<uint64_t> lines;  // first 100 line numbers
};

struct CleanReport {
  uint64_t rows_read = 0;
  uint64_t rows_written = 0;
  uint64_t rows_dropped = 0;
  // Keyed by "<rule>:<column>", e.g. "out_of_range:cd4", "unknown_level:sex",
  // "not_a_number:age", "too_many_decimals:wtkg", "missing:cd496", "wrong_field_count",
  // "duplicate_identifier:pidnum", "unknown_column:foo", "missing_column:bar",
  // "invalid_character:site" (a tab or line break in a public column).
  std::map<std::string, RuleHits> hits;
  std::string ToJson() const;
};

// Validates every row of `raw_path` against `schema` and writes the clean CSV atomically to
// `out_path`: header = schema columns in order (identifiers kept for the owner's use; encrypt
// never ships them), values trimmed and normalized (numbers in the shortest exact form:
// "26.33333", "-3.5", "200"; missing as an empty field).
// Fails (nothing written) if the schema is invalid, the CSV malformed, the header lacks a schema
// column or the clean rows exceed schema.max_records. `report` may be null. With !overwrite an
// existing `out_path` is left as it is (OutputExists, util/file.h).
Status CleanCsv(const Schema& schema, const std::string& raw_path, const std::string& out_path,
                CleanReport* report, bool overwrite = true);

}  // namespace cipherstat
