// One released value: a number, a text, NULL, or a cell suppressed by the small-cell rule.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

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

}  // namespace cipherstat
