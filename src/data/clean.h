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
// id and values are unique, or unique non-numeric text), numeric columns with min/max/decimals,
// categorical columns, numeric columns with <= max_levels distinct integer values get levels too;
// crosses by every private groupable column over every other numeric column.
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
  // "duplicate_identifier:pidnum", "unknown_column:foo", "missing_column:bar".
  std::map<std::string, RuleHits> hits;
  std::string ToJson() const;
};

// Validates every row of `raw_path` against `schema` and writes the clean CSV atomically to
// `out_path`: header = schema columns in order (identifiers kept for the owner's use; encrypt
// never ships them), values normalized (numeric as written, trimmed; missing as empty field).
// Fails (nothing written) if the header lacks a schema column or the clean rows exceed
// schema.max_records.
Status CleanCsv(const Schema& schema, const std::string& raw_path, const std::string& out_path,
                CleanReport* report);

// Parses a numeric field under a column's fixed-point scale: "12.5" with decimals 2 -> 1250.
// Fails for non-numbers, NaN/inf, or more decimals than declared. Exponents ("1e3") allowed
// when the result is exact.
Result<int64_t> ParseFixedPoint(const std::string& text, int decimals);

}  // namespace cipherstat
