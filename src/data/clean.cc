#include "data/clean.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "data/csv.h"
#include "data/hash_set.h"
#include "encoding/date.h"
#include "encoding/fixed_point.h"
#include "util/file.h"

namespace cipherstat {

namespace {

constexpr size_t kMaxReportedLines = 100;
constexpr size_t kFlushBytes = 1 << 20;
// Inferred fixed-point values stay below 10^15 (15 significant digits), where decimal text,
// double and llround(x·10^d) all agree exactly.
constexpr int64_t kInferLimit = 1000000000000000;

std::string_view Trim(std::string_view s) { return TrimBlanks(s); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsMissing(std::string_view text, const std::vector<std::string>& missing_values) {
  for (const std::string& m : missing_values) {
    if (text == m) return true;
  }
  return false;
}

void AddHit(CleanReport* report, const std::string& rule, uint64_t line) {
  RuleHits& hits = report->hits[rule];
  ++hits.count;
  if (hits.lines.size() < kMaxReportedLines) hits.lines.push_back(line);
}

// --- schema inference ----------------------------------------------------------------------

// Names that mean "this row's patient" even when a visit-level file repeats them.
bool IsPatientIdName(const std::string& lower) {
  static const std::set<std::string> kNames = {"id",        "pid",     "pidnum",     "patid",
                                               "patientid", "patient", "patient_id", "mrn",
                                               "subject",   "subjid",  "subject_id", "usubjid"};
  return kNames.count(lower) > 0;
}

// Names that look like an identifier; believed only when every value is distinct.
bool LooksLikeIdName(const std::string& lower) {
  if (IsPatientIdName(lower)) return true;
  if (lower.size() >= 2 && lower.compare(lower.size() - 2, 2, "id") == 0) return true;
  // "hospital_mrn", "trial.patient": the last word names the patient.
  const size_t sep = lower.find_last_of("_.");
  return sep != std::string::npos && IsPatientIdName(lower.substr(sep + 1));
}

std::vector<std::string> Tokens(const std::string& lower) {
  std::vector<std::string> tokens(1);
  for (char c : lower) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) {
      tokens.back().push_back(c);
    } else if (!tokens.back().empty()) {
      tokens.emplace_back();
    }
  }
  if (tokens.back().empty()) tokens.pop_back();
  return tokens;
}

// viral_load, VL, RNA copies — but not log10 transforms, where "< 200" means nothing.
bool LooksLikeViralLoad(const std::string& lower) {
  if (lower.find("log") != std::string::npos) return false;
  if (lower.find("viral_load") != std::string::npos) return true;
  for (const std::string& t : Tokens(lower)) {
    if (t == "vl" || t == "rna" || t == "viralload" || t == "viral") return true;
  }
  return false;
}

// A numeric code named like a grouping key: a word of the name starts with a treatment arm's,
// sex's, race's or site's name ("arms", "tx", "txgrp", "trt01p", "gender", "raceth", "centre"),
// so `GROUP BY arms` works out of the box while flags such as "hemo" or "offtrt" and scores
// cost no cross.
bool LooksLikeGroupingKey(const std::string& lower) {
  static const std::vector<std::string> kStems = {"arm",  "treat",  "trt",    "tx",      "group",
                                                  "grp",  "sex",    "gender", "race",    "ethnic",
                                                  "site", "center", "centre", "country", "region"};
  for (const std::string& t : Tokens(lower)) {
    for (const std::string& stem : kStems) {
      if (t.compare(0, stem.size(), stem) == 0) return true;
    }
  }
  return false;
}

// A year: computed from a date, or a groupable whole-number column named like one whose levels
// are all calendar years ("visit_year"). Its average is a date's, so nothing is crossed over
// it, and its many levels make a cross by it cost as much as several others.
bool IsYearColumn(const Column& c) {
  if (!c.year_of.empty()) return true;
  if (!c.numeric() || c.decimals != 0 || c.levels.empty() ||
      Lower(c.name).find("year") == std::string::npos) {
    return false;
  }
  return std::all_of(c.levels.begin(), c.levels.end(), [](const std::string& level) {
    char* end = nullptr;
    const long year = std::strtol(level.c_str(), &end, 10);
    return !level.empty() && *end == '\0' && year >= 1900 && year <= 2100;
  });
}

// A table name the SQL parser accepts without quotes: letters, digits and '_', not starting
// with a digit.
std::string TableName(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  std::string out;
  for (char c : stem) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || (out[0] >= '0' && out[0] <= '9')) out.insert(0, "t_");
  return out;
}

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values past
// U+10FFFF). A schema is JSON, which carries only UTF-8, so names and levels must be.
bool IsUtf8(std::string_view text) {
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = 1;
    uint32_t cp = c;
    if (c >= 0x80) {
      if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
      } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
      } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
      } else {
        return false;
      }
      if (i + len > text.size()) return false;
      for (size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xC0) != 0x80) return false;
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (cp < kSmallest[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    }
    i += len;
  }
  return true;
}

constexpr const char* kConvertHint = " is not valid UTF-8; convert the file (iconv -t utf-8)";

struct ColumnStats {
  std::string name;
  size_t index = 0;
  uint64_t present = 0;
  uint64_t numbers_seen = 0;  // values that are numbers (detection limits included)
  uint64_t censored = 0;      // of which "<N" or ">N"
  Decimal min, max;
  int64_t decimals = 0;
  std::vector<Decimal> numbers;  // distinct numeric values, at most max_levels + 1
  std::set<std::string> texts;   // distinct texts, at most max_levels + 1
  // Values that are not numbers: how many, and the distinct ones (at most kMaxStrayTokens + 1).
  uint64_t stray_count = 0;
  std::map<std::string, uint64_t> stray;
  bool unique = true;
  DigestSet seen;  // cleared once a duplicate shows up
  // A declared range (options.ranges), and how many values fall outside it.
  bool has_range = false;
  Decimal range_min, range_max;
  uint64_t outside_range = 0;
  // ISO dates among the values, their extremes as day numbers, and the values that are not
  // dates: how many, and the distinct ones (at most kMaxStrayTokens + 1).
  uint64_t dates_seen = 0;
  int64_t first_day = 0, last_day = 0;
  uint64_t non_date_count = 0;
  std::map<std::string, uint64_t> non_dates;

