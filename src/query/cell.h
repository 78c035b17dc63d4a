// One released value: a number, a text, NULL, or a cell suppressed by the disclosure rules
// (query/disclosure.h), with why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace cipherstat {

// Why a suppressed cell is hidden.
enum class Hidden {
  kPrimary,         // computed from 1..min_cell-1 records
  kComplementary,   // hidden so that no suppressed count can be recomputed from a relation
  kEarlierRelease,  // with a row released earlier, it would describe 1..min_cell-1 records
};

// The differential-privacy noise in a released number (ReleaseOptions::epsilon in
// query/decode.h), in the cell's units.
struct CellNoise {
  // Exact (approximate == false): the cell is one noisy count or sum, and `scale` is the
  // discrete Laplace scale b of its noise and `half_width95` the exact 95% half-width
  // (DiscreteLaplace::HalfWidth95). Approximate: the cell is derived from several noisy sums
  // (a mean, SD, variance, a SUM with an offset, the NULL row), `scale` is the standard
  // deviation of its noise propagated to first order and `half_width95` 1.96 times it.
  double scale = 0;
  double half_width95 = 0;
  bool approximate = false;
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
  std::optional<CellNoise> noise;    // kInteger, kReal, kText (a date) with --dp-epsilon

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

// The value of an integer or real cell; nullopt for NULL, text and suppressed cells.
inline std::optional<double> CellNumber(const Cell& cell) {
  if (cell.kind == Cell::Kind::kInteger) return static_cast<double>(cell.integer);
  if (cell.kind == Cell::Kind::kReal) return cell.real;
  return std::nullopt;
}

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
