#include "data/clean.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "data/csv.h"
#include "data/hash_set.h"
#include "encoding/fixed_point.h"
#include "util/file.h"

namespace cipherstat {

namespace {

constexpr size_t kMaxReportedLines = 100;
constexpr size_t kFlushBytes = 1 << 20;
// Inferred fixed-point values stay below 10^15 (15 significant digits), where decimal text,
// double and llround(x·10^d) all agree exactly.
constexpr int64_t kInferLimit = 1000000000000000;

std::string_view Trim(std::string_view s) {
  const char* kSpace = " \t\r\n\f\v";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

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
  bool numeric = true;
  Decimal min, max;
  int64_t decimals = 0;
  std::vector<Decimal> numbers;  // distinct numeric values, at most max_levels + 1
  std::set<std::string> texts;   // distinct texts, at most max_levels + 1
  bool unique = true;
  DigestSet seen;  // cleared once a duplicate shows up
};

void Observe(ColumnStats* s, std::string_view text, size_t max_levels) {
  if (s->unique && !s->seen.Insert(text)) {
    s->unique = false;
    s->seen.Clear();
  }
  if (s->texts.size() <= max_levels) s->texts.emplace(text);
  if (s->numeric) {
    Decimal d;
    if (!ParseDecimal(text, &d)) {
      s->numeric = false;
      s->numbers.clear();
    } else {
      if (s->present == 0 || CompareDecimal(d, s->min) < 0) s->min = d;
      if (s->present == 0 || CompareDecimal(d, s->max) > 0) s->max = d;
      s->decimals = std::max(s->decimals, d.decimals());
      if (s->numbers.size() <= max_levels) {
        bool known = false;
        for (const Decimal& n : s->numbers) known = known || CompareDecimal(n, d) == 0;
        if (!known) s->numbers.push_back(d);
      }
    }
  }
  ++s->present;
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

// Fills a numeric column from its statistics; false if the values do not fit fixed point.
bool MakeNumeric(const ColumnStats& s, size_t max_levels, Column* c) {
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
  c->kind = ColumnKind::kNumeric;
  c->decimals = decimals;
  c->min = FixedToDouble(min_fixed, decimals);
  c->max = FixedToDouble(max_fixed, decimals);
  if (decimals == 0 && s.decimals == 0 && s.numbers.size() <= max_levels) {
    std::vector<Decimal> values = s.numbers;
    std::sort(values.begin(), values.end(),
              [](const Decimal& a, const Decimal& b) { return CompareDecimal(a, b) < 0; });
    for (const Decimal& v : values) c->levels.push_back(FormatDecimal(v));
  }
  if (Lower(c->name).find("cd4") != std::string::npos && min_fixed >= 0) {
    c->bins = {0, 200, 350, 500, INFINITY};
  }
  return true;
}

}  // namespace

Result<Schema> InferSchema(const std::string& csv_path, const InferOptions& options) {
  CsvReader reader;
  std::vector<std::string> header, row;
  bool eof = false;
  CS_RETURN_IF_ERROR(reader.OpenWithHeader(csv_path, &header));

  Schema schema;
  schema.name = TableName(csv_path);
  schema.max_records = options.max_records;

  // Unnamed columns (R's row names) are left out; clean reports them as unknown columns.
  std::vector<ColumnStats> stats;
  std::set<std::string> names;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name(Trim(header[i]));
    if (name.empty()) continue;
    if (!IsUtf8(name)) {
      return Status::InvalidArgument(csv_path + " line " + std::to_string(reader.line()) +
                                     ": the name of column " + std::to_string(i + 1) +
                                     kConvertHint);
    }
    if (!names.insert(name).second) {
      return Status::InvalidArgument(csv_path + " line " + std::to_string(reader.line()) +
                                     ": column '" + name + "' appears twice in the header");
    }
    stats.emplace_back();
    stats.back().name = name;
    stats.back().index = i;
  }
  if (stats.empty()) return Status::InvalidArgument(csv_path + ": the header names no columns");

  uint64_t rows = 0;
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
    // Malformed rows say nothing about the columns' types; clean reports them.
    if (row.size() != header.size()) continue;
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

  for (ColumnStats& s : stats) {
    Column c;
    c.name = s.name;
    const std::string lower = Lower(s.name);
    if (s.present == 0) {
      // Nothing to learn from: a numeric [0, 0] column keeps every row, all missing.
      c.kind = ColumnKind::kNumeric;
    } else if (s.unique && LooksLikeIdName(lower)) {
      c.kind = ColumnKind::kIdentifier;
    } else if (IsPatientIdName(lower)) {
      c.kind = ColumnKind::kIdentifier;
      c.unique = false;  // a visit-level file: one patient, many rows
    } else if (s.numeric && MakeNumeric(s, options.max_levels, &c)) {
      // filled in by MakeNumeric
    } else if (s.texts.size() <= options.max_levels && !s.unique) {
      c.kind = ColumnKind::kCategorical;
      c.levels.assign(s.texts.begin(), s.texts.end());
    } else {
      // Text that is unique per row (names, codes) or too varied to group by is never
      // shipped, encrypted or not.
      c.kind = ColumnKind::kIdentifier;
      c.unique = s.unique;
    }
    schema.columns.push_back(std::move(c));
  }

