#include "encoding/schema.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <type_traits>
#include <utility>

#include "encoding/date.h"
#include "encoding/fixed_point.h"
#include "util/file.h"
#include "util/json.h"

namespace cipherstat {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr const char* kFormat = "cipherstat-schema";
constexpr int kVersion = 1;
// |value|·10^decimals must stay below this so that every fixed-point value, and the
// double a decoder turns it into, is exact.
constexpr double kExactLimit = 9007199254740992.0;  // 2^53

Status Invalid(const std::string& where, const std::string& what) {
  return Status::InvalidArgument("schema: " + where + ": " + what);
}

std::string ColumnWhere(const Column& c) { return "column '" + c.name + "'"; }

bool HasControlChar(std::string_view s) {
  for (char ch : s) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return true;
  }
  return false;
}

bool HasTabOrNewline(std::string_view s) {
  return s.find_first_of("\t\n\r") != std::string_view::npos;
}

bool ValidOp(const std::string& op) {
  return op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=";
}

// The fixed-point integer for a bound, computed exactly from its shortest decimal text.
// Also insists it equals llround(x·10^d), which is how the slot layout converts bounds, so
// clean and encrypt can never disagree about what is in range.
Status ExactFixed(double x, int decimals, const std::string& where, int64_t* out) {
  Decimal d;
  if (!std::isfinite(x) || !ParseDecimal(FormatDouble(x), &d)) {
    return Invalid(where, "must be a finite number, got " + FormatDouble(x));
  }
  const double scale = std::pow(10.0, decimals);
  if (std::fabs(x) * scale >= kExactLimit) {
    return Invalid(where, FormatDouble(x) + " times 10^" + std::to_string(decimals) +
                              " (decimals) is not below 2^53; lower \"decimals\" or the range");
  }
  FixedPointError e = DecimalToFixedPoint(d, decimals, out);
  if (e == FixedPointError::kTooManyDecimals) {
    return Invalid(where, FormatDouble(x) + " has more places than \"decimals\" (" +
                              std::to_string(decimals) + ")");
  }
  if (e != FixedPointError::kOk || std::llround(x * scale) != *out) {
    return Invalid(where,
                   FormatDouble(x) + " is not exact at " + std::to_string(decimals) + " decimals");
  }
  return Status::OK();
}

// min_fixed/max_fixed: the numeric range at the column's scale (unused for categorical).
Status ValidateLevels(const Schema& schema, const Column& c, int64_t min_fixed, int64_t max_fixed) {
  const std::string where = ColumnWhere(c) + " \"levels\"";
  std::set<std::string> seen;
  for (const std::string& level : c.levels) {
    if (!seen.insert(level).second) return Invalid(where, "'" + level + "' listed twice");
    for (const std::string& m : schema.missing_values) {
      if (level == m) {
        return Invalid(where, "'" + level + "' is also a missing value (\"missing_values\")");
      }
    }
    if (c.is_public && HasTabOrNewline(level)) {
      return Invalid(where, "a public column's levels may not contain tabs or line breaks");
    }
    if (c.numeric()) {
      Decimal d;
      int64_t fixed = 0;
      if (!ParseDecimal(level, &d) ||
          DecimalToFixedPoint(d, c.decimals, &fixed) != FixedPointError::kOk) {
        return Invalid(where, "'" + level + "' is not a number with at most " +
                                  std::to_string(c.decimals) + " decimals");
      }
      const std::string normal = FormatFixedPoint(fixed, c.decimals);
      if (normal != level) {
        return Invalid(
            where, "write '" + level + "' as '" + normal + "' (clean writes numbers in this form)");
      }
      if (fixed < min_fixed || fixed > max_fixed) {
        return Invalid(where, "'" + level + "' lies outside [min, max]");
      }
    }
  }
  return Status::OK();
}

Status ValidateBins(const Column& c) {
  const std::string where = ColumnWhere(c) + " \"bins\"";
  if (c.bins.size() < 2) return Invalid(where, "need at least two edges");
  for (size_t i = 0; i < c.bins.size(); ++i) {
    const double edge = c.bins[i];
    if (std::isnan(edge)) return Invalid(where, "edge " + std::to_string(i) + " is not a number");
    if (edge == -INFINITY && i != 0) return Invalid(where, "only the first edge may be -inf");
    if (edge == INFINITY && i + 1 != c.bins.size()) {
      return Invalid(where, "only the last edge may be inf");
    }
    if (i > 0 && !(c.bins[i - 1] < edge)) {
      return Invalid(where, "edges must increase (" + FormatDouble(c.bins[i - 1]) + " then " +
                                FormatDouble(edge) + ")");
    }
  }
  return Status::OK();
}

