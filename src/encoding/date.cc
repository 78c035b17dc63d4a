#include "encoding/date.h"

#include <chrono>
#include <cstdio>

namespace cipherstat {

namespace {

namespace chrono = std::chrono;

chrono::year_month_day Civil(int64_t day) {
  return chrono::year_month_day{chrono::sys_days{chrono::days{day}}};
}

int64_t DayNumber(const chrono::year_month_day& date) {
  return chrono::sys_days{date}.time_since_epoch().count();
}

// The value of `count` decimal digits at text[at], or -1 if one is not a digit.
int Digits(std::string_view text, size_t at, size_t count) {
  int value = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

bool ParseIsoDate(std::string_view text, int64_t* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  const int year = Digits(text, 0, 4), month = Digits(text, 5, 2),
            day_of_month = Digits(text, 8, 2);
  if (year < 1 || month < 1 || day_of_month < 1) return false;
  const chrono::year_month_day date{chrono::year{year}, chrono::month{static_cast<unsigned>(month)},
                                    chrono::day{static_cast<unsigned>(day_of_month)}};
  if (!date.ok()) return false;
  *day = DayNumber(date);
  return true;
}

std::string FormatIsoDate(int64_t day) {
  const chrono::year_month_day date = Civil(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

int YearOfDay(int64_t day) { return static_cast<int>(Civil(day).year()); }

int64_t YearBoundary(int year, bool first) {
  return DayNumber(first ? chrono::year{year} / chrono::January / 1
                         : chrono::year{year} / chrono::December / 31);
}

}  // namespace cipherstat