  // The stray-token rule (clean.h), for numbers and for dates.
  static bool Mostly(uint64_t seen, uint64_t present, uint64_t others, size_t distinct_others) {
    if (seen == 0) return false;
    if (others == 0) return true;
    return seen >= kMinNumbers && seen * 100 >= kNumericShare * present &&
           distinct_others <= kMaxStrayTokens;
  }
  bool numeric() const { return Mostly(numbers_seen, present, stray_count, stray.size()); }
  bool dates() const { return Mostly(dates_seen, present, non_date_count, non_dates.size()); }
};

// Counts `token` in a map that keeps at most kMaxStrayTokens + 1 distinct tokens: enough to
// tell that a column has too many of them.
void CountToken(std::string_view token, std::map<std::string, uint64_t>* tokens) {
  auto it = tokens->find(std::string(token));
  if (it != tokens->end()) {
    ++it->second;
  } else if (tokens->size() <= kMaxStrayTokens) {
    tokens->emplace(std::string(token), 1);
  }
}

// A detection-limit value: "<50", "> 10000000". Sets *below for '<'.
bool ParseCensored(std::string_view text, Decimal* value, bool* below) {
  if (text.size() < 2 || (text[0] != '<' && text[0] != '>')) return false;
  *below = text[0] == '<';
  return ParseDecimal(Trim(text.substr(1)), value);
}

void Observe(ColumnStats* s, std::string_view text, size_t max_levels) {
  if (s->unique && !s->seen.Insert(text)) {
    s->unique = false;
    s->seen.Clear();
  }
  if (s->texts.size() <= max_levels) s->texts.emplace(text);
  ++s->present;
  int64_t day = 0;
  if (ParseIsoDate(text, &day)) {
    if (s->dates_seen == 0 || day < s->first_day) s->first_day = day;
    if (s->dates_seen == 0 || day > s->last_day) s->last_day = day;
    ++s->dates_seen;
  } else {
    ++s->non_date_count;
    CountToken(text, &s->non_dates);
  }
  Decimal d;
  if (!ParseDecimal(text, &d)) {
    bool below = false;
    if (!ParseCensored(text, &d, &below)) {
      ++s->stray_count;
      CountToken(text, &s->stray);
      return;
    }
    ++s->censored;
  }
  if (s->numbers_seen == 0 || CompareDecimal(d, s->min) < 0) s->min = d;
  if (s->numbers_seen == 0 || CompareDecimal(d, s->max) > 0) s->max = d;
  ++s->numbers_seen;
  s->decimals = std::max(s->decimals, d.decimals());
  if (s->has_range &&
      (CompareDecimal(d, s->range_min) < 0 || CompareDecimal(d, s->range_max) > 0)) {
    ++s->outside_range;
  }
  if (s->numbers.size() <= max_levels) {
    bool known = false;
    for (const Decimal& n : s->numbers) known = known || CompareDecimal(n, d) == 0;
    if (!known) s->numbers.push_back(d);
  }
}

// value·10^decimals rounded half to even (clean.h); false when it does not fit int64.
bool RoundHalfEven(const Decimal& value, int decimals, int64_t* out) {
  const int64_t drop = -(value.exponent + decimals);  // digits past the column's places
  if (drop <= 0) return DecimalToFixedPoint(value, decimals, out) == FixedPointError::kOk;
  const std::string& digits = value.digits;
  const int64_t keep = static_cast<int64_t>(digits.size()) - drop;
  if (keep > 18) return false;
  uint64_t kept = 0;
  for (int64_t i = 0; i < keep; ++i) kept = kept * 10 + static_cast<uint64_t>(digits[i] - '0');
  bool up = false;
  if (keep >= 0) {
    const char first = digits[static_cast<size_t>(keep)];
    // Trailing zeros are stripped: any digit after the first dropped one makes it more than
    // half.
    const bool more = static_cast<size_t>(keep) + 1 < digits.size();
    up = first > '5' || (first == '5' && (more || kept % 2 == 1));
  }
  if (up) ++kept;
  *out = value.negative ? -static_cast<int64_t>(kept) : static_cast<int64_t>(kept);
  return true;
}

// value at `decimals` places, rounded down (floor) or up (ceil) when it has more places.
bool RoundedFixed(const Decimal& value, int decimals, bool up, int64_t* out) {
  Decimal v = value;
  bool inexact = false;
  const int64_t drop = -(v.exponent + decimals);
  if (drop > 0) {
    inexact = true;  // trailing zeros are already stripped, so the dropped digits are not 0
    if (drop >= static_cast<int64_t>(v.digits.size())) {
      v = Decimal();
    } else {
      v.digits.resize(v.digits.size() - static_cast<size_t>(drop));
      v.exponent += drop;
    }
  }
  int64_t fixed = 0;
  if (DecimalToFixedPoint(v, decimals, &fixed) != FixedPointError::kOk) return false;
  if (inexact) {
    // Truncation moved the value toward zero.
    if (up && !value.negative) ++fixed;
    if (!up && value.negative) --fixed;
  }
  *out = fixed;
  return true;
}

double FixedToDouble(int64_t fixed, int decimals) {
  return std::strtod(FormatFixedPoint(fixed, decimals).c_str(), nullptr);
}

// The smallest multiple of `step` (> 0) at or above `value`.
int64_t CeilToStep(int64_t value, int64_t step) {
  int64_t q = value / step;
  if (value % step != 0 && value > 0) ++q;
  return q * step;
}

// The upper bound on `value`'s side of the grid of `step` (both in fixed-point units, value
// below kInferLimit): ceil(value / step)·step, or where that reaches kInferLimit, the largest
// 10^15 - 10^k that still holds `value`, on the finer grid 10^k. The lower bound of a negative
// value is the negation of its magnitude's.
InferredBounds::Side UpperGridBound(int64_t value, int64_t step, int decimals, int64_t* bound) {
  InferredBounds::Side side;
  *bound = CeilToStep(value, step);
  if (*bound >= kInferLimit) {
    // value > kInferLimit - step, so only a finer grid can hold it; at step 1 the bound is
    // kInferLimit - 1 >= value.
    do {
      step /= 10;
    } while (kInferLimit - step < value);
    *bound = kInferLimit - step;
    side.narrowed = true;
    side.observed = *bound == value;
  }
  side.step = FormatFixedPoint(step, decimals);
  return side;
}