Status ValidateDate(const Column& c) {
  const std::string where = ColumnWhere(c);
  if (c.decimals != 0) return Invalid(where + " \"decimals\"", "a date has none");
  for (const auto& [key, bound] : {std::pair<const char*, double>{"min", c.min}, {"max", c.max}}) {
    if (!(bound >= static_cast<double>(kFirstDay) && bound <= static_cast<double>(kLastDay)) ||
        bound != std::trunc(bound)) {
      return Invalid(where + " \"" + key + "\"", "must be a date from 0001-01-01 to 9999-12-31");
    }
  }
  if (c.min > c.max) {
    return Invalid(where + " \"min\"", FormatIsoDate(static_cast<int64_t>(c.min)) +
                                           " is later than \"max\" " +
                                           FormatIsoDate(static_cast<int64_t>(c.max)));
  }
  if (c.is_public) {
    return Invalid(where + " \"public\"",
                   "a date stays private; make a \"year_of\" column public to group by year");
  }
  if (!c.levels.empty()) {
    return Invalid(where + " \"levels\"", "dates have no levels; group by a \"year_of\" column");
  }
  if (!c.bins.empty()) {
    return Invalid(where + " \"bins\"", "dates have no bins; group by a \"year_of\" column");
  }
  return Status::OK();
}

// A "year_of" or "days_between" column: a whole number computed from date columns.
Status ValidateComputed(const Schema& schema, const Column& c) {
  const std::string where = ColumnWhere(c);
  if (!c.year_of.empty() && !c.days_from.empty()) {
    return Invalid(where, "\"year_of\" and \"days_between\" exclude each other");
  }
  if (c.decimals != 0) {
    return Invalid(where + " \"decimals\"", "must be 0: a computed column is a whole number");
  }
  if (c.censored.has_value()) {
    return Invalid(where + " \"censored\"", "a computed column has no detection limit");
  }
  const bool year = !c.year_of.empty();
  const char* field = year ? "\"year_of\"" : "\"days_between\"";
  for (const std::string* source :
       year ? std::vector<const std::string*>{&c.year_of}
            : std::vector<const std::string*>{&c.days_from, &c.days_to}) {
    const Column* date = schema.FindColumn(*source);
    if (date == nullptr || !date->date()) {
      return Invalid(where + " " + field, "'" + *source + "' is not a date column");
    }
  }
  return Status::OK();
}

Status ValidateColumn(const Schema& schema, const Column& c) {
  const std::string where = ColumnWhere(c);
  if (c.computed() && c.kind != ColumnKind::kNumeric) {
    return Invalid(where, "\"year_of\" and \"days_between\" make numeric columns only");
  }
  if (c.kind != ColumnKind::kIdentifier && !c.unique) {
    return Invalid(where + " \"unique\"", "only identifiers have a uniqueness rule");
  }
  if (c.censored.has_value() && (!c.numeric() || c.date())) {
    return Invalid(where + " \"censored\"", "applies to numeric columns only");
  }
  switch (c.kind) {
    case ColumnKind::kIdentifier:
      if (c.is_public) {
        return Invalid(where + " \"public\"", "identifiers never leave the owner; remove it");
      }
      if (!c.levels.empty()) return Invalid(where + " \"levels\"", "identifiers have no levels");
      if (!c.bins.empty()) return Invalid(where + " \"bins\"", "identifiers have no bins");
      return Status::OK();
    case ColumnKind::kExcluded:
      if (c.is_public) {
        return Invalid(where + " \"public\"", "excluded columns never leave the owner; remove it");
      }
      if (!c.levels.empty()) {
        return Invalid(where + " \"levels\"",
                       "excluded columns have no levels; make it \"categorical\" to group by it");
      }
      if (!c.bins.empty()) return Invalid(where + " \"bins\"", "excluded columns have no bins");
      if (c.on_invalid == OnInvalid::kDropRow) {
        return Invalid(where + " \"on_invalid\"", "an excluded column never drops a row");
      }
      return Status::OK();
    case ColumnKind::kCategorical:
      if (c.levels.empty()) {
        return Invalid(where + " \"levels\"", "a categorical column needs its list of levels");
      }
      if (!c.bins.empty()) {
        return Invalid(where + " \"bins\"", "bins need a numeric column");
      }
      return ValidateLevels(schema, c, 0, 0);
    case ColumnKind::kDate:
      return ValidateDate(c);
    case ColumnKind::kNumeric:
      break;
  }
  if (c.computed()) CS_RETURN_IF_ERROR(ValidateComputed(schema, c));
  if (c.decimals < 0 || c.decimals > kMaxDecimals) {
    return Invalid(where + " \"decimals\"", "must be between 0 and " +
                                                std::to_string(kMaxDecimals) + ", got " +
                                                std::to_string(c.decimals));
  }
  int64_t min_fixed = 0, max_fixed = 0;
  CS_RETURN_IF_ERROR(ExactFixed(c.min, c.decimals, where + " \"min\"", &min_fixed));
  CS_RETURN_IF_ERROR(ExactFixed(c.max, c.decimals, where + " \"max\"", &max_fixed));
  if (min_fixed > max_fixed) {
    return Invalid(where + " \"min\"",
                   FormatDouble(c.min) + " is greater than \"max\" " + FormatDouble(c.max));
  }
  if (c.is_public && c.levels.empty()) {
    return Invalid(where + " \"public\"",
                   "a public column is a plaintext key and needs \"levels\"; a public "
                   "numeric-only column would be neither filterable nor aggregatable");
  }
  if (!c.bins.empty()) {
    if (c.is_public) return Invalid(where + " \"bins\"", "histograms need a private column");
    CS_RETURN_IF_ERROR(ValidateBins(c));
  }
  return ValidateLevels(schema, c, min_fixed, max_fixed);
}

}  // namespace

