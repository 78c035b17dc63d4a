// One released value: a number, a text, NULL, or a cell suppressed by the disclosure rules
// (query/disclosure.h), with why.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace cipherstat {

// Why a suppressed cell is hidden.
enum class Hidden {
  kPrimary,         // computed from 1..min_cell-1 records
  kComplementary,   // hidden so that no suppressed count can be recomputed from a relation
  kEarlierRelease,  // with a row released earlier, it would describe 1..min_cell-1 records
};

struct Cell {
  enum class Kind { kNull, kInteger, kReal, kText, kSuppressed };
  Kind kind = Kind::kNull;
  int64_t integer = 0;
  double real = 0;
  // kText: the text. kSuppressed: for a complementary cell, the relation it protects
  // ("total of site=north"); for kEarlierRelease, the earlier row ("release 3, row
  // site=north"); empty for a primary one.
  std::string text;
  Hidden hidden = Hidden::kPrimary;  // kSuppressed only

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
  static Cell Complementary(std::string relation) {
    Cell c = Suppressed();
    c.hidden = Hidden::kComplementary;
    c.text = std::move(relation);
    return c;
  }
  static Cell EarlierRelease(std::string row) {
    Cell c = Suppressed();
    c.hidden = Hidden::kEarlierRelease;
    c.text = std::move(row);
    return c;
  }
};

// Why a suppressed cell is hidden, as every renderer says it: "primary",
// "complementary: total of site=north" or "combines with release 3, row site=north".
inline std::string SuppressedWhy(const Cell& cell) {
  switch (cell.hidden) {
    case Hidden::kPrimary:
      return "primary";
    case Hidden::kComplementary:
      return cell.text.empty() ? "complementary" : "complementary: " + cell.text;
    case Hidden::kEarlierRelease:
      return "combines with " + cell.text;
  }
  return "suppressed";
}

}  // namespace cipherstat
