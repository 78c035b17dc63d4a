// Schema inference and cleaning: raw CSV in, validated CSV out, and a report of every change.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/csv.h"
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
  std::vector<ProductSet> products;             // written into the schema (`schema --product`)
  // The columns to cross by (`schema --cross`, `--no-crosses`), each over every numeric column
  // and indicator but the years; unset: the plausible grouping keys (InferSchema).
  std::optional<std::vector<std::string>> cross_by;
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
    kYears,     // a date column, or a year computed from one: the whole years of its dates
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

// The missing-value tokens an inferred schema starts with ("missing_values"), matched exactly
// after trimming blanks: empty, NA, N/A, n/a, NaN, NULL, "." and "-". Clean reads only the
// schema's list, which the owner may edit.
inline const std::vector<std::string> kDefaultMissingValues = {"",    "NA",   "N/A", "n/a",
                                                               "NaN", "NULL", ".",   "-"};

// Stray tokens: a column stays numeric when at least kMinNumbers of its non-missing values are
// numbers (a detection-limit value such as "<50" counts as its number), those are at least
// kNumericShare percent of its non-missing values, and the other values are at most
// kMaxStrayTokens distinct texts. Those texts ("unknown", "pending") are then missing values:
// inference adds them to the schema's "missing_values" (unless one is a level of a categorical
// column, where it must stay a value: clean then reports it as not_a_number, still missing),
// and clean counts each one in the report ("missing_tokens").
inline constexpr uint64_t kMinNumbers = 20;
inline constexpr uint64_t kNumericShare = 95;
inline constexpr size_t kMaxStrayTokens = 10;

// Detection limits: a numeric value written "<N" or ">N" (blanks allowed after the sign) is
// censored at N. By default ("censored": "limit", or the field absent) clean writes N and counts
// the value as censored_below:COLUMN or censored_above:COLUMN in its report; with "censored":
// "missing" it writes a missing value and counts it the same way. Inference reads N as the
// value and sets "censored": "limit" on every column where it saw one, for the owner to see.

// Dates: a column whose values are ISO dates (YYYY-MM-DD; "2023-02-29" is not one), up to stray
// tokens as for numbers, is a date column (encoding/schema.h): encrypted as day numbers, so
// AVG(enrolled) is the average date and STDDEV(enrolled) a spread in days. Its bounds are the
// whole years its dates fall in (2003-05-17..2011-02-02 -> [2003-01-01, 2011-12-31]). Inference
// adds columns that clean computes (the raw file does not have them):
//   - "<date>_year", the year of each date column ("year_of"), with every year from the first to
//     the last as levels when they are at most kMaxYearLevels: GROUP BY enrolled_year;
//   - "days_<first>_to_<date>", the days from the file's first date column to each later one
//     ("days_between"): a follow-up time, with grid bounds like any number;
// each skipped when the file already has a column of that name. A year column is crossed with
// the follow-up times only (AVG(days_enrolled_to_death) GROUP BY enrolled_year); the owner adds
// other crosses in the schema. Clean writes dates as read (after trimming), a date that is not
// one as not_a_date:COLUMN (missing), and each computed value, missing when a source date is.
inline constexpr int kMaxYearLevels = 30;

// Precision: inference gives a numeric column the most decimals any of its values has, at most
// kMaxDecimals (15, encoding/schema.h) and fewer where its bounds would otherwise reach 10^15 at
// that scale (below). Clean rounds a value with more decimals than its column's half to even
// ("0.125" at 2 decimals -> "0.12", "0.135" -> "0.14") and counts it as rounded:COLUMN; it never
// drops it.