const char* ColumnKindName(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kIdentifier:
      return "identifier";
    case ColumnKind::kNumeric:
      return "numeric";
    case ColumnKind::kCategorical:
      return "categorical";
    case ColumnKind::kExcluded:
      return "excluded";
    case ColumnKind::kDate:
      return "date";
  }
  return "?";
}

const Column* Schema::FindColumn(const std::string& column_name) const {
  for (const Column& c : columns) {
    if (c.name == column_name) return &c;
  }
  return nullptr;
}

const Derived* Schema::FindDerived(const std::string& derived_name) const {
  for (const Derived& d : derived) {
    if (d.name == derived_name) return &d;
  }
  return nullptr;
}

bool Schema::IsNumeric(const std::string& column_name) const {
  const Column* c = FindColumn(column_name);
  if (c != nullptr) return c->numeric();
  return FindDerived(column_name) != nullptr;
}

bool Schema::HasCross(const std::string& by, const std::string& over) const {
  for (const Cross& cross : crosses) {
    if (cross.by != by) continue;
    for (const std::string& o : cross.over) {
      if (o == over) return true;
    }
  }
  return false;
}

bool BinsCoverBounds(const Column& column) {
  if (column.bins.size() < 2) return false;
  long double scale = 1;
  for (int i = 0; i < column.decimals; ++i) scale *= 10;
  // The fixed-point bounds as Layout::Build computes them (VariableCodec).
  const double dscale = static_cast<double>(scale);
  const long double lowest = static_cast<long double>(std::llround(column.min * dscale));
  const long double highest = static_cast<long double>(std::llround(column.max * dscale));
  return static_cast<long double>(column.bins.front()) * scale <= lowest &&
         static_cast<long double>(column.bins.back()) * scale > highest;
}

std::string ProductKey(const ProductSet& members) {
  std::string key;
  for (const std::string& m : members) key += (key.empty() ? "" : "*") + m;
  return key;
}

ProductSet SplitProductKey(const std::string& key) {
  ProductSet members(1);
  for (char c : key) {
    if (c == '*') {
      members.emplace_back();
    } else {
      members.back() += c;
    }
  }
  return members;
}

const ProductSet* Schema::FindProduct(const std::string& key) const {
  for (const ProductSet& p : products) {
    if (ProductKey(p) == key) return &p;
  }
  return nullptr;
}