// Proposes the grid bounds (see InferSchema in clean.h) for fixed-point extremes at `decimals`.
InferredBounds GridBounds(int64_t min_fixed, int64_t max_fixed, int decimals, int64_t* lower,
                          int64_t* upper) {
  const int64_t magnitude =
      std::max(min_fixed < 0 ? -min_fixed : min_fixed, max_fixed < 0 ? -max_fixed : max_fixed);
  int64_t step = 1;
  while (step <= magnitude / 10) step *= 10;
  InferredBounds b;
  b.source = InferredBounds::Source::kGrid;
  b.step = FormatFixedPoint(step, decimals);
  b.max = UpperGridBound(max_fixed, step, decimals, upper);
  if (min_fixed >= 0) {
    *lower = 0;  // non-negative measures start at 0, which pins nothing
    b.min.step = b.step;
  } else {
    b.min = UpperGridBound(-min_fixed, step, decimals, lower);
    *lower = -*lower;
  }
  return b;
}

// A bound of a declared range at the column's scale, checked like an inferred one.
Status DeclaredFixed(const std::string& column, const char* which, const std::string& text,
                     int decimals, int64_t* out) {
  Decimal d;
  const std::string where = "--range " + column + ": " + which + " " + text;
  if (!ParseDecimal(text, &d)) return Status::InvalidArgument(where + " is not a number");
  switch (DecimalToFixedPoint(d, decimals, out)) {
    case FixedPointError::kOk:
      break;
    case FixedPointError::kTooManyDecimals:
      return Status::InvalidArgument(where + " has more decimals than the column's values (" +
                                     std::to_string(decimals) + ")");
    case FixedPointError::kTooLarge:
      *out = kInferLimit;
      break;
  }
  if (*out >= kInferLimit || *out <= -kInferLimit) {
    return Status::InvalidArgument(where + " needs more than 15 digits at the column's " +
                                   std::to_string(decimals) + " decimals");
  }
  return Status::OK();
}

// Fills a numeric column from its statistics; false if the values do not fit fixed point.
// `declared` (may be null) replaces the grid bounds.
Result<bool> MakeNumeric(const ColumnStats& s, size_t max_levels, const DeclaredRange* declared,
                         Column* c, InferredBounds* origin) {
  int decimals = static_cast<int>(std::min<int64_t>(s.decimals, kMaxDecimals));
  int64_t min_fixed = 0, max_fixed = 0;
  // Wide-ranged columns give up places (the rare values that need them are then reported by
  // clean) rather than overflow the encoding.
  for (;; --decimals) {
    if (decimals < 0) return false;
    if (RoundedFixed(s.min, decimals, false, &min_fixed) &&
        RoundedFixed(s.max, decimals, true, &max_fixed) && min_fixed > -kInferLimit &&
        max_fixed < kInferLimit) {
      break;
    }
  }
  int64_t lower = 0, upper = 0;
  if (declared != nullptr) {
    CS_RETURN_IF_ERROR(DeclaredFixed(s.name, "MIN", declared->min, decimals, &lower));
    CS_RETURN_IF_ERROR(DeclaredFixed(s.name, "MAX", declared->max, decimals, &upper));
    if (s.outside_range > 0) {
      return Status::InvalidArgument("--range " + s.name + "=" + declared->min + ":" +
                                     declared->max + ": " + std::to_string(s.outside_range) +
                                     " observed value" +
                                     (s.outside_range == 1 ? " lies" : "s lie") +
                                     " outside the declared range; widen it or correct the data");
    }
    origin->source = InferredBounds::Source::kDeclared;
  } else {
    *origin = GridBounds(min_fixed, max_fixed, decimals, &lower, &upper);
  }
  c->kind = ColumnKind::kNumeric;
  c->decimals = decimals;
  c->min = FixedToDouble(lower, decimals);
  c->max = FixedToDouble(upper, decimals);
  if (s.numbers.size() <= max_levels) {
    // Any decimals (a 0 / 0.5 / 1 grade): each level in the normal form clean writes, rounded
    // as clean rounds when the column has fewer places than a value.
    std::set<int64_t> values;
    for (const Decimal& v : s.numbers) {
      int64_t fixed = 0;
      if (RoundHalfEven(v, decimals, &fixed)) values.insert(fixed);
    }
    for (int64_t v : values) c->levels.push_back(FormatFixedPoint(v, decimals));
  }
  if (s.censored > 0) c->censored = Censored::kLimit;
  // Clinical choices follow the data, not the bounds.
  if (Lower(c->name).find("cd4") != std::string::npos && min_fixed >= 0) {
    c->bins = {0, 200, 350, 500, INFINITY};
  }
  return true;
}

}  // namespace

Status AddDeclaredRange(const std::string& spec, InferOptions* options) {
  const size_t eq = spec.rfind('=');
  const size_t colon = eq == std::string::npos ? std::string::npos : spec.find(':', eq);
  if (eq == std::string::npos || eq == 0 || colon == std::string::npos) {
    return Status::InvalidArgument("--range '" + spec + "': write COLUMN=MIN:MAX");
  }
  const std::string column(Trim(std::string_view(spec).substr(0, eq)));
  DeclaredRange range;
  range.min = std::string(Trim(std::string_view(spec).substr(eq + 1, colon - eq - 1)));
  range.max = std::string(Trim(std::string_view(spec).substr(colon + 1)));
  Decimal lo, hi;
  if (!ParseDecimal(range.min, &lo) || !ParseDecimal(range.max, &hi)) {
    return Status::InvalidArgument("--range " + spec + ": MIN and MAX must be plain numbers");
  }
  if (CompareDecimal(lo, hi) > 0) {
    return Status::InvalidArgument("--range " + spec + ": MIN is greater than MAX");
  }
  if (!options->ranges.emplace(column, std::move(range)).second) {
    return Status::InvalidArgument("--range names column '" + column + "' twice");
  }
  return Status::OK();
}