// Reads the whole CSV once (streaming) and proposes a schema. Each column gets its role by the
// first rule that matches (the "why" of the review table, DescribeInferredSchema):
//   1. no value at all: numeric, bounds [0, 0], every row missing;
//   2. identifier, unique: the name looks like an id ("id", "patid", "subject_id", anything
//      ending in "id", "hospital_mrn") and no value repeats;
//   3. identifier, repeats allowed: the name is a patient id ("id", "pid", "patid", "patient",
//      "subject", "mrn"...) and values repeat, as in a visit-level file;
//   4. numeric: the values are numbers, up to the stray tokens above; with at most max_levels
//      distinct values (any decimals: a 0 / 0.5 / 1 grade) it gets them as levels, in the
//      normal form clean writes, and can be grouped by; CD4-named columns get clinical bins, a
//      viral-load column a viral_suppressed (< 200) indicator;
//   4b. date: the values are ISO dates, up to stray tokens (Dates, above);
//   5. identifier, unique: text that is unique per row — every row has a value and no two rows
//      share one (names, codes);
//   6. categorical: text with at most max_levels distinct values;
//   7. excluded: any other text (a cause-of-death or free-text column: too many distinct values
//      to encrypt as levels). Never encrypted, never shipped, never a reason to drop a row.
// An identifier is thus what the owner declares in the schema, or a column unique per row (2,
// 5), or a patient id by name (3). A missing value never drops a row — identifiers and
// excluded columns included — unless the owner's schema says "on_invalid": "drop_row" for the
// column. Each cross costs slots per level of its column, and so ciphertexts per record, so
// crosses go only by the plausible grouping keys — categorical columns (their values are
// labels: sex, site, arm) and numeric codes named like a key ("arms", "tx", "gender",
// "raceth", "site"; LooksLikeGroupingKey in clean.cc), each with at least two levels — over
// every other numeric column and indicator but the years; a year (computed from a date, or
// calendar years named like one, "visit_year") is crossed with the follow-up times alone. A
// 0/1 flag, a score or a count is not crossed by: options.cross_by names the keys instead,
// each crossed over every numeric column and indicator but the years, and fails naming one
// that is not a groupable column of the file. The schema is named after the file stem, made a plain
// SQL identifier ("2024-x" -> "t_2024_x"). The file must pass CsvReader::OpenTable's header checks
// (data/csv.h); ragged rows say nothing about the columns, so inference skips them and `notes`
// lists their lines.
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
// `bounds`, when not null, receives where each numeric column's bounds came from, and `notes`
// why each column got its role, for DescribeInferredSchema.
struct InferNotes {
  uint64_t rows = 0;                       // data rows read, ragged ones included
  RaggedRows ragged;                       // skipped by inference; clean drops them
  std::map<std::string, std::string> why;  // by column name: the rule that chose its role
};
Result<Schema> InferSchema(const std::string& csv_path, const InferOptions& options,
                           InferredBoundsMap* bounds = nullptr, InferNotes* notes = nullptr);

// What InferSchema proposed, for the owner to review: a table with a row per column
//   column  role  kind  range  decimals  levels  groupable  why
// (role: identifier, excluded, private or public; range: the bounds; levels: how many; why:
// the inference rule, stray tokens read as missing, censored values, the bounds' origin and
// bins), then the derived indicators and crosses, and a warning naming the lines of ragged
// rows. Never an observed value: level names and observed extremes stay out (this text lands in
// terminals and logs), except a bound that is itself an observed value, which is shown as
// "observed". `bounds` may be empty and `notes` null (a schema read from a file): bounds are
// then shown without their origin, and "why" says "in the schema".
std::string DescribeInferredSchema(const Schema& schema, const InferredBoundsMap& bounds,
                                   const InferNotes* notes = nullptr);

// One rule's hits in the clean report.
struct RuleHits {
  uint64_t count = 0;
  std::vector<uint64_t> lines;  // first 100 line numbers
};

struct CleanReport {
  uint64_t rows_read = 0;
  uint64_t rows_written = 0;  // kept
  uint64_t rows_dropped = 0;
  // Keyed by "<rule>:<column>", e.g. "out_of_range:cd4", "unknown_level:sex",
  // "not_a_number:age", "not_a_date:enrolled", "rounded:wtkg" (more decimals than the column's:
  // rounded half to even, kept), "censored_below:vl" / "censored_above:vl" (a detection limit,
  // "<50"), "missing:cd496", "wrong_field_count", "duplicate_identifier:pidnum",
  // "unknown_column:foo", "missing_column:bar", "invalid_character:site" (a tab or line break in a
  // public column).
  std::map<std::string, RuleHits> hits;
  // Why rows were dropped: the first rule that dropped each one, with the number of rows.
  std::map<std::string, uint64_t> dropped_by;
  // Missing-value tokens other than the empty field, by column, with how often each was read
  // ("cd4": {"n/a": 1}).
  std::map<std::string, std::map<std::string, uint64_t>> missing_tokens;
  std::string ToJson() const;
};

// Validates every row of `raw_path` against `schema` and writes the clean CSV atomically to
// `out_path`: header = schema columns in order (identifiers and excluded columns kept as read,
// for the owner's use; encrypt never ships them; computed columns filled in from their dates),
// values trimmed and normalized (numbers in the shortest exact form: "26.33333", "-3.5", "200";
// rounded half to even to the column's decimals; a censored "<50" as the rule says; missing as
// an empty field). A row is dropped
// only for a wrong number of fields, a repeated value of a unique identifier, or a missing or
// invalid value in a column whose schema says "on_invalid": "drop_row".
// Fails (nothing written) if the schema is invalid, the CSV fails CsvReader::OpenTable's header
// checks or is malformed, the header lacks a schema column or has a computed one, or the clean rows
// exceed schema.max_records. `report` may be null. With !overwrite an existing `out_path` is left
// as it is (OutputExists, util/file.h).
Status CleanCsv(const Schema& schema, const std::string& raw_path, const std::string& out_path,
                CleanReport* report, bool overwrite = true);

}  // namespace cipherstat