Status ValidateSchema(const Schema& schema) {
  if (schema.name.empty()) return Invalid("\"name\"", "must not be empty");
  if (HasControlChar(schema.name)) return Invalid("\"name\"", "contains control characters");
  if (schema.max_records == 0) return Invalid("\"max_records\"", "must be at least 1");
  if (schema.columns.empty()) return Invalid("\"columns\"", "no columns");
  // Clean writes a missing value as an empty field, so readers of clean files must see "" as
  // missing.
  if (std::find(schema.missing_values.begin(), schema.missing_values.end(), "") ==
      schema.missing_values.end()) {
    return Invalid("\"missing_values\"",
                   "must include \"\" (clean writes missing values as "
                   "empty fields)");
  }
  std::set<std::string> names;
  for (const Column& c : schema.columns) {
    if (c.name.empty()) return Invalid("\"columns\"", "a column has an empty name");
    if (HasControlChar(c.name)) {
      return Invalid(ColumnWhere(c) + " \"name\"", "contains control characters");
    }
    if (!names.insert(c.name).second) {
      return Invalid(ColumnWhere(c) + " \"name\"", "declared twice");
    }
    CS_RETURN_IF_ERROR(ValidateColumn(schema, c));
  }
  for (const Derived& d : schema.derived) {
    const std::string where = "derived '" + d.name + "'";
    if (d.name.empty()) return Invalid("\"derived\"", "an indicator has an empty name");
    if (HasControlChar(d.name)) return Invalid(where + " \"name\"", "contains control characters");
    if (!names.insert(d.name).second) {
      return Invalid(where + " \"name\"", "clashes with another column or indicator");
    }
    const Column* source = schema.FindColumn(d.column);
    if (source == nullptr) {
      return Invalid(where + " \"column\"", "unknown column '" + d.column + "'");
    }
    if (!source->numeric() || source->is_public || source->date()) {
      return Invalid(where + " \"column\"", "'" + d.column + "' must be a private numeric column" +
                                                (source->date() ? ", not a date" : ""));
    }
    if (!ValidOp(d.op)) {
      return Invalid(where + " \"op\"", "'" + d.op + "' is not one of < <= > >= == !=");
    }
    if (!std::isfinite(d.value)) return Invalid(where + " \"value\"", "must be a finite number");
  }
  std::set<std::string> product_keys;
  std::set<ProductSet> sorted_products;
  for (size_t i = 0; i < schema.products.size(); ++i) {
    const ProductSet& p = schema.products[i];
    const std::string where = "products[" + std::to_string(i) + "]";
    if (p.size() < 2) return Invalid(where, "needs at least two columns");
    std::set<std::string> seen;
    for (const std::string& m : p) {
      if (!seen.insert(m).second) return Invalid(where, "'" + m + "' listed twice");
      const Column* c = schema.FindColumn(m);
      const bool ok = c != nullptr ? (c->numeric() && !c->is_public && !c->date())
                                   : schema.FindDerived(m) != nullptr;
      if (!ok) {
        return Invalid(where, "'" + m +
                                  "' is not a private numeric column (not a date) or derived "
                                  "indicator");
      }
      if (m.find('*') != std::string::npos) {
        return Invalid(where, "'" + m + "': a column in a product may not contain '*'");
      }
    }
    ProductSet sorted = p;
    std::sort(sorted.begin(), sorted.end());
    if (!product_keys.insert(ProductKey(p)).second || !sorted_products.insert(sorted).second)
      return Invalid(where, "declared twice (in any order)");
    if (names.count(ProductKey(p))) {
      return Invalid(where, "its name '" + ProductKey(p) + "' clashes with a column or indicator");
    }
  }
  std::set<std::pair<std::string, std::string>> survival_pairs;
  for (const Survival& sv : schema.survival) {
    const std::string where = "survival '" + sv.time + "'";
    const Column* time = schema.FindColumn(sv.time);
    if (time == nullptr || !time->numeric() || time->is_public || time->date()) {
      return Invalid(where + " \"time\"",
                     "'" + sv.time + "' is not a private numeric column (not a date)");
    }
    if (time->bins.size() < 2) {
      return Invalid(where + " \"time\"", "'" + sv.time +
                                              "' has no \"bins\": they are the time axis of the "
                                              "curve (unit bins of whole days give the exact one)");
    }
    // Every follow-up time must fall in a bin, or its record would never leave the risk set.
    if (!BinsCoverBounds(*time)) {
      char bounds[96];
      std::snprintf(bounds, sizeof bounds, "[%.15g, %.15g]", time->min, time->max);
      return Invalid(where + " \"time\"",
                     "the bins of '" + sv.time + "' must cover its bounds " + bounds +
                         " (the first edge at or below min, the last above max; inf is allowed)");
    }
    const Column* event = schema.FindColumn(sv.event);
    const bool zero_one = event != nullptr
                              ? event->numeric() && !event->is_public && !event->date() &&
                                    event->min == 0 && event->max == 1 && event->decimals == 0
                              : schema.FindDerived(sv.event) != nullptr;
    if (!zero_one || sv.event.find('*') != std::string::npos) {
      return Invalid(where + " \"event\"", "'" + sv.event +
                                               "' is not a private 0/1 column (min 0, max 1, 0 "
                                               "decimals) or derived indicator");
    }
    if (!survival_pairs.insert({sv.time, sv.event}).second) return Invalid(where, "declared twice");
    std::set<std::string> seen;
    for (const std::string& by : sv.by) {
      const Column* g = schema.FindColumn(by);
      if (g == nullptr || !g->groupable() || g->is_public) {
        return Invalid(where + " \"by\"", "'" + by +
                                              "' is not a private column with \"levels\" (a "
                                              "public one groups as a plaintext key)");
      }
      if (!seen.insert(by).second) return Invalid(where + " \"by\"", "'" + by + "' listed twice");
    }
  }
  std::set<std::string> cross_by;
  for (const Cross& cross : schema.crosses) {
    const std::string where = "cross by '" + cross.by + "'";
    const Column* by = schema.FindColumn(cross.by);
    if (by == nullptr) return Invalid(where + " \"by\"", "unknown column '" + cross.by + "'");
    if (!by->groupable()) {
      return Invalid(where + " \"by\"", "'" + cross.by + "' has no \"levels\" to group by");
    }
    if (by->is_public) {
      return Invalid(where + " \"by\"", "'" + cross.by +
                                            "' is public: it groups as a plaintext key and "
                                            "needs no cross");
    }
    if (!cross_by.insert(cross.by).second) {
      return Invalid(where, "declared twice; merge the \"over\" lists");
    }
    if (cross.over.empty()) return Invalid(where + " \"over\"", "is empty");
    std::set<std::string> seen;
    for (const std::string& over : cross.over) {
      if (!seen.insert(over).second) {
        return Invalid(where + " \"over\"", "'" + over + "' listed twice");
      }
      const Column* c = schema.FindColumn(over);
      const bool ok = c != nullptr
                          ? (c->numeric() && !c->is_public)
                          : schema.FindDerived(over) != nullptr || product_keys.count(over);
      if (!ok) {
        return Invalid(where + " \"over\"", "'" + over +
                                                "' is not a private numeric column, derived "
                                                "indicator or product (\"a*b\")");
      }
    }
  }
  return Status::OK();
}

