// The released result: a table of cells, some suppressed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cipherstat {

struct Cell {
  enum class Kind { kNull, kInteger, kReal, kText, kSuppressed };
  Kind kind = Kind::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string text;

  static Cell Null() { return Cell(); }
  static Cell Integer(int64_t v) {
    Cell c;
    c.kind = Kind::kInteger;
    c.integer = v;
    return c;
  }
  static Cell Real(double v) {
    Cell c;
    c.kind = Kind::kReal;
    c.real = v;
    return c;
  }
  static Cell Text(std::string v) {
    Cell c;
    c.kind = Kind::kText;
    c.text = std::move(v);
    return c;
  }
  static Cell Suppressed() {
    Cell c;
    c.kind = Kind::kSuppressed;
    return c;
  }
};

struct ResultTable {
  std::string sql;
  std::string dataset_name;
  uint64_t dataset_records = 0;
  std::string key_fingerprint;
  uint64_t min_cell = 0;  // cells from 1..min_cell-1 records are suppressed
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

}  // namespace cipherstat
