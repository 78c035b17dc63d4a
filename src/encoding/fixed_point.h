// Exact decimal numbers as written in a CSV. Parsing, comparison and fixed-point conversion
// never go through binary floating point, so "26.33333" at 5 decimals is exactly 2633333.
// Internal to cipherstat (used by clean, schema inference and schema validation).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cipherstat {

// value = (negative ? -1 : 1) · digits · 10^exponent
struct Decimal {
  bool negative = false;
  std::string digits;    // no leading or trailing zeros; empty means zero
  int64_t exponent = 0;  // 0 when the value is zero

  bool is_zero() const { return digits.empty(); }
  // Places after the point needed to write the value exactly (0 for integers).
  int64_t decimals() const { return exponent < 0 ? -exponent : 0; }
};

// Parses [+-]digits[.digits][(e|E)[+-]digits] (at least one mantissa digit). Anything else —
// blanks, "inf", "nan", hex, thousands separators — returns false.
bool ParseDecimal(std::string_view text, Decimal* out);

// <0, 0, >0 as a is less than, equal to, or greater than b.
int CompareDecimal(const Decimal& a, const Decimal& b);

enum class FixedPointError { kOk, kTooManyDecimals, kTooLarge };
// value·10^decimals as an integer, exactly. kTooLarge when the magnitude exceeds INT64_MAX.
FixedPointError DecimalToFixedPoint(const Decimal& value, int decimals, int64_t* out);

// Shortest exact text of fixed / 10^decimals: (2633333, 5) -> "26.33333", (-35, 1) -> "-3.5",
// (200, 0) -> "200", (1250, 2) -> "12.5".
std::string FormatFixedPoint(int64_t fixed, int decimals);

// Canonical text of a decimal, without exponent: "-0.0025", "1200".
std::string FormatDecimal(const Decimal& value);

// Shortest text that reads back as the same double ("26.33333", "1e+20"); "inf"/"-inf"/"nan"
// for non-finite values.
std::string FormatDouble(double value);

// Parses a numeric field under a column's fixed-point scale: "12.5" with decimals 2 -> 1250.
// Fails for non-numbers, NaN/inf, surrounding blanks, more decimals than declared, or results
// beyond int64, or decimals outside 0..18. Exponents ("1e3") allowed when the result is exact.
Result<int64_t> ParseFixedPoint(const std::string& text, int decimals);

}  // namespace cipherstat