// --- JSON --------------------------------------------------------------------------------

namespace {

// One line per object keeps a 30-column schema readable; nlohmann's indent would give each
// level its own line.
std::string Inline(const ordered_json& j) {
  std::string out;
  if (j.is_object()) {
    out += "{";
    bool first = true;
    for (const auto& [key, value] : j.items()) {
      if (!first) out += ", ";
      first = false;
      out += json(key).dump() + ": " + Inline(value);
    }
    return out + "}";
  }
  if (j.is_array()) {
    out += "[";
    for (size_t i = 0; i < j.size(); ++i) {
      if (i > 0) out += ", ";
      out += Inline(j[i]);
    }
    return out + "]";
  }
  return j.dump();
}

// Integral values are written without ".0" ("min": 18).
ordered_json Number(double x) {
  if (std::isfinite(x) && x == std::trunc(x) && std::fabs(x) < kExactLimit) {
    return ordered_json(static_cast<int64_t>(x));
  }
  return ordered_json(x);
}

ordered_json ColumnJson(const Column& c) {
  ordered_json j;
  j["name"] = c.name;
  j["kind"] = ColumnKindName(c.kind);
  if (!c.shipped()) {
    if (!c.unique) j["unique"] = false;
    if (c.on_invalid == OnInvalid::kDropRow) j["on_invalid"] = "drop_row";
    return j;
  }
  if (c.date()) {
    j["min"] = FormatIsoDate(static_cast<int64_t>(c.min));
    j["max"] = FormatIsoDate(static_cast<int64_t>(c.max));
  } else if (c.numeric()) {
    if (!c.year_of.empty()) j["year_of"] = c.year_of;
    if (!c.days_from.empty()) j["days_between"] = {c.days_from, c.days_to};
    j["min"] = Number(c.min);
    j["max"] = Number(c.max);
    j["decimals"] = c.decimals;
  }
  if (!c.levels.empty()) j["levels"] = c.levels;
  if (!c.bins.empty()) {
    ordered_json bins = ordered_json::array();
    for (double edge : c.bins) {
      if (std::isinf(edge)) {
        bins.push_back(edge > 0 ? "inf" : "-inf");
      } else {
        bins.push_back(Number(edge));
      }
    }
    j["bins"] = std::move(bins);
  }
  if (c.is_public) j["public"] = true;
  if (c.on_invalid == OnInvalid::kDropRow) j["on_invalid"] = "drop_row";
  if (c.censored.has_value()) j["censored"] = *c.censored == Censored::kLimit ? "limit" : "missing";
  return j;
}

void AppendArray(const std::vector<ordered_json>& items, std::string* out) {
  if (items.empty()) {
    *out += "[]";
    return;
  }
  *out += "[\n";
  for (size_t i = 0; i < items.size(); ++i) {
    *out += "    " + Inline(items[i]) + (i + 1 < items.size() ? ",\n" : "\n");
  }
  *out += "  ]";
}

// Typed access to one JSON object, with errors that say where in the schema the fault is.
class Reader {
 public:
  Reader(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Status CheckObject() const {
    if (!object_.is_object()) return Invalid(where_, "expected a JSON object");
    return Status::OK();
  }
  // Rejects keys outside `allowed`, which catches typos such as "decimal" or "on_ivalid".
  Status CheckKeys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& item : object_.items()) {
      bool known = false;
      for (std::string_view a : allowed) known = known || item.key() == a;
      if (!known) return Invalid(where_, "unknown field \"" + item.key() + "\"");
    }
    return Status::OK();
  }
  bool Has(const char* key) const { return object_.contains(key); }
  Status Missing(const char* key) const {
    return Invalid(where_, "field \"" + std::string(key) + "\" is required");
  }