  for (const Column& c : schema.columns) {
    if (c.numeric() && c.min >= 0 && LooksLikeViralLoad(Lower(c.name)) &&
        schema.FindColumn("viral_suppressed") == nullptr) {
      schema.derived.push_back({"viral_suppressed", c.name, "<", 200});
      break;
    }
  }
  for (const Column& by : schema.columns) {
    if (!by.groupable() || by.is_public) continue;
    Cross cross;
    cross.by = by.name;
    for (const Column& c : schema.columns) {
      if (c.numeric() && !c.is_public && c.name != by.name) cross.over.push_back(c.name);
    }
    for (const Derived& d : schema.derived) cross.over.push_back(d.name);
    if (!cross.over.empty()) schema.crosses.push_back(std::move(cross));
  }
  Status valid = ValidateSchema(schema);
  if (!valid.ok()) return valid.WithContext(csv_path + ": inferred schema");
  return schema;
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
  // Report keys, built once rather than per hit.
  std::string missing, not_a_number, too_many_decimals, out_of_range, unknown_level,
      invalid_character, duplicate;
};

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
                CleanReport* report) {
  CleanReport local;
  CleanReport* rep = report != nullptr ? report : &local;
  *rep = CleanReport();
  CS_RETURN_IF_ERROR(ValidateSchema(schema));

  CsvReader reader;
  std::vector<std::string> header, row;
  bool eof = false;
  CS_RETURN_IF_ERROR(reader.OpenWithHeader(raw_path, &header));
  const uint64_t header_line = reader.line();

  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name(Trim(header[i]));
    if (schema.FindColumn(name) == nullptr) {
      AddHit(rep, "unknown_column:" + name, header_line);
      continue;
    }
    if (!position.emplace(name, i).second) {
      return Status::InvalidArgument(raw_path + " line " + std::to_string(header_line) +
                                     ": column '" + name + "' appears twice in the header");
    }
  }
  std::string absent;
  for (const Column& c : schema.columns) {
    if (position.count(c.name) == 0) {
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
    r.index = position.at(c.name);
    if (c.numeric()) {
      CS_RETURN_IF_ERROR(BoundFixed(c.min, c.decimals, &r.min_fixed));
      CS_RETURN_IF_ERROR(BoundFixed(c.max, c.decimals, &r.max_fixed));
    }
    r.levels.insert(c.levels.begin(), c.levels.end());
    r.missing = "missing:" + c.name;
    r.not_a_number = "not_a_number:" + c.name;
    r.too_many_decimals = "too_many_decimals:" + c.name;
    r.out_of_range = "out_of_range:" + c.name;
    r.unknown_level = "unknown_level:" + c.name;
    r.invalid_character = "invalid_character:" + c.name;
    r.duplicate = "duplicate_identifier:" + c.name;
    out_header.push_back(c.name);
  }

  AtomicFile out;
  CS_RETURN_IF_ERROR(out.Open(out_path));
  std::string buffer;
  AppendCsvRecord(out_header, &buffer);

  std::vector<std::string> fields(rules.size());
  std::vector<size_t> unique_ids;
  for (size_t i = 0; i < rules.size(); ++i) {
    const Column& c = *rules[i].column;
    if (c.kind == ColumnKind::kIdentifier && c.unique) unique_ids.push_back(i);
  }
  while (true) {
    CS_RETURN_IF_ERROR(reader.Next(&row, &eof));
    if (eof) break;
    const uint64_t line = reader.line();
    ++rep->rows_read;
    if (row.size() != header.size()) {
      AddHit(rep, "wrong_field_count", line);
      ++rep->rows_dropped;
      continue;
    }
    bool drop = false;
    for (size_t i = 0; i < rules.size(); ++i) {
      ColumnRule& r = rules[i];
      const Column& c = *r.column;
      const std::string_view text = Trim(row[r.index]);
      std::string& field = fields[i];
      field.clear();
      if (IsMissing(text, schema.missing_values)) {
        AddHit(rep, r.missing, line);
        if (c.kind == ColumnKind::kIdentifier || c.on_invalid == OnInvalid::kDropRow) drop = true;
        continue;
      }
      // The rule that makes this value invalid, if any.
      const std::string* broken = nullptr;
      if (c.is_public && text.find_first_of("\t\n\r") != std::string_view::npos) {
        broken = &r.invalid_character;
      } else if (c.kind == ColumnKind::kIdentifier) {
        field.assign(text);
      } else if (c.numeric()) {
        Decimal d;
        int64_t fixed = 0;
        if (!ParseDecimal(text, &d)) {
          broken = &r.not_a_number;
        } else {
          switch (DecimalToFixedPoint(d, c.decimals, &fixed)) {
            case FixedPointError::kOk:
              if (fixed < r.min_fixed || fixed > r.max_fixed) broken = &r.out_of_range;
              break;
            case FixedPointError::kTooManyDecimals:
              broken = &r.too_many_decimals;
              break;
            case FixedPointError::kTooLarge:
              broken = &r.out_of_range;
              break;
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
        if (c.on_invalid == OnInvalid::kDropRow) drop = true;
      }
    }
    if (!drop) {
      // A row only claims its identifiers once it is certain to be written, so a rejected
      // row never makes a later good row look like a duplicate.
      if (unique_ids.size() == 1) {
        ColumnRule& r = rules[unique_ids[0]];
        if (!r.seen.Insert(fields[unique_ids[0]])) {
          AddHit(rep, r.duplicate, line);
          drop = true;
        }
      } else {
        for (size_t i : unique_ids) {
          if (rules[i].seen.Contains(fields[i])) {
            AddHit(rep, rules[i].duplicate, line);
            drop = true;
          }
        }
        for (size_t i : unique_ids) {
          if (!drop) rules[i].seen.Insert(fields[i]);
        }
      }
    }
    if (drop) {
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
  // Rule keys carry header names from the raw file, which may not be UTF-8 (a Latin-1
  // export): show such bytes as U+FFFD rather than throw.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace cipherstat
