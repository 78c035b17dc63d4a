// Calendar dates as cipherstat stores them: an ISO 8601 date "YYYY-MM-DD" is its day number,
// the days since 1970-01-01 in the proleptic Gregorian calendar (1969-12-31 is -1). Day numbers
// are plain integers, so a date column encrypts, sums and averages like any numeric column with
// 0 decimals, and a difference of two dates is a number of days.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cipherstat {

// Day numbers of 0001-01-01 and 9999-12-31: the dates four-digit years can write.
inline constexpr int64_t kFirstDay = -719162;
inline constexpr int64_t kLastDay = 2932896;

// Parses exactly "YYYY-MM-DD": four-digit year 0001..9999, two-digit month and day, a day that
// exists ("2023-02-29" does not). No blanks, times or other layouts.
bool ParseIsoDate(std::string_view text, int64_t* day);

// "YYYY-MM-DD" of a day number in [kFirstDay, kLastDay].
std::string FormatIsoDate(int64_t day);

// The calendar year of a day number in [kFirstDay, kLastDay].
int YearOfDay(int64_t day);

// The day number of January 1st (first == true) or December 31st of `year` (1..9999).
int64_t YearBoundary(int year, bool first);

}  // namespace cipherstat