  Status String(const char* key, bool required, std::string* out) const {
    if (!Has(key)) return required ? Missing(key) : Status::OK();
    const json& v = object_.at(key);
    if (!v.is_string()) return TypeError(key, "a string");
    *out = v.get<std::string>();
    return Status::OK();
  }
  // String field `key` naming one of `choices`: *out gets its value, and stays as it is when
  // the field is absent. Anything else: "field "kind" must be "a", "b" or "c", got "x"".
  template <typename T>
  Status OneOf(const char* key,
               std::initializer_list<std::pair<std::string_view, std::type_identity_t<T>>> choices,
               T* out) const {
    if (!Has(key)) return Status::OK();
    std::string value;
    CS_RETURN_IF_ERROR(String(key, true, &value));
    std::string names;
    size_t i = 0;
    for (const auto& [name, choice] : choices) {
      if (name == value) {
        *out = choice;
        return Status::OK();
      }
      names += std::string(i == 0                    ? ""
                           : i + 1 == choices.size() ? " or "
                                                     : ", ") +
               "\"" + std::string(name) + "\"";
      ++i;
    }
    return Invalid(
        where_, "field \"" + std::string(key) + "\" must be " + names + ", got \"" + value + "\"");
  }
  Status Double(const char* key, bool required, double* out) const {
    if (!Has(key)) return required ? Missing(key) : Status::OK();
    const json& v = object_.at(key);
    if (!v.is_number()) return TypeError(key, "a number");
    *out = v.get<double>();
    return Status::OK();
  }
  Status Int(const char* key, bool required, int64_t lo, int64_t hi, int64_t* out) const {
    if (!Has(key)) return required ? Missing(key) : Status::OK();
    const json& v = object_.at(key);
    if (!v.is_number_integer()) return TypeError(key, "an integer");
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) {
      return RangeError(key, lo, hi);
    }
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) return RangeError(key, lo, hi);
    *out = x;
    return Status::OK();
  }
  Status Bool(const char* key, bool* out) const {
    if (!Has(key)) return Status::OK();
    const json& v = object_.at(key);
    if (!v.is_boolean()) return TypeError(key, "true or false");
    *out = v.get<bool>();
    return Status::OK();
  }
  Status Strings(const char* key, std::vector<std::string>* out) const {
    if (!Has(key)) return Status::OK();
    const json& v = object_.at(key);
    if (!v.is_array()) return TypeError(key, "an array of strings");
    out->clear();
    for (const json& item : v) {
      if (!item.is_string()) return TypeError(key, "an array of strings");
      out->push_back(item.get<std::string>());
    }
    return Status::OK();
  }
  Status Edges(const char* key, std::vector<double>* out) const {
    if (!Has(key)) return Status::OK();
    const json& v = object_.at(key);
    const char* expected = "an array of numbers (the last may be \"inf\")";
    if (!v.is_array()) return TypeError(key, expected);
    out->clear();
    for (const json& item : v) {
      if (item.is_number()) {
        out->push_back(item.get<double>());
      } else if (item.is_string() && (item == "inf" || item == "+inf")) {
        out->push_back(INFINITY);
      } else if (item.is_string() && item == "-inf") {
        out->push_back(-INFINITY);
      } else {
        return TypeError(key, expected);
      }
    }
    return Status::OK();
  }
  const json& at(const char* key) const { return object_.at(key); }
  const std::string& where() const { return where_; }

 private:
  Status TypeError(const char* key, const char* expected) const {
    return Invalid(where_, "field \"" + std::string(key) + "\" must be " + expected);
  }
  Status RangeError(const char* key, int64_t lo, int64_t hi) const {
    return Invalid(where_, "field \"" + std::string(key) + "\" must be between " +
                               std::to_string(lo) + " and " + std::to_string(hi));
  }
  const json& object_;
  std::string where_;
};