namespace {

// The columns clean computes from the inferred date columns (clean.h): each one's year, and the
// days from the first to each later one, which takes a second pass over the file.
Result<std::vector<Column>> DateColumns(const std::string& csv_path,
                                        const std::vector<std::string>& header,
                                        const std::vector<const ColumnStats*>& dates,
                                        const std::set<std::string>& names,
                                        const InferOptions& options, InferredBoundsMap* origins,
                                        std::map<std::string, std::string>* why) {
  std::vector<Column> out;
  for (const ColumnStats* d : dates) {
    Column c;
    c.name = d->name + "_year";
    if (names.count(c.name) > 0) continue;  // the file has one already: keep it as read
    c.year_of = d->name;
    const int first = YearOfDay(d->first_day), last = YearOfDay(d->last_day);
    c.min = first;
    c.max = last;
    const int years = last - first + 1;
    if (years <= kMaxYearLevels) {
      for (int y = first; y <= last; ++y) c.levels.push_back(std::to_string(y));
    }
    (*origins)[c.name].source = InferredBounds::Source::kYears;
    (*why)[c.name] =
        "computed: the year of " + d->name + ", " + std::to_string(years) +
        (years <= kMaxYearLevels
             ? " years: groupable"
             : " years, more than " + std::to_string(kMaxYearLevels) + ": not groupable");
    out.push_back(std::move(c));
  }
  if (dates.size() < 2) return out;

  const ColumnStats& from = *dates.front();
  std::vector<ColumnStats> spans;
  std::vector<const ColumnStats*> to;
  for (size_t k = 1; k < dates.size(); ++k) {
    ColumnStats span;
    span.name = "days_" + from.name + "_to_" + dates[k]->name;
    if (names.count(span.name) > 0) continue;
    spans.push_back(std::move(span));
    to.push_back(dates[k]);
  }
  CsvReader reader;
  std::vector<std::string> again, row;
  CS_RETURN_IF_ERROR(reader.OpenTable(csv_path, &again));
  if (again != header) return Status::IOError(csv_path + ": the file changed while it was read");
  auto day_of = [&row](const ColumnStats& s, int64_t* day) {
    return ParseIsoDate(Trim(row[s.index]), day);
  };
  bool eof = false;
  while (true) {
    CS_RETURN_IF_ERROR(reader.Next(&row, &eof));
    if (eof) break;
    int64_t start = 0, end = 0;
    if (row.size() != header.size() || !day_of(from, &start)) continue;
    for (size_t k = 0; k < spans.size(); ++k) {
      if (day_of(*to[k], &end)) Observe(&spans[k], std::to_string(end - start), options.max_levels);
    }
  }
  for (size_t k = 0; k < spans.size(); ++k) {
    if (spans[k].present == 0) continue;  // never both dates in one row
    Column c;
    c.name = spans[k].name;
    InferredBounds origin;
    CS_ASSIGN_OR_RETURN(bool made, MakeNumeric(spans[k], options.max_levels, nullptr, &c, &origin));
    if (!made) continue;
    c.days_from = from.name;
    c.days_to = to[k]->name;
    (*origins)[c.name] = origin;
    (*why)[c.name] =
        "computed: days from " + from.name + " to " + to[k]->name +
        (c.levels.empty() ? "" : ", " + std::to_string(c.levels.size()) + " distinct: groupable");
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

Result<Schema> InferSchema(const std::string& csv_path, const InferOptions& options,
                           InferredBoundsMap* bounds, InferNotes* notes) {
  CsvReader reader;
  std::vector<std::string> header, row;
  bool eof = false;
  CS_RETURN_IF_ERROR(reader.OpenTable(csv_path, &header));

  Schema schema;
  schema.name = TableName(csv_path);
  schema.max_records = options.max_records;
  schema.missing_values = kDefaultMissingValues;

  // Unnamed columns (R's row names) are left out; clean reports them as unknown columns.
  std::vector<ColumnStats> stats;
  std::set<std::string> names;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (name.empty()) continue;
    if (!IsUtf8(name)) {
      return Status::InvalidArgument(csv_path + " line " + std::to_string(reader.line()) +
                                     ": the name of column " + std::to_string(i + 1) +
                                     kConvertHint);
    }
    names.insert(name);
    stats.emplace_back();
    stats.back().name = name;
    stats.back().index = i;
  }
  if (stats.empty()) return Status::InvalidArgument(csv_path + ": the header names no columns");
  for (const auto& [column, range] : options.ranges) {
    if (names.count(column) == 0) {
      return Status::InvalidArgument("--range names column '" + column + "', which " + csv_path +
                                     " does not have");
    }
    for (ColumnStats& s : stats) {
      if (s.name != column) continue;
      s.has_range = true;
      if (!ParseDecimal(range.min, &s.range_min) || !ParseDecimal(range.max, &s.range_max)) {
        return Status::InvalidArgument("--range " + column + ": MIN and MAX must be numbers");
      }
    }
  }

  uint64_t rows = 0, complete_rows = 0;
  while (true) {
    CS_RETURN_IF_ERROR(reader.Next(&row, &eof));
    if (eof) break;
    // Uniqueness is remembered per row, so memory would follow the input; past max_records
    // the data could not be cleaned or encrypted under this schema anyway.
    if (++rows > options.max_records) {
      return Status::InvalidArgument(csv_path + " line " + std::to_string(reader.line()) +
                                     ": more than " + std::to_string(options.max_records) +
                                     " rows; raise --max-records if the data set is this large");
    }
    // Malformed rows say nothing about the columns' types; the reader counts them for the
    // review, and clean drops them.
    if (row.size() != header.size()) continue;
    ++complete_rows;
    for (ColumnStats& s : stats) {
      std::string_view text = Trim(row[s.index]);
      if (IsMissing(text, schema.missing_values)) continue;
      if (!IsUtf8(text)) {
        return Status::InvalidArgument(csv_path + " line " + std::to_string(reader.line()) +
                                       ": the value of column '" + s.name + "'" + kConvertHint);
      }
      Observe(&s, text, options.max_levels);
    }
  }

  InferredBoundsMap origins;
  std::map<std::string, std::string> why;
  std::set<std::string> nonnegative;   // numeric columns with no value below 0
  std::set<std::string> stray_tokens;  // of numeric and date columns: missing values from now on
  std::vector<const ColumnStats*> date_columns;
  // "; 2 other values read as missing (n/a x1, unknown x1)", and the tokens into stray_tokens.
  auto stray_note = [&stray_tokens](uint64_t count, const std::map<std::string, uint64_t>& tokens) {
    if (count == 0) return std::string();
    std::string note = "; " + std::to_string(count) + " other value" + (count == 1 ? "" : "s") +
                       " read as missing (";
    bool first = true;
    for (const auto& [token, n] : tokens) {
      note += (first ? "" : ", ") + token + " x" + std::to_string(n);
      first = false;
      stray_tokens.insert(token);
    }
    return note + ")";
  };
  for (ColumnStats& s : stats) {
    Column c;
    c.name = s.name;
    const std::string lower = Lower(s.name);
    auto declared = options.ranges.find(s.name);
    const DeclaredRange* range = declared == options.ranges.end() ? nullptr : &declared->second;
    InferredBounds origin;
    bool made_numeric = false;
    const bool id_name = s.unique && LooksLikeIdName(lower);
    if (s.present > 0 && s.numeric() && !id_name && !IsPatientIdName(lower)) {
      CS_ASSIGN_OR_RETURN(made_numeric, MakeNumeric(s, options.max_levels, range, &c, &origin));
    }
    std::string& reason = why[c.name];
    if (s.present == 0) {
      // Nothing to learn from: a numeric [0, 0] column keeps every row, all missing.
      c.kind = ColumnKind::kNumeric;
      origin.source = InferredBounds::Source::kNoValues;
      reason = "no values";
      if (range != nullptr) {
        int64_t lo = 0, hi = 0;
        CS_RETURN_IF_ERROR(DeclaredFixed(s.name, "MIN", range->min, 0, &lo));
        CS_RETURN_IF_ERROR(DeclaredFixed(s.name, "MAX", range->max, 0, &hi));
        c.min = FixedToDouble(lo, 0);
        c.max = FixedToDouble(hi, 0);
        origin.source = InferredBounds::Source::kDeclared;
      }
    } else if (id_name) {
      c.kind = ColumnKind::kIdentifier;
      reason = "named like an id, no value repeats";
    } else if (IsPatientIdName(lower)) {
      c.kind = ColumnKind::kIdentifier;
      c.unique = false;  // a visit-level file: one patient, many rows
      reason = "a patient id by name; values repeat (one row per visit)";
    } else if (made_numeric) {
      // filled in by MakeNumeric
      reason = c.levels.empty()
                   ? "numbers"
                   : "numbers, " + std::to_string(c.levels.size()) + " distinct: groupable";
      reason += stray_note(s.stray_count, s.stray);
      if (s.censored > 0) {
        reason += "; " + std::to_string(s.censored) + " past a detection limit (\"censored\")";
      }
    } else if (s.dates()) {
      if (range != nullptr) {
        return Status::InvalidArgument("--range " + s.name + ": column '" + s.name +
                                       "' holds dates; its bounds are the whole years of its "
                                       "dates (edit \"min\" and \"max\" in the schema)");
      }
      c.kind = ColumnKind::kDate;
      c.min = static_cast<double>(YearBoundary(YearOfDay(s.first_day), true));
      c.max = static_cast<double>(YearBoundary(YearOfDay(s.last_day), false));
      origin.source = InferredBounds::Source::kYears;
      reason = "ISO dates (YYYY-MM-DD)" + stray_note(s.non_date_count, s.non_dates);
      date_columns.push_back(&s);
    } else if (s.unique && s.present == complete_rows) {
      c.kind = ColumnKind::kIdentifier;
      reason = "text, unique per row";
    } else if (s.texts.size() <= options.max_levels) {
      c.kind = ColumnKind::kCategorical;
      c.levels.assign(s.texts.begin(), s.texts.end());
      reason = "text, " + std::to_string(c.levels.size()) + " distinct: groupable";
    } else {
      // Free text, too varied to group by: never encrypted, never shipped, and never a reason
      // to drop a row.
      c.kind = ColumnKind::kExcluded;
      reason = "text, more than " + std::to_string(options.max_levels) +
               " distinct values and not unique per row: not encrypted, not shipped";
    }
    if (c.numeric()) {
      origins[c.name] = origin;
      if (CompareDecimal(s.min, Decimal()) >= 0) nonnegative.insert(c.name);
    } else if (range != nullptr) {
      return Status::InvalidArgument("--range " + s.name + ": column '" + s.name + "' is " +
                                     (c.kind == ColumnKind::kCategorical ? "categorical"
                                      : c.kind == ColumnKind::kIdentifier
                                          ? "an identifier (never shipped)"
                                          : "excluded (never shipped)") +
                                     ", not numeric");
    }
    schema.columns.push_back(std::move(c));
  }
  CS_ASSIGN_OR_RETURN(std::vector<Column> computed,
                      DateColumns(csv_path, header, date_columns, names, options, &origins, &why));
  for (Column& c : computed) schema.columns.push_back(std::move(c));
  // A numeric or date column's stray tokens are missing values, unless one is a level of a
  // categorical column, where it must stay a value.
  for (const std::string& token : stray_tokens) {
    bool level = false;
    for (const Column& c : schema.columns) {
      level = level || (c.kind == ColumnKind::kCategorical &&
                        std::find(c.levels.begin(), c.levels.end(), token) != c.levels.end());
    }
    if (!level) schema.missing_values.push_back(token);
  }

  for (const Column& c : schema.columns) {
    if (c.kind == ColumnKind::kNumeric && !c.computed() && nonnegative.count(c.name) > 0 &&
        LooksLikeViralLoad(Lower(c.name)) && schema.FindColumn("viral_suppressed") == nullptr) {
      schema.derived.push_back({"viral_suppressed", c.name, "<", 200});
      break;
    }
  }
  // Crosses by the plausible grouping keys only, or by the columns the owner named (clean.h).
  std::vector<const Column*> keys;
  if (options.cross_by.has_value()) {
    for (const std::string& name : *options.cross_by) {
      const Column* by = schema.FindColumn(name);
      if (by == nullptr || !by->groupable()) {
        return Status::InvalidArgument(
            "--cross " + name + ": '" + name +
            "' is not a groupable column of the file (a categorical column, or numbers with at "
            "most " +
            std::to_string(options.max_levels) + " distinct values)");
      }
      if (std::find(keys.begin(), keys.end(), by) != keys.end())
        return Status::InvalidArgument("--cross " + name + ": named twice");
      keys.push_back(by);
    }
  } else {
    for (const Column& c : schema.columns) {
      if (c.groupable() && c.levels.size() >= 2 &&
          (c.kind == ColumnKind::kCategorical || IsYearColumn(c) ||
           LooksLikeGroupingKey(Lower(c.name)))) {
        keys.push_back(&c);
      }
    }
  }
  for (const Column* by : keys) {
    Cross cross;
    cross.by = by->name;
    // An inferred year key is crossed with the follow-up times alone; one the owner named, with
    // everything.
    const bool year = !options.cross_by.has_value() && IsYearColumn(*by);
    for (const Column& c : schema.columns) {
      if (!c.numeric() || c.is_public || c.name == by->name || IsYearColumn(c)) continue;
      if (!year || !c.days_from.empty()) cross.over.push_back(c.name);
    }
    if (!year) {
      for (const Derived& d : schema.derived) cross.over.push_back(d.name);
    }
    if (!cross.over.empty()) schema.crosses.push_back(std::move(cross));
  }
  schema.products = options.products;
  Status valid = ValidateSchema(schema);
  if (!valid.ok()) return valid.WithContext(csv_path + ": inferred schema");
  if (bounds != nullptr) *bounds = std::move(origins);
  if (notes != nullptr) {
    notes->rows = rows;
    notes->ragged = reader.ragged();
    notes->why = std::move(why);
  }
  return schema;
}

namespace {

// A schema bound at its column's scale, without exponent ("200000000000000", "0.99").
std::string BoundText(double value, int decimals) {
  Decimal d;
  int64_t fixed = 0;
  if (!ParseDecimal(FormatDouble(value), &d) ||
      DecimalToFixedPoint(d, decimals, &fixed) != FixedPointError::kOk) {
    return FormatDouble(value);
  }
  return FormatFixedPoint(fixed, decimals);
}

std::string Counted(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "grid 1000", "declared range", with a note for a side that could not stay on the grid.
std::string BoundsOrigin(const InferredBounds& b, int decimals) {
  switch (b.source) {
    case InferredBounds::Source::kDeclared:
      return "declared range";
    case InferredBounds::Source::kNoValues:
      return "no values";
    case InferredBounds::Source::kYears:
      return "whole years";
    case InferredBounds::Source::kGrid:
      break;
  }
  std::string out = "grid " + b.step;
  for (const auto& [which, side] :
       {std::pair<const char*, const InferredBounds::Side*>{"min", &b.min}, {"max", &b.max}}) {
    if (side->observed) {
      out += std::string("; ") + which +
             " is the observed value: nothing coarser fits 15 digits at " +
             Counted(static_cast<size_t>(decimals), "decimal", "decimals") +
             " (lower the decimals to widen it)";
    } else if (side->narrowed) {
      out += std::string("; ") + which + " on grid " + side->step + " to fit 15 digits";
    }
  }
  return out;
}

// Control characters (a stray token from the file) shown as '?': this text goes to terminals.
std::string Printable(std::string text) {
  for (char& ch : text) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  }
  return text;
}

}  // namespace

std::string DescribeInferredSchema(const Schema& schema, const InferredBoundsMap& bounds,
                                   const InferNotes* notes) {
  using Row = std::vector<std::string>;
  std::vector<Row> rows = {
      {"column", "role", "kind", "range", "decimals", "levels", "groupable", "why"}};
  for (const Column& c : schema.columns) {
    std::string why;
    auto add = [&why](const std::string& part) { why += (why.empty() ? "" : "; ") + part; };
    if (notes != nullptr) {
      auto it = notes->why.find(c.name);
      if (it != notes->why.end()) why = it->second;
    }
    Row row = {c.name, c.is_public ? "public" : "private", ColumnKindName(c.kind), "-", "-",
               "-",    c.groupable() ? "yes" : "no"};
    switch (c.kind) {
      case ColumnKind::kIdentifier:
        row[1] = "identifier";
        row[2] = "-";
        // (An inference note already says why repeats are allowed.)
        add(c.unique || !why.empty() ? "never shipped" : "repeats allowed; never shipped");
        break;
      case ColumnKind::kExcluded:
        row[1] = "excluded";
        row[2] = "-";
        if (notes == nullptr) add("not encrypted, not shipped");
        break;
      case ColumnKind::kCategorical:
        row[5] = std::to_string(c.levels.size());
        break;
      case ColumnKind::kDate:
        row[3] = "[" + FormatIsoDate(static_cast<int64_t>(c.min)) + ", " +
                 FormatIsoDate(static_cast<int64_t>(c.max)) + "]";
        if (bounds.count(c.name) > 0) add("bounds: whole years");
        break;
      case ColumnKind::kNumeric: {
        if (notes == nullptr && !c.year_of.empty()) add("computed: the year of " + c.year_of);
        if (notes == nullptr && !c.days_from.empty()) {
          add("computed: days from " + c.days_from + " to " + c.days_to);
        }
        row[4] = std::to_string(c.decimals);
        if (!c.levels.empty()) row[5] = std::to_string(c.levels.size());
        auto origin = bounds.find(c.name);
        const bool known = origin != bounds.end();
        const bool min_observed = known && origin->second.min.observed;
        const bool max_observed = known && origin->second.max.observed;
        // An observed extreme never goes into the text, even when it had to be the bound.
        row[3] = "[" + (min_observed ? "observed" : BoundText(c.min, c.decimals)) + ", " +
                 (max_observed ? "observed" : BoundText(c.max, c.decimals)) + "]";
        if (known) add("bounds: " + BoundsOrigin(origin->second, c.decimals));
        if (c.censored.has_value()) {
          add(*c.censored == Censored::kLimit ? "\"<N\" reads as N" : "\"<N\" reads as missing");
        }
        if (!c.bins.empty()) {
          std::string bins = "bins ";
          for (size_t i = 0; i < c.bins.size(); ++i) {
            if (i > 0) bins += ",";
            bins +=
                std::isinf(c.bins[i]) ? (c.bins[i] > 0 ? "inf" : "-inf") : FormatDouble(c.bins[i]);
          }
          add(bins);
        }
        break;
      }
    }
    row.push_back(why.empty() ? "-" : Printable(why));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line = " ";
    for (size_t i = 0; i < row.size(); ++i) {
      line += " " + row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 1, ' ');
    }
    out += line + "\n";
  }
  out += "  derived: " + (schema.derived.empty() ? std::string("none")
                                                 : std::to_string(schema.derived.size()) + " (");
  for (size_t i = 0; i < schema.derived.size(); ++i) {
    const Derived& d = schema.derived[i];
    out +=
        (i > 0 ? ", " : "") + d.name + " = " + d.column + " " + d.op + " " + FormatDouble(d.value);
  }
  out += schema.derived.empty() ? "\n" : ")\n";
  out += "  crosses: " + (schema.crosses.empty() ? std::string("none")
                                                 : std::to_string(schema.crosses.size()) + " (by ");
  for (size_t i = 0; i < schema.crosses.size(); ++i) {
    out += (i > 0 ? ", " : "") + schema.crosses[i].by;
  }
  out += schema.crosses.empty() ? "\n" : ")\n";
  if (notes != nullptr && notes->ragged.count > 0) {
    out += "  warning: " + notes->ragged.Describe() +
           "; inference skipped them and clean drops them\n";
  }
  return out;
}

// --- cleaning -----------------------------------------------------------------------------

namespace {

// What clean needs to know about one schema column, precomputed once.
struct ColumnRule {
  const Column* column = nullptr;
  size_t index = 0;  // field position in the raw CSV
  int64_t min_fixed = 0, max_fixed = 0;
  std::unordered_set<std::string> levels;
  DigestSet seen;  // unique identifiers only
  // A computed column's source date columns (schema positions); `to` unused for a year.
  size_t from = 0, to = 0;
  // Report keys, built once rather than per hit.
  std::string missing, not_a_number, not_a_date, rounded, censored_below, censored_above,
      out_of_range, unknown_level, invalid_character, duplicate;
};

size_t SchemaPosition(const Schema& schema, const std::string& column) {
  const Column* c = schema.FindColumn(column);
  return static_cast<size_t>(c - schema.columns.data());
}

Status BoundFixed(double bound, int decimals, int64_t* out) {
  Decimal d;
  if (!ParseDecimal(FormatDouble(bound), &d) ||
      DecimalToFixedPoint(d, decimals, out) != FixedPointError::kOk) {
    return Status::InvalidArgument("schema bound " + FormatDouble(bound) + " is not exact");
  }
  return Status::OK();
}

}  // namespace

Status CleanCsv(const Schema& schema, const std::string& raw_path, const std::string& out_path,
                CleanReport* report, bool overwrite) {
  CleanReport local;
  CleanReport* rep = report != nullptr ? report : &local;
  *rep = CleanReport();
  CS_RETURN_IF_ERROR(ValidateSchema(schema));

  CsvReader reader;
  std::vector<std::string> header, row;
  bool eof = false;
  CS_RETURN_IF_ERROR(reader.OpenTable(raw_path, &header));
  const uint64_t header_line = reader.line();

  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    const Column* c = schema.FindColumn(name);
    if (c == nullptr) {
      AddHit(rep, "unknown_column:" + name, header_line);
      continue;
    }
    if (c->computed()) {
      return Status::InvalidArgument(
          raw_path + ": column '" + name + "' is computed by the schema (from " +
          (c->year_of.empty() ? c->days_from + " and " + c->days_to : c->year_of) +
          "), so the file must not have it; rename it in the file or the schema. Nothing written");
    }
    position.emplace(name, i);  // OpenTable refused repeated names
  }
  std::string absent;
  for (const Column& c : schema.columns) {
    if (!c.computed() && position.count(c.name) == 0) {
      AddHit(rep, "missing_column:" + c.name, header_line);
      absent += (absent.empty() ? "'" : ", '") + c.name + "'";
    }
  }
  if (!absent.empty()) {
    return Status::InvalidArgument(raw_path + ": header lacks schema column(s) " + absent +
                                   "; nothing written");
  }

