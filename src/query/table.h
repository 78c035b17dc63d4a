// The released result: a table of cells, some suppressed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "query/aggregates.h"
#include "query/cell.h"
#include "query/noise.h"
#include "query/sql.h"

namespace cipherstat {

// What a released column holds, for renderers that chart or describe a table. The released
// text (JSON, CSV, plain text) does not include it.
struct ColumnInfo {
  Aggregate aggregate = Aggregate::kNone;  // kNone: a GROUP BY value
  std::string argument;                    // the aggregated or grouped column; "" for COUNT(*)
  ChartHint chart = ChartHint::kNone;
  int item = 0;  // index of the SELECT item it comes from (a histogram's bins share one)
  int bin = -1;  // a histogram column's bin, else -1
};

// The records one released row describes: the conjunction of the query's WHERE conditions and
// the row's GROUP BY values, each as canonical text ("site = 'north'", "arm IS NULL"), sorted,
// and how many records that is. The release ledger (pipeline/ledger.h) compares rows by these.
struct RowPopulation {
  std::vector<std::string> predicates;
  uint64_t records = 0;
  bool operator==(const RowPopulation&) const = default;
};

struct ResultTable {
  std::string sql;
  std::string dataset_name;
  uint64_t dataset_records = 0;
  // Rows of the raw file the owner's clean step read (dataset_records of them kept), when the
  // signed manifest records it.
  std::optional<uint64_t> dataset_rows_read;
  std::string key_fingerprint;
  // Which dataset: the random identity and creation time the owner signed (store/dataset.h).
  std::string dataset_id;
  std::string dataset_created_utc;
  uint64_t min_cell = 0;  // cells from 1..min_cell-1 records are suppressed
  // With differential privacy (query/decode.h, ReleaseOptions): the ε this release spent, for
  // the release ledger to debit. Its counts and sums are noisy, each numeric cell carries its
  // noise, and dataset_records (0) and dataset_rows_read (empty) are withheld.
  std::optional<Rational> epsilon;
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;

  // How the table was computed: empty in a table built by hand, which renders without charts.
  Query query;                          // `sql`, parsed
  std::vector<ColumnInfo> column_info;  // one per column
  // Per row, the records it describes; the owner's, never rendered (they include the row
  // count of rows whose every cell is hidden).
  std::vector<RowPopulation> populations;
};

}  // namespace cipherstat