Status ParseColumn(const json& j, size_t index, Column* c) {
  Reader r(j, "columns[" + std::to_string(index) + "]");
  CS_RETURN_IF_ERROR(r.CheckObject());
  CS_RETURN_IF_ERROR(r.String("name", true, &c->name));
  // From here on, errors name the column rather than its position.
  Reader col(j, "column '" + c->name + "'");
  CS_RETURN_IF_ERROR(
      col.CheckKeys({"name", "kind", "min", "max", "decimals", "levels", "bins", "public", "unique",
                     "on_invalid", "censored", "year_of", "days_between"}));
  if (!col.Has("kind")) return col.Missing("kind");
  CS_RETURN_IF_ERROR(col.OneOf("kind",
                               {{"identifier", ColumnKind::kIdentifier},
                                {"numeric", ColumnKind::kNumeric},
                                {"categorical", ColumnKind::kCategorical},
                                {"excluded", ColumnKind::kExcluded},
                                {"date", ColumnKind::kDate}},
                               &c->kind));
  const bool numeric = c->kind == ColumnKind::kNumeric;
  if (!numeric) {
    for (const char* key : {"year_of", "days_between"}) {
      if (col.Has(key)) {
        return Invalid(col.where(),
                       "field \"" + std::string(key) + "\" applies to numeric columns only");
      }
    }
  }
  if (c->kind == ColumnKind::kDate) {
    if (col.Has("decimals")) return Invalid(col.where(), "field \"decimals\": a date has none");
    for (const auto& [key, bound] :
         {std::pair<const char*, double*>{"min", &c->min}, {"max", &c->max}}) {
      std::string text;
      CS_RETURN_IF_ERROR(col.String(key, true, &text));
      int64_t day = 0;
      if (!ParseIsoDate(text, &day)) {
        return Invalid(col.where(), "field \"" + std::string(key) + "\" must be a date written " +
                                        "YYYY-MM-DD, got \"" + text + "\"");
      }
      *bound = static_cast<double>(day);
    }
  } else if (!numeric) {
    for (const char* key : {"min", "max", "decimals"}) {
      if (col.Has(key)) {
        return Invalid(col.where(), "field \"" + std::string(key) +
                                        "\" applies to numeric "
                                        "columns only");
      }
    }
  }
  if (numeric) {
    CS_RETURN_IF_ERROR(col.Double("min", true, &c->min));
    CS_RETURN_IF_ERROR(col.Double("max", true, &c->max));
    CS_RETURN_IF_ERROR(col.String("year_of", false, &c->year_of));
    std::vector<std::string> between;
    CS_RETURN_IF_ERROR(col.Strings("days_between", &between));
    if (col.Has("days_between")) {
      if (between.size() != 2) {
        return Invalid(col.where(),
                       "field \"days_between\" must name two date columns, "
                       "[FROM, TO]");
      }
      c->days_from = between[0];
      c->days_to = between[1];
    }
    if (col.Has("year_of") && c->year_of.empty()) {
      return Invalid(col.where(), "field \"year_of\" must name a date column");
    }
  }
  int64_t decimals = 0;
  CS_RETURN_IF_ERROR(col.Int("decimals", false, 0, kMaxDecimals, &decimals));
  c->decimals = static_cast<int>(decimals);
  CS_RETURN_IF_ERROR(col.Strings("levels", &c->levels));
  CS_RETURN_IF_ERROR(col.Edges("bins", &c->bins));
  CS_RETURN_IF_ERROR(col.Bool("public", &c->is_public));
  CS_RETURN_IF_ERROR(col.Bool("unique", &c->unique));
  c->on_invalid = OnInvalid::kMissing;
  CS_RETURN_IF_ERROR(
      col.OneOf("on_invalid", {{"missing", OnInvalid::kMissing}, {"drop_row", OnInvalid::kDropRow}},
                &c->on_invalid));
  if (col.Has("censored")) {
    Censored censored = Censored::kLimit;
    CS_RETURN_IF_ERROR(col.OneOf(
        "censored", {{"limit", Censored::kLimit}, {"missing", Censored::kMissing}}, &censored));
    c->censored = censored;
  }
  return Status::OK();
}

Status ParseDerived(const json& j, size_t index, Derived* d) {
  Reader r(j, "derived[" + std::to_string(index) + "]");
  CS_RETURN_IF_ERROR(r.CheckObject());
  CS_RETURN_IF_ERROR(r.String("name", true, &d->name));
  Reader named(j, "derived '" + d->name + "'");
  CS_RETURN_IF_ERROR(named.CheckKeys({"name", "column", "op", "value"}));
  CS_RETURN_IF_ERROR(named.String("column", true, &d->column));
  CS_RETURN_IF_ERROR(named.String("op", true, &d->op));
  return named.Double("value", true, &d->value);
}

Status ParseCross(const json& j, size_t index, Cross* cross) {
  Reader r(j, "crosses[" + std::to_string(index) + "]");
  CS_RETURN_IF_ERROR(r.CheckObject());
  CS_RETURN_IF_ERROR(r.String("by", true, &cross->by));
  Reader named(j, "cross by '" + cross->by + "'");
  CS_RETURN_IF_ERROR(named.CheckKeys({"by", "over"}));
  if (!named.Has("over")) return named.Missing("over");
  return named.Strings("over", &cross->over);
}

Status ParseSurvival(const json& j, size_t index, Survival* sv) {
  Reader r(j, "survival[" + std::to_string(index) + "]");
  CS_RETURN_IF_ERROR(r.CheckObject());
  CS_RETURN_IF_ERROR(r.CheckKeys({"time", "event", "by"}));
  CS_RETURN_IF_ERROR(r.String("time", true, &sv->time));
  CS_RETURN_IF_ERROR(r.String("event", true, &sv->event));
  return r.Strings("by", &sv->by);
}

Status ParseArray(const Reader& top, const char* key, bool required,
                  const std::function<Status(const json&, size_t)>& parse) {
  if (!top.Has(key)) return required ? top.Missing(key) : Status::OK();
  const json& array = top.at(key);
  if (!array.is_array()) return Invalid("field \"" + std::string(key) + "\"", "must be an array");
  for (size_t i = 0; i < array.size(); ++i) CS_RETURN_IF_ERROR(parse(array[i], i));
  return Status::OK();
}

