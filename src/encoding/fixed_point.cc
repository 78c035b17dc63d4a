#include "encoding/fixed_point.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace cipherstat {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Exponents beyond this cannot matter for any value we accept, and saturating here keeps
// the arithmetic below free of overflow for hostile input like "1e99999999999999999999".
constexpr int64_t kExponentLimit = 1000000;

}  // namespace

bool ParseDecimal(std::string_view text, Decimal* out) {
  size_t i = 0;
  const size_t n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  std::string digits;
  int64_t fraction_digits = 0;
  bool any_digit = false;
  while (i < n && IsDigit(text[i])) {
    any_digit = true;
    if (!(digits.empty() && text[i] == '0')) digits.push_back(text[i]);
    ++i;
  }
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && IsDigit(text[i])) {
      any_digit = true;
      if (!(digits.empty() && text[i] == '0')) digits.push_back(text[i]);
      ++fraction_digits;
      ++i;
    }
  }
  if (!any_digit) return false;
  int64_t exponent = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exp_negative = text[i] == '-';
      ++i;
    }
    if (i >= n || !IsDigit(text[i])) return false;
    while (i < n && IsDigit(text[i])) {
      if (exponent < kExponentLimit) exponent = exponent * 10 + (text[i] - '0');
      ++i;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != n) return false;
  Decimal d;
  if (digits.empty()) {
    *out = d;  // zero, whatever its sign or exponent
    return true;
  }
  exponent -= fraction_digits;
  size_t end = digits.size();
  while (end > 0 && digits[end - 1] == '0') --end;
  exponent += static_cast<int64_t>(digits.size() - end);
  digits.resize(end);
  d.negative = negative;
  d.digits = std::move(digits);
  d.exponent = exponent;
  *out = std::move(d);
  return true;
}

int CompareDecimal(const Decimal& a, const Decimal& b) {
  const int sa = a.is_zero() ? 0 : (a.negative ? -1 : 1);
  const int sb = b.is_zero() ? 0 : (b.negative ? -1 : 1);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  // Compare magnitudes: first by the position of the leading digit, then digit by digit.
  int magnitude = 0;
  const int64_t lead_a = static_cast<int64_t>(a.digits.size()) + a.exponent;
  const int64_t lead_b = static_cast<int64_t>(b.digits.size()) + b.exponent;
  if (lead_a != lead_b) {
    magnitude = lead_a < lead_b ? -1 : 1;
  } else {
    const size_t n = std::max(a.digits.size(), b.digits.size());
    for (size_t i = 0; i < n && magnitude == 0; ++i) {
      const char da = i < a.digits.size() ? a.digits[i] : '0';
      const char db = i < b.digits.size() ? b.digits[i] : '0';
      if (da != db) magnitude = da < db ? -1 : 1;
    }
  }
  return sa > 0 ? magnitude : -magnitude;
}

FixedPointError DecimalToFixedPoint(const Decimal& value, int decimals, int64_t* out) {
  if (value.is_zero()) {
    *out = 0;
    return FixedPointError::kOk;
  }
  const int64_t shift = value.exponent + decimals;
  if (shift < 0) return FixedPointError::kTooManyDecimals;
  // INT64_MAX has 19 digits; anything longer cannot fit.
  if (static_cast<int64_t>(value.digits.size()) + shift > 19) return FixedPointError::kTooLarge;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t magnitude = 0;
  auto push = [&](unsigned digit) {
    if (magnitude > (kMax - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
    return true;
  };
  for (char c : value.digits) {
    if (!push(static_cast<unsigned>(c - '0'))) return FixedPointError::kTooLarge;
  }
  for (int64_t i = 0; i < shift; ++i) {
    if (!push(0)) return FixedPointError::kTooLarge;
  }
  const int64_t signed_magnitude = static_cast<int64_t>(magnitude);
  *out = value.negative ? -signed_magnitude : signed_magnitude;
  return FixedPointError::kOk;
}

std::string FormatFixedPoint(int64_t fixed, int decimals) {
  const bool negative = fixed < 0;
  // Unsigned negation so that INT64_MIN does not overflow.
  const uint64_t magnitude =
      negative ? ~static_cast<uint64_t>(fixed) + 1 : static_cast<uint64_t>(fixed);
  std::string digits = std::to_string(magnitude);
  if (decimals > 0) {
    const size_t places = static_cast<size_t>(decimals);
    if (digits.size() <= places) digits.insert(0, places + 1 - digits.size(), '0');
    digits.insert(digits.size() - places, 1, '.');
    while (digits.back() == '0') digits.pop_back();
    if (digits.back() == '.') digits.pop_back();
  }
  if (negative && digits != "0") digits.insert(0, 1, '-');
  return digits;
}

std::string FormatDecimal(const Decimal& value) {
  if (value.is_zero()) return "0";
  std::string text = value.digits;
  if (value.exponent >= 0) {
    text.append(static_cast<size_t>(value.exponent), '0');
  } else {
    const size_t places = static_cast<size_t>(-value.exponent);
    if (text.size() <= places) text.insert(0, places + 1 - text.size(), '0');
    text.insert(text.size() - places, 1, '.');
  }
  if (value.negative) text.insert(0, 1, '-');
  return text;
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

Result<int64_t> ParseFixedPoint(const std::string& text, int decimals) {
  if (decimals < 0 || decimals > 18) {
    return Status::InvalidArgument("decimals must be between 0 and 18, got " +
                                   std::to_string(decimals));
  }
  Decimal d;
  if (!ParseDecimal(text, &d)) return Status::InvalidArgument("'" + text + "' is not a number");
  int64_t fixed = 0;
  switch (DecimalToFixedPoint(d, decimals, &fixed)) {
    case FixedPointError::kOk:
      return fixed;
    case FixedPointError::kTooManyDecimals:
      return Status::InvalidArgument("'" + text + "' has more than " + std::to_string(decimals) +
                                     " decimals");
    case FixedPointError::kTooLarge:
      break;
  }
  return Status::InvalidArgument("'" + text + "' is too large for fixed point with " +
                                 std::to_string(decimals) + " decimals");
}

}  // namespace cipherstat