  std::vector<ColumnRule> rules(schema.columns.size());
  std::vector<std::string> out_header;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const Column& c = schema.columns[i];
    ColumnRule& r = rules[i];
    r.column = &c;
    if (c.computed()) {
      r.from = SchemaPosition(schema, c.year_of.empty() ? c.days_from : c.year_of);
      if (!c.days_to.empty()) r.to = SchemaPosition(schema, c.days_to);
    } else {
      r.index = position.at(c.name);
    }
    if (c.numeric()) {
      CS_RETURN_IF_ERROR(BoundFixed(c.min, c.decimals, &r.min_fixed));
      CS_RETURN_IF_ERROR(BoundFixed(c.max, c.decimals, &r.max_fixed));
    }
    r.levels.insert(c.levels.begin(), c.levels.end());
    r.missing = "missing:" + c.name;
    r.not_a_number = "not_a_number:" + c.name;
    r.not_a_date = "not_a_date:" + c.name;
    r.rounded = "rounded:" + c.name;
    r.censored_below = "censored_below:" + c.name;
    r.censored_above = "censored_above:" + c.name;
    r.out_of_range = "out_of_range:" + c.name;
    r.unknown_level = "unknown_level:" + c.name;
    r.invalid_character = "invalid_character:" + c.name;
    r.duplicate = "duplicate_identifier:" + c.name;
    out_header.push_back(c.name);
  }

  AtomicFile out;
  CS_RETURN_IF_ERROR(out.Open(out_path, kPrivateFile, overwrite));
  std::string buffer;
  AppendCsvRecord(out_header, &buffer);

  std::vector<std::string> fields(rules.size());
  // Each date column's day number in the current row, when it has a valid one.
  std::vector<std::optional<int64_t>> days(rules.size());
  std::vector<size_t> unique_ids, computed;
  for (size_t i = 0; i < rules.size(); ++i) {
    const Column& c = *rules[i].column;
    if (c.kind == ColumnKind::kIdentifier && c.unique) unique_ids.push_back(i);
    if (c.computed()) computed.push_back(i);
  }
  // The first rule that drops a row.
  const std::string* drop = nullptr;
  auto drop_row = [&drop](const std::string& rule) {
    if (drop == nullptr) drop = &rule;
  };
  const std::string kWrongFieldCount = "wrong_field_count";
  while (true) {
    CS_RETURN_IF_ERROR(reader.Next(&row, &eof));
    if (eof) break;
    const uint64_t line = reader.line();
    ++rep->rows_read;
    if (row.size() != header.size()) {
      AddHit(rep, kWrongFieldCount, line);
      ++rep->dropped_by[kWrongFieldCount];
      ++rep->rows_dropped;
      continue;
    }
    drop = nullptr;
    for (size_t i = 0; i < rules.size(); ++i) {
      ColumnRule& r = rules[i];
      const Column& c = *r.column;
      if (c.computed()) continue;  // below, from the dates
      std::string_view text = Trim(row[r.index]);
      std::string& field = fields[i];
      field.clear();
      days[i].reset();
      if (IsMissing(text, schema.missing_values)) {
        AddHit(rep, r.missing, line);
        if (!text.empty()) ++rep->missing_tokens[c.name][std::string(text)];
        // A missing value drops its row only where the schema asks for it.
        if (c.on_invalid == OnInvalid::kDropRow) drop_row(r.missing);
        continue;
      }
      // The rule that makes this value invalid, if any.
      const std::string* broken = nullptr;
      if (c.is_public && text.find_first_of("\t\n\r") != std::string_view::npos) {
        broken = &r.invalid_character;
      } else if (!c.shipped()) {
        field.assign(text);
      } else if (c.date()) {
        int64_t day = 0;
        if (!ParseIsoDate(text, &day)) {
          broken = &r.not_a_date;
        } else if (day < r.min_fixed || day > r.max_fixed) {
          broken = &r.out_of_range;
        } else {
          field.assign(text);
          days[i] = day;
        }
      } else if (c.numeric()) {
        Decimal d;
        int64_t fixed = 0;
        bool below = false;
        if (ParseDecimal(text, &d)) {
          // a number
        } else if (ParseCensored(text, &d, &below)) {
          AddHit(rep, below ? r.censored_below : r.censored_above, line);
          if (c.censored.value_or(Censored::kLimit) == Censored::kMissing) {
            if (c.on_invalid == OnInvalid::kDropRow) drop_row(r.missing);
            continue;
          }
        } else {
          broken = &r.not_a_number;
        }
        if (broken == nullptr) {
          switch (DecimalToFixedPoint(d, c.decimals, &fixed)) {
            case FixedPointError::kOk:
              break;
            case FixedPointError::kTooManyDecimals:
              // More places than the column keeps: rounded half to even, never dropped.
              if (RoundHalfEven(d, c.decimals, &fixed)) {
                AddHit(rep, r.rounded, line);
              } else {
                broken = &r.out_of_range;
              }
              break;
            case FixedPointError::kTooLarge:
              broken = &r.out_of_range;
              break;
          }
          if (broken == nullptr && (fixed < r.min_fixed || fixed > r.max_fixed)) {
            broken = &r.out_of_range;
          }
        }
        if (broken == nullptr) {
          field = FormatFixedPoint(fixed, c.decimals);
          if (!r.levels.empty() && r.levels.count(field) == 0) broken = &r.unknown_level;
        }
      } else {  // categorical
        field.assign(text);
        if (r.levels.count(field) == 0) broken = &r.unknown_level;
      }
      if (broken != nullptr) {
        AddHit(rep, *broken, line);
        field.clear();
        if (c.on_invalid == OnInvalid::kDropRow) drop_row(*broken);
      }
    }
    for (size_t i : computed) {
      ColumnRule& r = rules[i];
      const Column& c = *r.column;
      std::string& field = fields[i];
      field.clear();
      const std::optional<int64_t>& from = days[r.from];
      const bool present = from.has_value() && (c.days_to.empty() || days[r.to].has_value());
      if (!present) {
        AddHit(rep, r.missing, line);
        if (c.on_invalid == OnInvalid::kDropRow) drop_row(r.missing);
        continue;
      }
      const int64_t value = c.days_to.empty() ? YearOfDay(*from) : *days[r.to] - *from;
      const std::string* broken = nullptr;
      field = std::to_string(value);
      if (value < r.min_fixed || value > r.max_fixed) {
        broken = &r.out_of_range;
      } else if (!r.levels.empty() && r.levels.count(field) == 0) {
        broken = &r.unknown_level;
      }
      if (broken != nullptr) {
        AddHit(rep, *broken, line);
        field.clear();
        if (c.on_invalid == OnInvalid::kDropRow) drop_row(*broken);
      }
    }
    if (drop == nullptr) {
      // A row only claims its identifiers once it is certain to be written, so a rejected
      // row never makes a later good row look like a duplicate. A missing identifier is no
      // one's: it repeats nothing.
      for (size_t i : unique_ids) {
        if (!fields[i].empty() && rules[i].seen.Contains(fields[i])) {
          AddHit(rep, rules[i].duplicate, line);
          drop_row(rules[i].duplicate);
        }
      }
      if (drop == nullptr) {
        for (size_t i : unique_ids) {
          if (!fields[i].empty()) rules[i].seen.Insert(fields[i]);
        }
      }
    }
    if (drop != nullptr) {
      ++rep->dropped_by[*drop];
      ++rep->rows_dropped;
      continue;
    }
    if (rep->rows_written >= schema.max_records) {
      return Status::InvalidArgument(raw_path + " line " + std::to_string(line) +
                                     ": dataset larger than its schema allows (max_records=" +
                                     std::to_string(schema.max_records) + "); nothing written");
    }
    AppendCsvRecord(fields, &buffer);
    ++rep->rows_written;
    if (buffer.size() >= kFlushBytes) {
      CS_RETURN_IF_ERROR(out.Append(buffer));
      buffer.clear();
    }
  }
  CS_RETURN_IF_ERROR(out.Append(buffer));
  return out.Commit();
}

std::string CleanReport::ToJson() const {
  nlohmann::ordered_json j;
  j["rows_read"] = rows_read;
  j["rows_written"] = rows_written;
  j["rows_dropped"] = rows_dropped;
  nlohmann::ordered_json rules = nlohmann::ordered_json::object();
  for (const auto& [rule, h] : hits) {
    nlohmann::ordered_json entry;
    entry["count"] = h.count;
    entry["lines"] = h.lines;
    if (h.count > h.lines.size()) entry["lines_truncated"] = true;
    rules[rule] = std::move(entry);
  }
  j["hits"] = std::move(rules);
  j["dropped_by"] = dropped_by;
  j["missing_tokens"] = missing_tokens;
  // Rule keys carry header names from the raw file, which may not be UTF-8 (a Latin-1
  // export): show such bytes as U+FFFD rather than throw.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace cipherstat