Result<Schema> ParseSchema(const json& doc) {
  Schema schema;
  Reader top(doc, "top level");
  CS_RETURN_IF_ERROR(top.CheckObject());
  std::string format;
  CS_RETURN_IF_ERROR(top.String("format", true, &format));
  if (format != kFormat) {
    return Invalid("field \"format\"",
                   "expected \"" + std::string(kFormat) + "\", got \"" + format + "\"");
  }
  int64_t version = 0;
  CS_RETURN_IF_ERROR(top.Int("version", true, 0, INT32_MAX, &version));
  if (version != kVersion) {
    return Invalid("field \"version\"", "version " + std::to_string(version) +
                                            " is not supported (this build reads version " +
                                            std::to_string(kVersion) + ")");
  }
  CS_RETURN_IF_ERROR(
      top.CheckKeys({"format", "version", "name", "max_records", "columns", "derived", "crosses",
                     "products", "survival", "missing_values"}));
  CS_RETURN_IF_ERROR(top.String("name", false, &schema.name));
  int64_t max_records = static_cast<int64_t>(schema.max_records);
  CS_RETURN_IF_ERROR(top.Int("max_records", false, 1, INT64_MAX, &max_records));
  schema.max_records = static_cast<uint64_t>(max_records);
  CS_RETURN_IF_ERROR(ParseArray(top, "columns", true, [&](const json& j, size_t i) {
    schema.columns.emplace_back();
    return ParseColumn(j, i, &schema.columns.back());
  }));
  CS_RETURN_IF_ERROR(ParseArray(top, "derived", false, [&](const json& j, size_t i) {
    schema.derived.emplace_back();
    return ParseDerived(j, i, &schema.derived.back());
  }));
  CS_RETURN_IF_ERROR(ParseArray(top, "crosses", false, [&](const json& j, size_t i) {
    schema.crosses.emplace_back();
    return ParseCross(j, i, &schema.crosses.back());
  }));
  CS_RETURN_IF_ERROR(ParseArray(top, "products", false, [&](const json& j, size_t i) {
    if (!j.is_array() || j.empty() ||
        !std::all_of(j.begin(), j.end(), [](const json& m) { return m.is_string(); })) {
      return Invalid("products[" + std::to_string(i) + "]", "must be an array of column names");
    }
    schema.products.push_back(j.get<ProductSet>());
    return Status::OK();
  }));
  CS_RETURN_IF_ERROR(ParseArray(top, "survival", false, [&](const json& j, size_t i) {
    schema.survival.emplace_back();
    return ParseSurvival(j, i, &schema.survival.back());
  }));
  CS_RETURN_IF_ERROR(top.Strings("missing_values", &schema.missing_values));
  CS_RETURN_IF_ERROR(ValidateSchema(schema));
  return schema;
}

}  // namespace

std::string SchemaToJson(const Schema& schema) {
  std::string out = "{\n";
  out += "  \"format\": " + json(kFormat).dump() + ",\n";
  out += "  \"version\": " + std::to_string(kVersion) + ",\n";
  out += "  \"name\": " + json(schema.name).dump() + ",\n";
  out += "  \"max_records\": " + std::to_string(schema.max_records) + ",\n";
  std::vector<ordered_json> items;
  for (const Column& c : schema.columns) items.push_back(ColumnJson(c));
  out += "  \"columns\": ";
  AppendArray(items, &out);
  items.clear();
  for (const Derived& d : schema.derived) {
    ordered_json j;
    j["name"] = d.name;
    j["column"] = d.column;
    j["op"] = d.op;
    j["value"] = Number(d.value);
    items.push_back(std::move(j));
  }
  out += ",\n  \"derived\": ";
  AppendArray(items, &out);
  items.clear();
  for (const Cross& cross : schema.crosses) {
    ordered_json j;
    j["by"] = cross.by;
    j["over"] = cross.over;
    items.push_back(std::move(j));
  }
  out += ",\n  \"crosses\": ";
  AppendArray(items, &out);
  if (!schema.products.empty()) {
    items.clear();
    for (const ProductSet& p : schema.products) items.push_back(ordered_json(p));
    out += ",\n  \"products\": ";
    AppendArray(items, &out);
  }
  if (!schema.survival.empty()) {
    items.clear();
    for (const Survival& sv : schema.survival) {
      ordered_json j;
      j["time"] = sv.time;
      j["event"] = sv.event;
      if (!sv.by.empty()) j["by"] = sv.by;
      items.push_back(std::move(j));
    }
    out += ",\n  \"survival\": ";
    AppendArray(items, &out);
  }
  out += ",\n  \"missing_values\": " + Inline(ordered_json(schema.missing_values)) + "\n}\n";
  return out;
}

Result<Schema> SchemaFromJson(const std::string& text) {
  // Exceptions stop here: callers see a Status naming the fault, never a throw.
  try {
    json doc = json::parse(text);
    return ParseSchema(doc);
  } catch (const json::exception& e) {
    return Status::InvalidArgument("schema: " + JsonErrorText(e));
  }
}

Result<Schema> ReadSchemaFile(const std::string& path) {
  Result<std::string> text = ReadFile(path, size_t{16} << 20);
  if (!text.ok()) return text.status();
  Result<Schema> schema = SchemaFromJson(*text);
  if (!schema.ok()) return schema.status().WithContext(path);
  return schema;
}

}  // namespace cipherstat
