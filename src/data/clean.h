// Schema inference and cleaning: raw CSV in, validated CSV out, and a report of every change.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "encoding/schema.h"
#include "util/status.h"

namespace cipherstat {

struct InferOptions {
  size_t max_levels = 12;          // at most this many distinct values => groupable
  uint64_t max_records = 1000000;  // written into the schema
};
// Reads the whole CSV once (streaming) and proposes a schema: identifiers (name looks like an
// id and values are unique; a patient-id name such as "id"/"patid" whose values repeat, as in
// a visit-level file, becomes a non-unique identifier; unique text, or text with more than
// max_levels values, is never shipped), numeric columns with exact min/max and decimals (up to
// kMaxDecimals), categorical columns, numeric columns with <= max_levels distinct integer values
// get levels too; CD4-named columns get clinical bins, a viral-load column a viral_suppressed (<
// 200) indicator; crosses by every private groupable column over every other numeric column and
// indicator. The schema is named after the file stem, made a plain SQL identifier ("2024-x" ->
// "t_2024_x").
Result<Schema> InferSchema(const std::string& csv_path, const InferOptions& options);

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
// column or the clean rows exceed schema.max_records. `report` may be null.
Status CleanCsv(const Schema& schema, const std::string& raw_path, const std::string& out_path,
                CleanReport* report);

}  // namespace cipherstat
