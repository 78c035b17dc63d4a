#include "query/aggregates.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "encoding/date.h"
#include "query/sql.h"

namespace cipherstat {

using crypto::BigInt;

Cell RowSums::Release(const BigInt& support, Cell value) const {
  supports_->push_back(support);
  return value;
}

namespace {

Status Unanswerable(const std::string& why) { return Status::InvalidArgument("query: " + why); }

Status Need(const ItemContext& item, SlotKind kind, const std::string& by, int level, int bin,
            std::set<int>* slots) {
  const int s = item.layout.Find(kind, item.column, by, level, bin);
  if (s < 0) return Status::NotFound(item.column);
  slots->insert(s);
  return Status::OK();
}

Cell IntegerCell(const BigInt& v) {
  if (std::optional<long> fits = v.ToLong()) return Cell::Integer(*fits);
  return Cell::Real(v.ToDouble());
}

// ---------------------------------------------------------------------------------------------
// Slots

Status NoSlots(const ItemContext&, std::set<int>*) { return Status::OK(); }

Status NoEncryptedForm(const ItemContext& item, std::set<int>*) {
  return Unanswerable(AggregateName(item.aggregate) +
                      "() cannot be computed from encrypted sums; HISTOGRAM(" + item.column +
                      ") over declared \"bins\" shows the distribution instead");
}

// A slot the item needs when the layout has it: observed(X) is left out for an X that can
// never be missing, sumsq(X) for a 0/1 X (encoding/layout.h).
void NeedIfPresent(const ItemContext& item, SlotKind kind, const std::string& by, int level,
                   std::set<int>* slots) {
  const int s = item.layout.Find(kind, item.column, by, level, -1);
  if (s >= 0) slots->insert(s);
}

// A private numeric column or a derived indicator: it has sum slots.
bool IsVariable(const Catalog& catalog, const std::string& name) {
  const CatalogColumn* c = catalog.FindColumn(name);
  return c != nullptr ? c->numeric() && !c->is_public : catalog.IsDerived(name);
}

Status BinSlots(const ItemContext& item, std::set<int>* slots) {
  const std::string& x = item.column;
  const CatalogColumn* c = item.catalog.FindColumn(x);
  if (c == nullptr || !c->numeric() || c->is_public || c->bins == 0) {
    return Unanswerable("HISTOGRAM(" + x + ") needs \"bins\" declared on private numeric column '" +
                        x + "' in the schema");
  }
  if (!item.private_group.empty()) {
    return Unanswerable("HISTOGRAM(" + x + ") cannot be grouped by private column '" +
                        item.private_group + "'; group by a public column instead");
  }
  for (int b = 0; b < c->bins; ++b)
    CS_RETURN_IF_ERROR(Need(item, SlotKind::kBin, "", -1, b, slots));
  return Status::OK();
}

// PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x) reads the bins of x, as HISTOGRAM(x) does.
Status PercentileSlots(const ItemContext& item, std::set<int>* slots) {
  const std::string& x = item.column;
  const CatalogColumn* c = item.catalog.FindColumn(x);
  const std::string call = "PERCENTILE_CONT(...) WITHIN GROUP (ORDER BY " + x + ")";
  if (c == nullptr) return Unanswerable(call + ": unknown column '" + x + "'");
  if (c->is_public || !c->numeric()) {
    return Unanswerable(call + ": '" + x + "' is not a private numeric column");
  }
  if (c->bins == 0) {
    return Unanswerable(call + " is interpolated within the histogram bins of '" + x +
                        "', which has none: add \"bins\" to column " + x +
                        " in the schema (unit bins [k, k+1) of an integer column give the exact "
                        "value) and re-encrypt");
  }
  if (!item.private_group.empty()) {
    return Unanswerable(call + " cannot be grouped by private column '" + item.private_group +
                        "' (the bins of " + x +
                        " are not crossed by it); group by a public "
                        "column instead");
  }
  for (int b = 0; b < c->bins; ++b)
    CS_RETURN_IF_ERROR(Need(item, SlotKind::kBin, "", -1, b, slots));
  return Status::OK();
}

// Observed count, sum and sum of squares of a numeric variable, per level of the private group
// and in total (the NULL group's values are the total minus the levels').
Status MomentSlots(const ItemContext& item, std::set<int>* slots) {
  const std::string& x = item.column;
  const std::string& group = item.private_group;
  if (!IsVariable(item.catalog, x)) {
    const CatalogColumn* c = item.catalog.FindColumn(x);
    if (c == nullptr) return Unanswerable("unknown column '" + x + "'");
    const std::string call = AggregateName(item.aggregate) + "(" + x + "): '" + x + "' ";
    if (c->is_public) {
      return Unanswerable(call + "is a public column; aggregates run over private numeric columns");
    }
    return Unanswerable(call + "is not numeric in the schema");
  }
  auto need_moments = [&](const std::string& by, int level) -> Status {
    NeedIfPresent(item, SlotKind::kObserved, by, level, slots);
    CS_RETURN_IF_ERROR(Need(item, SlotKind::kSum, by, level, -1, slots));
    NeedIfPresent(item, SlotKind::kSumSquares, by, level, slots);
    return Status::OK();
  };
  if (group.empty()) return need_moments("", -1);
  if (!item.catalog.HasCross(group, x)) {
    return Unanswerable("GROUP BY " + group + " over " + x + ": add {\"by\": \"" + group +
                        "\", \"over\": [\"" + x +
                        "\"]} to the schema's \"crosses\" (`schema --cross " + group +
                        "` writes one over every numeric column) and re-encrypt");
  }
  const int levels = item.catalog.FindColumn(group)->levels;
  for (int l = 0; l < levels; ++l) CS_RETURN_IF_ERROR(need_moments(group, l));
  return need_moments("", -1);
}

// CHISQ(y) reads the GROUP BY's joint counts with y: the levels of a private categorical y per
// public group, or the observed count and sum of a 0/1 y (per level of a private GROUP BY
// column through a declared cross).
bool ChisqUsesLevels(const Catalog& catalog, const std::string& y, const std::string& group) {
  const CatalogColumn* c = catalog.FindColumn(y);
  return c != nullptr && !c->is_public && c->levels > 0 && group.empty();
}

Status ChisqSlots(const ItemContext& item, std::set<int>* slots) {
  const std::string& y = item.column;
  const CatalogColumn* c = item.catalog.FindColumn(y);
  if (y == item.private_group) {
    return Unanswerable("CHISQ(" + y + ") GROUP BY " + y + ": a column against itself");
  }
  if (ChisqUsesLevels(item.catalog, y, item.private_group)) {
    for (int l = 0; l < c->levels; ++l)
      CS_RETURN_IF_ERROR(Need(item, SlotKind::kLevel, "", l, -1, slots));
    return Status::OK();
  }
  if (IsVariable(item.catalog, y)) return MomentSlots(item, slots);
  if (c != nullptr && c->is_public) {
    return Unanswerable("CHISQ(" + y + "): '" + y +
                        "' is public; CHISQ needs a private categorical column with \"levels\" "
                        "or a 0/1 column");
  }
  if (c != nullptr && c->levels > 0) {
    return Unanswerable("CHISQ(" + y + ") GROUP BY " + item.private_group + ": both are private; " +
                        "make '" + item.private_group +
                        "' public, or test a 0/1 column crossed by it");
  }
  return Unanswerable("CHISQ(" + y +
                      ") needs a private categorical column with \"levels\" or "
                      "a 0/1 column");
}

// CORR(y, x) and the like, and LINREG(y, x1, ..., xk), read a product set's slots: the set
// whose complete cases are exactly the records with y and every x present — one listing those
// columns, or more whose other members can never be missing (they have no observed slot).
std::vector<std::string> ModelColumns(const ItemContext& item) {
  std::vector<std::string> columns = {item.column};
  columns.insert(columns.end(), item.regressors.begin(), item.regressors.end());
  return columns;
}

std::string ModelCall(const ItemContext& item) {
  std::string call = AggregateName(item.aggregate) + "(";
  for (const std::string& c : ModelColumns(item)) call += (call.back() == '(' ? "" : ", ") + c;
  return call + ")";
}

Result<const ProductSet*> ModelProducts(const ItemContext& item) {
  const std::vector<std::string> columns = ModelColumns(item);
  const std::string call = ModelCall(item);
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!IsVariable(item.catalog, columns[i])) {
      return Unanswerable(call + ": '" + columns[i] +
                          "' is not a private numeric column or derived indicator");
    }
    for (size_t j = 0; j < i; ++j) {
      if (columns[i] == columns[j]) return Unanswerable(call + ": '" + columns[i] + "' twice");
    }
  }
  const ProductSet *found = nullptr, *uncrossed = nullptr;
  for (const ProductSet& set : item.catalog.products) {
    bool covers = true, same_cases = true;
    for (const std::string& c : columns)
      covers = covers && std::find(set.begin(), set.end(), c) != set.end();
    for (const std::string& m : set) {
      if (std::find(columns.begin(), columns.end(), m) == columns.end())
        same_cases = same_cases && item.layout.Find(SlotKind::kObserved, m) < 0;
    }
    if (!covers || !same_cases) continue;
    // Under a private GROUP BY, only a set crossed by it answers; else the smallest.
    if (!item.private_group.empty() && !item.catalog.HasCross(item.private_group, ProductKey(set)))
      uncrossed = &set;
    else if (found == nullptr || set.size() < found->size())
      found = &set;
  }
  if (found == nullptr) found = uncrossed;
  if (found == nullptr) {
    std::string listed;
    for (const std::string& c : columns) listed += (listed.empty() ? "\"" : ", \"") + c + "\"";
    return Unanswerable(call + " needs the encrypted cross products of its columns: add [" +
                        listed + "] to the schema's \"products\" and re-encrypt");
  }
  if (!item.private_group.empty() &&
      !item.catalog.HasCross(item.private_group, ProductKey(*found))) {
    return Unanswerable("GROUP BY " + item.private_group + " over " + call + ": add {\"by\": \"" +
                        item.private_group + "\", \"over\": [\"" + ProductKey(*found) +
                        "\"]} to the schema's \"crosses\" and re-encrypt");
  }
  return found;
}

// The product slot of two members of `set`, named in the set's order.
std::string PairName(const ProductSet& set, const std::string& a, const std::string& b) {
  const bool a_first = std::find(set.begin(), set.end(), a) < std::find(set.begin(), set.end(), b);
  return a_first ? ProductKey({a, b}) : ProductKey({b, a});
}

Status ModelSlots(const ItemContext& item, std::set<int>* slots) {
  CS_ASSIGN_OR_RETURN(const ProductSet* set, ModelProducts(item));
  const std::string cases = ProductKey(*set);
  const std::vector<std::string> columns = ModelColumns(item);
  auto need = [&](SlotKind kind, const std::string& variable, const std::string& by, int level,
                  bool required) -> Status {
    const int s = item.layout.Find(kind, variable, by, level, -1, cases);
    if (s < 0 && required) return Status::NotFound(variable.empty() ? cases : variable);
    if (s >= 0) slots->insert(s);
    return Status::OK();
  };
  auto need_all = [&](const std::string& by, int level) -> Status {
    CS_RETURN_IF_ERROR(need(SlotKind::kCount, "", by, level, true));
    for (size_t i = 0; i < columns.size(); ++i) {
      CS_RETURN_IF_ERROR(need(SlotKind::kSum, columns[i], by, level, true));
      CS_RETURN_IF_ERROR(need(SlotKind::kSumSquares, columns[i], by, level, false));
      for (size_t j = 0; j < i; ++j) {
        CS_RETURN_IF_ERROR(
            need(SlotKind::kProduct, PairName(*set, columns[j], columns[i]), by, level, true));
      }
    }
    return Status::OK();
  };
  if (!item.private_group.empty()) {
    const int levels = item.catalog.FindColumn(item.private_group)->levels;
    for (int l = 0; l < levels; ++l) CS_RETURN_IF_ERROR(need_all(item.private_group, l));
  }
  return need_all("", -1);
}

// KAPLAN_MEIER(time, event), AT_RISK, EVENTS and LOGRANK read a declared survival pair's
// exits and events per bin of time, per level of the private GROUP BY column when the pair
// lists it in "by".
Status SurvivalSlots(const ItemContext& item, std::set<int>* slots) {
  const std::string& time = item.column;
  const std::string& event = item.regressors.front();
  const std::string call = ModelCall(item);
  const Survival* sv = item.catalog.FindSurvival(time, event);
  if (sv == nullptr) {
    return Unanswerable(call + " needs the encrypted exits and events per bin of " + time +
                        ": add {\"time\": \"" + time + "\", \"event\": \"" + event +
                        "\"} to the schema's \"survival\" (" + time + " with \"bins\", " + event +
                        " a 0/1 column) and re-encrypt");
  }
  const std::string& group = item.private_group;
  if (!group.empty() && std::find(sv->by.begin(), sv->by.end(), group) == sv->by.end()) {
    return Unanswerable("GROUP BY " + group + " over " + call + ": add \"" + group +
                        "\" to the \"by\" of the schema's survival entry for " + time +
                        " and re-encrypt");
  }
  const int bins = item.catalog.FindColumn(time)->bins;
  auto need = [&](const std::string& by, int level) -> Status {
    for (int b = 0; b < bins; ++b) {
      for (SlotKind kind : {SlotKind::kBin, SlotKind::kEvent}) {
        const int s = item.layout.Find(kind, time, by, level, b, event);
        if (s < 0) return Status::NotFound(time);
        slots->insert(s);
      }
    }
    return Status::OK();
  };
  if (!group.empty()) {
    const int levels = item.catalog.FindColumn(group)->levels;
    for (int l = 0; l < levels; ++l) CS_RETURN_IF_ERROR(need(group, l));
  }
  return need("", -1);
}

// COUNT of a private categorical column (no numeric encoding) reads its level slots.
bool CountsLevels(const ItemContext& item) {
  if (IsVariable(item.catalog, item.column)) return false;
  const CatalogColumn* c = item.catalog.FindColumn(item.column);
  return c != nullptr && c->levels > 0 && !c->is_public &&
         (item.private_group.empty() || item.private_group == item.column);
}

Status CountSlots(const ItemContext& item, std::set<int>* slots) {
  if (!CountsLevels(item)) return MomentSlots(item, slots);
  const int levels = item.catalog.FindColumn(item.column)->levels;
  for (int l = 0; l < levels; ++l)
    CS_RETURN_IF_ERROR(Need(item, SlotKind::kLevel, "", l, -1, slots));
  return Status::OK();
}

// ---------------------------------------------------------------------------------------------
// Decoders. Sums are over the offset fixed-point encoding y = x·10^d − min_fixed (layout.h).
//
// With differential privacy (query/decode.h) the sums are noisy: each cell carries its noise
// (CellNoise), and values no records could give are clamped (post-processing, never reached
// by exact sums, which DecodeSums has checked).

BigInt AtLeastZero(BigInt v) { return v.sign() < 0 ? BigInt() : v; }

CellNoise Approximate(double sd) { return {sd, 1.96 * sd, true}; }

// The noise of a cell that is one noisy value divided by `unit` (10^d for a sum in the
// column's units): exact when it is one slot's draw, else propagated.
std::optional<CellNoise> NoiseOf(const std::optional<SumNoise>& noise, double unit = 1) {
  if (!noise) return std::nullopt;
  if (!noise->single) return Approximate(std::sqrt(noise->variance) / unit);
  return CellNoise{noise->single->scale().ToDouble() / unit,
                   static_cast<double>(noise->single->HalfWidth95()) / unit, false};
}

Cell WithNoise(Cell cell, std::optional<CellNoise> noise) {
  if (cell.kind != Cell::Kind::kNull) cell.noise = noise;
  return cell;
}

struct Moments {
  BigInt n, sum, sumsq;  // Σ1, Σy, Σy² over the row's records where x is present
  // With differential privacy, the noise in each (for a 0/1 x, sumsq is sum: the same draw).
  std::optional<SumNoise> n_noise, sum_noise, sumsq_noise;
};

Moments RowMoments(const ItemContext& item, const RowSums& row, const VariableCodec& v) {
  Moments m;
  m.n = v.can_be_missing ? row.ForRow(SlotKind::kObserved, item.column) : row.records();
  m.sum = row.ForRow(SlotKind::kSum, item.column);
  // A 0/1 encoding has y² = y, so the layout keeps no squares for it.
  m.sumsq = v.range > 1 ? row.ForRow(SlotKind::kSumSquares, item.column) : m.sum;
  m.n_noise =
      v.can_be_missing ? row.ForRowNoise(SlotKind::kObserved, item.column) : row.RecordsNoise();
  if (!m.n_noise) return m;
  m.sum_noise = row.ForRowNoise(SlotKind::kSum, item.column);
  if (v.range > 1) m.sumsq_noise = row.ForRowNoise(SlotKind::kSumSquares, item.column);
  // Post-processing: 0 <= n, 0 <= Σy <= n·R, 0 <= Σy² <= R·Σy.
  const BigInt range(v.range);
  m.n = AtLeastZero(std::move(m.n));
  m.sum = std::min(AtLeastZero(std::move(m.sum)), m.n * range);
  m.sumsq = v.range > 1 ? std::min(AtLeastZero(std::move(m.sumsq)), range * m.sum) : m.sum;
  return m;
}

using MomentFormula = Cell (*)(const Moments& m, const VariableCodec& v);

// One cell from the moments, resting on the records that have x.
template <MomentFormula formula>
std::vector<Cell> DecodeMoments(const ItemContext& item, const RowSums& row) {
  const VariableCodec& v = *item.layout.FindVariable(item.column);
  const Moments m = RowMoments(item, row, v);
  return {row.Release(m.n, formula(m, v))};
}

double NoiseVariance(const std::optional<SumNoise>& noise) { return noise ? noise->variance : 0; }

Cell Count(const Moments& m, const VariableCodec&) {
  return WithNoise(IntegerCell(m.n), NoiseOf(m.n_noise));
}

double Unit(const VariableCodec& v) { return std::pow(10.0, v.decimals); }

// Σx·10^d = Σy + n·min_fixed
BigInt ScaledSum(const Moments& m, const VariableCodec& v) {
  return m.sum + m.n * BigInt::FromLong(v.min_fixed);
}

// The noise of Σx = (Σy + n·min_fixed)/10^d: Σy's alone when min_fixed is 0.
std::optional<CellNoise> SumNoiseOf(const Moments& m, const VariableCodec& v) {
  if (!m.n_noise) return std::nullopt;
  if (v.min_fixed == 0) return NoiseOf(m.sum_noise, Unit(v));
  const double min = static_cast<double>(v.min_fixed);
  return Approximate(std::sqrt(NoiseVariance(m.sum_noise) + min * min * NoiseVariance(m.n_noise)) /
                     Unit(v));
}

Cell Sum(const Moments& m, const VariableCodec& v) {
  if (m.n == 0) return Cell::Null();
  if (v.decimals == 0) return WithNoise(IntegerCell(ScaledSum(m, v)), SumNoiseOf(m, v));
  return WithNoise(Cell::Real(NearestDouble(ScaledSum(m, v), BigInt::Power(10, v.decimals))),
                   SumNoiseOf(m, v));
}

// The noise of the mean min + Σy/(n·10^d), to first order: ∂/∂Σy = 1/n, ∂/∂n = −Σy/n².
std::optional<CellNoise> MeanNoise(const Moments& m, const VariableCodec& v) {
  if (!m.n_noise) return std::nullopt;
  const double n = m.n.ToDouble(), sum = m.sum.ToDouble();
  const double variance =
      NoiseVariance(m.sum_noise) / (n * n) + sum * sum * NoiseVariance(m.n_noise) / (n * n * n * n);
  return Approximate(std::sqrt(variance) / Unit(v));
}

// A date column's mean is a date: the day nearest the mean day number, the later one at a tie.
// (The double is within 1e-9 of the exact mean, which is at least 1/(2n) from any other tie.)
Cell Mean(const Moments& m, const VariableCodec& v) {
  if (m.n == 0) return Cell::Null();
  const double mean = NearestDouble(ScaledSum(m, v), BigInt::Power(10, v.decimals) * m.n);
  if (v.date) {
    return WithNoise(Cell::Text(FormatIsoDate(static_cast<int64_t>(std::floor(mean + 0.5)))),
                     MeanNoise(m, v));
  }
  return WithNoise(Cell::Real(mean), MeanNoise(m, v));
}

// (n·Σy² − (Σy)²) / (n·(n − 1)) for the sample variance, / n² for the population's, in units
// of x² (÷ 10^2d). Exact up to the one rounding: the offset cancels out of the numerator.
// (A noisy numerator below 0 gives 0.)
std::optional<double> Variance(const Moments& m, const VariableCodec& v, bool sample) {
  if (m.n == 0 || (sample && m.n < 2)) return std::nullopt;
  const BigInt degrees_of_freedom = sample ? m.n - BigInt(1) : m.n;
  const BigInt scale = BigInt::Power(10, 2 * static_cast<unsigned long>(v.decimals));
  return NearestDouble(AtLeastZero(m.n * m.sumsq - m.sum * m.sum),
                       m.n * degrees_of_freedom * scale);
}

// The standard deviation of the variance's noise, to first order in the noise of n, Σy and
// Σy² (independent draws; for a 0/1 x, Σy² is Σy): f = (nQ − S²)/D with D = n·(n−1) or n².
std::optional<double> VarianceNoiseSd(const Moments& m, const VariableCodec& v, bool sample) {
  const double n = m.n.ToDouble(), s = m.sum.ToDouble(), q = m.sumsq.ToDouble();
  const double numerator = std::max(0.0, n * q - s * s);
  const double d = sample ? n * (n - 1) : n * n;
  const double d_dn = sample ? 2 * n - 1 : 2 * n;
  const double g_q = n / d, g_n = (q * d - numerator * d_dn) / (d * d);
  double g_s = -2 * s / d;
  if (v.range <= 1) g_s += g_q;  // Q is S
  const double g_q_own = v.range > 1 ? g_q : 0;
  const double variance = g_q_own * g_q_own * NoiseVariance(m.sumsq_noise) +
                          g_s * g_s * NoiseVariance(m.sum_noise) +
                          g_n * g_n * NoiseVariance(m.n_noise);
  return std::sqrt(variance) / std::pow(10.0, 2 * v.decimals);
}

template <bool sample>
Cell VarianceCell(const Moments& m, const VariableCodec& v) {
  const std::optional<double> variance = Variance(m, v, sample);
  if (!variance) return Cell::Null();
  if (!m.n_noise) return Cell::Real(*variance);
  return WithNoise(Cell::Real(*variance), Approximate(*VarianceNoiseSd(m, v, sample)));
}

// An SD's noise from its variance's: sd(√V) ≈ sd(V)/(2√V); √sd(V) when the SD is 0.
template <bool sample>
Cell StddevCell(const Moments& m, const VariableCodec& v) {
  const std::optional<double> variance = Variance(m, v, sample);
  if (!variance) return Cell::Null();
  const double sd = std::sqrt(*variance);
  if (!m.n_noise) return Cell::Real(sd);
  const double variance_sd = *VarianceNoiseSd(m, v, sample);
  return WithNoise(Cell::Real(sd),
                   Approximate(sd > 0 ? variance_sd / (2 * sd) : std::sqrt(variance_sd)));
}

// The two-sided interval's quantiles at `level`: t_{df, (1+level)/2} and z_{(1+level)/2}.
double TQuantile(double degrees_of_freedom, double level) {
  return boost::math::quantile(
      boost::math::complement(boost::math::students_t(degrees_of_freedom), (1 - level) / 2));
}
double ZQuantile(double level) {
  return boost::math::quantile(boost::math::complement(boost::math::normal(), (1 - level) / 2));
}

// mean ± t_{n−1, (1+level)/2}·s/√n (R: t.test(x, conf.level = level)$conf.int); NULL for fewer
// than two values.
std::vector<Cell> DecodeAvgCi(const ItemContext& item, const RowSums& row) {
  const VariableCodec& v = *item.layout.FindVariable(item.column);
  const Moments m = RowMoments(item, row, v);
  const std::optional<double> variance = Variance(m, v, true);
  if (!variance) return {row.Release(m.n, Cell::Null()), row.Release(m.n, Cell::Null())};
  const double n = m.n.ToDouble();
  const double mean = NearestDouble(ScaledSum(m, v), BigInt::Power(10, v.decimals) * m.n);
  const double half = TQuantile(n - 1, item.level) * std::sqrt(*variance / n);
  return {row.Release(m.n, Cell::Real(mean - half)), row.Release(m.n, Cell::Real(mean + half))};
}

// The Wilson score interval of the proportion p = Σx/n of a 0/1 column (R:
// prop.test(Σx, n, conf.level = level, correct = FALSE)$conf.int): (p + z²/2n ± z·√(p(1−p)/n +
// z²/4n²)) / (1 + z²/n). DecodeSums has checked that the column is 0/1; NULL over no values.
std::vector<Cell> DecodeProportionCi(const ItemContext& item, const RowSums& row) {
  const VariableCodec& v = *item.layout.FindVariable(item.column);
  const Moments m = RowMoments(item, row, v);
  if (m.n == 0) return {row.Release(m.n, Cell::Null()), row.Release(m.n, Cell::Null())};
  const double n = m.n.ToDouble(), p = NearestDouble(m.sum, m.n), z = ZQuantile(item.level);
  const double denominator = 1 + z * z / n;
  const double center = (p + z * z / (2 * n)) / denominator;
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator;
  return {row.Release(m.n, Cell::Real(std::max(0.0, center - half))),
          row.Release(m.n, Cell::Real(std::min(1.0, center + half)))};
}

std::vector<Cell> DecodeCountStar(const ItemContext&, const RowSums& row) {
  const BigInt n = AtLeastZero(row.records());
  return {row.Release(n, WithNoise(IntegerCell(n), NoiseOf(row.RecordsNoise())))};
}

std::vector<Cell> DecodeCount(const ItemContext& item, const RowSums& row) {
  if (!CountsLevels(item)) {
    return DecodeMoments<Count>(item, row);
  }
  // The records in any level: for the private GROUP BY column itself, the row's (none in the
  // NULL row).
  BigInt n;
  std::optional<SumNoise> noise;
  if (item.column == item.private_group) {
    if (!row.null_group()) {
      n = row.records();
      noise = row.RecordsNoise();
    }
  } else {
    const int levels = item.catalog.FindColumn(item.column)->levels;
    for (int l = 0; l < levels; ++l) {
      n += row.Slot(SlotKind::kLevel, item.column, l, -1);
      const std::optional<SumNoise> level = row.SlotNoise(SlotKind::kLevel, item.column, l, -1);
      if (!level) continue;
      if (!noise) noise = SumNoise{};
      noise->variance += level->variance;
      noise->single = noise->terms == 0 ? level->single : std::nullopt;
      noise->terms += level->terms;
    }
  }
  n = AtLeastZero(std::move(n));
  return {row.Release(n, WithNoise(IntegerCell(n), NoiseOf(noise)))};
}

std::vector<Cell> DecodeHistogram(const ItemContext& item, const RowSums& row) {
  std::vector<Cell> cells;
  const int bins = item.catalog.FindColumn(item.column)->bins;
  for (int b = 0; b < bins; ++b) {
    const BigInt records_in_bin = AtLeastZero(row.Slot(SlotKind::kBin, item.column, -1, b));
    cells.push_back(row.Release(
        records_in_bin, WithNoise(IntegerCell(records_in_bin),
                                  NoiseOf(row.SlotNoise(SlotKind::kBin, item.column, -1, b)))));
  }
  return cells;
}

// PERCENTILE_CONT(p): R's quantile(x, p, type = 7) (PostgreSQL's percentile_cont) over the
// values the bins allow. A bin [lo, hi) of a column with d decimals holds the fixed-point
// values f with lo·10^d <= f < hi·10^d and min <= f/10^d <= max; its c records are taken as
// spread evenly over them, the i-th (from 0) at a + (i + ½)/c·(z − a) for the smallest a and
// largest z. Ranks 1 + (n−1)p's floor and ceiling then interpolate as R does. A bin holding
// one value (a unit bin [k, k+1) of an integer column) gives its records that value exactly,
// so a percentile whose two order statistics fall in such bins is R's exactly.
//
// Released: the value, and the bound b such that the true percentile lies in [value − b,
// value + b], from the smallest and largest values the two order statistics' bins allow (at
// most the width of the bin it falls in; 0 when exact). In a bin with an infinite edge the
// value is the text ">= lo" or "<= hi" and the bound NULL. Both cells rest on the records
// binned.
struct BinValues {
  double a = 0, z = 0;  // the smallest and largest value the bin allows
  bool open_below = false, open_above = false;
};

std::vector<Cell> DecodePercentile(const ItemContext& item, const RowSums& row) {
  const Column& c = *item.schema_column;
  const VariableCodec& v = *item.layout.FindVariable(item.column);
  const int bins = static_cast<int>(c.bins.size()) - 1;
  const long double scale = std::pow(10.0L, v.decimals);
  const long double max_fixed = static_cast<long double>(v.min_fixed) + v.range;
  std::vector<int64_t> counts(static_cast<size_t>(bins));
  std::vector<BinValues> values(static_cast<size_t>(bins));
  BigInt binned;
  int64_t n = 0;
  for (int b = 0; b < bins; ++b) {
    const BigInt k = AtLeastZero(row.Slot(SlotKind::kBin, item.column, -1, b));
    binned += k;
    counts[static_cast<size_t>(b)] = k.ToLong().value_or(0);
    n += counts[static_cast<size_t>(b)];
    const long double lo = static_cast<long double>(c.bins[static_cast<size_t>(b)]) * scale;
    const long double hi = static_cast<long double>(c.bins[static_cast<size_t>(b) + 1]) * scale;
    BinValues& bv = values[static_cast<size_t>(b)];
    bv.open_below = std::isinf(lo);
    bv.open_above = std::isinf(hi);
    long double first = std::max(std::ceil(lo), static_cast<long double>(v.min_fixed));
    long double last = std::min(std::ceil(hi) - 1, max_fixed);
    if (last < first) last = first;
    bv.a = static_cast<double>(first) / static_cast<double>(scale);
    bv.z = static_cast<double>(last) / static_cast<double>(scale);
  }
  if (n == 0) return {row.Release(binned, Cell::Null()), row.Release(binned, Cell::Null())};
  // The bin of rank r (1-based) and the record's place in it.
  auto bin_of = [&](int64_t r, int64_t* within) {
    int64_t before = 0;
    for (int b = 0; b < bins; ++b) {
      if (r <= before + counts[static_cast<size_t>(b)]) {
        *within = r - before - 1;
        return b;
      }
      before += counts[static_cast<size_t>(b)];
    }
    *within = 0;
    return bins - 1;
  };
  auto value_of = [&](int64_t r, int* bin) {
    int64_t within = 0;
    *bin = bin_of(r, &within);
    const BinValues& bv = values[static_cast<size_t>(*bin)];
    if (bv.a == bv.z) return bv.a;
    const double c_b = static_cast<double>(counts[static_cast<size_t>(*bin)]);
    return bv.a + (static_cast<double>(within) + 0.5) / c_b * (bv.z - bv.a);
  };
  // R's type 7, step for step (stats::quantile.default).
  const double index = 1 + static_cast<double>(n - 1) * item.fraction;
  const double lo = std::floor(index), hi = std::ceil(index), h = index - lo;
  auto combine = [&](double at_lo, double at_hi) {
    return index > lo && at_hi != at_lo ? (1 - h) * at_lo + h * at_hi : at_lo;
  };
  int lo_bin = 0, hi_bin = 0;
  const double at_lo = value_of(static_cast<int64_t>(lo), &lo_bin);
  const double at_hi = value_of(static_cast<int64_t>(hi), &hi_bin);
  const double value = combine(at_lo, at_hi);
  const BinValues& l = values[static_cast<size_t>(lo_bin)];
  const BinValues& u = values[static_cast<size_t>(index > lo ? hi_bin : lo_bin)];
  const double least = combine(l.a, u.a), most = combine(l.z, u.z);
  const bool open_below = l.open_below || u.open_below;
  const bool open_above = l.open_above || u.open_above;
  auto text = [](const char* op, double edge) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %.15g", op, edge);
    return Cell::Text(buf);
  };
  if (open_below || open_above) {
    const Cell bound_text = open_below && open_above ? Cell::Null()
                            : open_above             ? text(">=", least)
                                                     : text("<=", most);
    return {row.Release(binned, bound_text), row.Release(binned, Cell::Null())};
  }
  const double bound = std::max({0.0, value - least, most - value});
  return {row.Release(binned, Cell::Real(value)), row.Release(binned, Cell::Real(bound))};
}

// --- Correlation and regression -------------------------------------------------------------
//
// Over a product set's complete cases, in the offset encoding y = x·10^d − min_fixed: n, the
// sums S_a, and P_ab = Σ y_a·y_b (P_aa = Σ y_a²). The centred cross products
// C_ab = n·P_ab − S_a·S_b = n·Σ(x_a − x̄_a)(x_b − x̄_b)·10^(d_a+d_b) are exact integers, free of
// the offsets; every statistic below is a ratio of them, rounded once (NearestDouble), up to
// the square roots of r and the standard errors.
class ModelSums {
 public:
  ModelSums(const ItemContext& item, const RowSums& row) : item_(item), row_(row) {
    set_ = *ModelProducts(item);  // planned: the set exists
    cases_ = ProductKey(*set_);
    n_ = row.ForRow(SlotKind::kCount, "", cases_);
  }
  const BigInt& n() const { return n_; }
  const VariableCodec& codec(const std::string& a) const { return *item_.layout.FindVariable(a); }
  BigInt Sum(const std::string& a) const { return row_.ForRow(SlotKind::kSum, a, cases_); }
  // Σ x_a·10^d_a over the cases: the offset sum plus n·min_fixed.
  BigInt ScaledSum(const std::string& a) const {
    return Sum(a) + n_ * BigInt::FromLong(codec(a).min_fixed);
  }
  BigInt Centred(const std::string& a, const std::string& b) const {
    BigInt product;
    if (a != b) {
      product = row_.ForRow(SlotKind::kProduct, PairName(*set_, a, b), cases_);
    } else {
      product = codec(a).range > 1 ? row_.ForRow(SlotKind::kSumSquares, a, cases_) : Sum(a);
    }
    return n_ * product - Sum(a) * Sum(b);
  }

 private:
  const ItemContext& item_;
  const RowSums& row_;
  const ProductSet* set_ = nullptr;
  std::string cases_;
  BigInt n_;
};

BigInt Pow10Big(int decimals) { return BigInt::Power(10, static_cast<unsigned long>(decimals)); }

std::vector<Cell> DecodePair(const ItemContext& item, const RowSums& row) {
  const ModelSums m(item, row);
  const std::string &y = item.column, &x = item.regressors.front();
  const BigInt& n = m.n();
  const int dy = m.codec(y).decimals, dx = m.codec(x).decimals;
  const BigInt cyx = m.Centred(y, x), cxx = m.Centred(x, x), cyy = m.Centred(y, y);
  auto cell = [&](Cell value) { return std::vector<Cell>{row.Release(n, std::move(value))}; };
  switch (item.aggregate) {
    case Aggregate::kRegrCount:
      return cell(IntegerCell(n));
    case Aggregate::kCovarPop:
      if (n.sign() == 0) return cell(Cell::Null());
      return cell(Cell::Real(NearestDouble(cyx, n * n * Pow10Big(dy + dx))));
    case Aggregate::kCovarSamp:
      if (n < BigInt(2)) return cell(Cell::Null());
      return cell(Cell::Real(NearestDouble(cyx, n * (n - BigInt(1)) * Pow10Big(dy + dx))));
    case Aggregate::kCorr: {
      if (n.sign() == 0 || cxx.sign() == 0 || cyy.sign() == 0) return cell(Cell::Null());
      const double r2 = NearestDouble(cyx * cyx, cxx * cyy);
      return cell(Cell::Real(cyx.sign() < 0 ? -std::sqrt(r2) : std::sqrt(r2)));
    }
    case Aggregate::kRegrSlope:
      if (n.sign() == 0 || cxx.sign() == 0) return cell(Cell::Null());
      return cell(Cell::Real(NearestDouble(cyx * Pow10Big(dx), cxx * Pow10Big(dy))));
    case Aggregate::kRegrIntercept:
      // ȳ − b·x̄ = (Y·C_xx − C_yx·X) / (n·C_xx), Y and X the scaled sums.
      if (n.sign() == 0 || cxx.sign() == 0) return cell(Cell::Null());
      return cell(Cell::Real(
          NearestDouble(m.ScaledSum(y) * cxx - cyx * m.ScaledSum(x), n * cxx * Pow10Big(dy))));
    case Aggregate::kRegrR2:
      if (n.sign() == 0 || cxx.sign() == 0) return cell(Cell::Null());
      if (cyy.sign() == 0) return cell(Cell::Real(1));
      return cell(Cell::Real(NearestDouble(cyx * cyx, cxx * cyy)));
    default:
      return cell(Cell::Null());
  }
}

// An exact rational, for solving the normal equations without rounding.
class Rat {
 public:
  Rat() { mpq_init(q_); }
  explicit Rat(const BigInt& v) : Rat() { mpq_set_z(q_, v.get()); }
  Rat(const Rat& o) : Rat() { mpq_set(q_, o.q_); }
  Rat& operator=(const Rat& o) {
    mpq_set(q_, o.q_);
    return *this;
  }
  ~Rat() { mpq_clear(q_); }
  Rat operator*(const Rat& o) const { return Apply(mpq_mul, o); }
  Rat operator/(const Rat& o) const { return Apply(mpq_div, o); }
  Rat operator-(const Rat& o) const { return Apply(mpq_sub, o); }
  Rat operator+(const Rat& o) const { return Apply(mpq_add, o); }
  bool zero() const { return mpq_sgn(q_) == 0; }
  int sign() const { return mpq_sgn(q_); }
  double ToDouble() const {
    BigInt num, den;
    mpq_get_num(num.get(), q_);
    mpq_get_den(den.get(), q_);
    return NearestDouble(num, den);
  }

 private:
  Rat Apply(void (*op)(mpq_ptr, mpq_srcptr, mpq_srcptr), const Rat& o) const {
    Rat out;
    op(out.q_, q_, o.q_);
    return out;
  }
  mpq_t q_;
};

// LINREG(y, x1, ..., xk): R's lm(y ~ x1 + ... + xk) over the complete cases. With A the k×k
// matrix of C_{xi,xj} and c the vector of C_{xi,y}, the slopes (in fixed-point units) are
// b = A⁻¹c, the residual sum of squares RSS = (C_yy − b·c)/n, σ² = RSS/(n − k − 1),
// Var(b) = σ²·n·A⁻¹, the intercept ȳ − b·x̄ with variance σ²·(1/n + n·x̄ᵀA⁻¹x̄), and
// R² = b·c / C_yy. A⁻¹, b, RSS and R² are exact rationals (Gauss–Jordan over GMP's mpq);
// each standard error is the square root of an exact variance, and p = 2·P(T > |t|) with T
// Student's t on n − k − 1 degrees of freedom (Boost.Math). A singular A (a constant or
// collinear x) gives NULL coefficients; fewer than k + 2 cases NULL standard errors.
std::vector<Cell> DecodeLinreg(const ItemContext& item, const RowSums& row) {
  const ModelSums m(item, row);
  const std::vector<std::string>& xs = item.regressors;
  const size_t k = xs.size();
  const BigInt& n = m.n();
  const std::string& y = item.column;
  const size_t terms = k + 1;
  std::vector<Cell> cells;
  auto release = [&](Cell c) { cells.push_back(row.Release(n, std::move(c))); };
  auto nulls = [&](size_t count) {
    for (size_t i = 0; i < count; ++i) release(Cell::Null());
  };
  // Gauss–Jordan on [A | I].
  std::vector<std::vector<Rat>> a(k, std::vector<Rat>(2 * k));
  std::vector<Rat> c(k);
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) a[i][j] = Rat(m.Centred(xs[i], xs[j]));
    a[i][k + i] = Rat(BigInt(1));
    c[i] = Rat(m.Centred(xs[i], y));
  }
  bool singular = n.sign() == 0;
  for (size_t col = 0; col < k && !singular; ++col) {
    size_t pivot = col;
    while (pivot < k && a[pivot][col].zero()) ++pivot;
    if (pivot == k) {
      singular = true;
      break;
    }
    std::swap(a[pivot], a[col]);
    const Rat inverse = Rat(BigInt(1)) / a[col][col];
    for (Rat& v : a[col]) v = v * inverse;
    for (size_t r = 0; r < k; ++r) {
      if (r == col || a[r][col].zero()) continue;
      const Rat factor = a[r][col];
      for (size_t j = 0; j < 2 * k; ++j) a[r][j] = a[r][j] - factor * a[col][j];
    }
  }
  if (singular) {
    nulls(4 * terms + 1);
    release(IntegerCell(n));
    return cells;
  }
  auto inv = [&](size_t i, size_t j) -> const Rat& { return a[i][k + j]; };
  std::vector<Rat> b(k);
  Rat explained;  // b·c
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) b[i] = b[i] + inv(i, j) * c[j];
    explained = explained + b[i] * c[i];
  }
  const Rat nq{n};
  const Rat cyy{m.Centred(y, y)};
  std::vector<Rat> mean(k);  // x̄ in fixed-point units
  for (size_t i = 0; i < k; ++i) mean[i] = Rat(m.ScaledSum(xs[i])) / nq;
  Rat intercept = Rat(m.ScaledSum(y)) / nq;
  for (size_t i = 0; i < k; ++i) intercept = intercept - b[i] * mean[i];
  const BigInt df = n - BigInt(static_cast<uint64_t>(k + 1));
  std::optional<Rat> sigma2;  // σ²
  if (df.sign() > 0) sigma2 = (cyy - explained) / nq / Rat(df);
  const int dy = m.codec(y).decimals;
  // One term: estimate and its variance in fixed-point units, and 10^(d_x − d_y) to scale.
  auto term = [&](const Rat& estimate, std::optional<Rat> variance, double scale) {
    release(Cell::Real(estimate.ToDouble() * scale));
    if (!variance || variance->sign() < 0) return nulls(3);
    const double se = std::sqrt(variance->ToDouble());
    release(Cell::Real(se * scale));
    if (se == 0) return nulls(2);
    const double t = estimate.ToDouble() / se;
    release(Cell::Real(t));
    const boost::math::students_t dist(df.ToDouble());
    release(Cell::Real(2 * boost::math::cdf(boost::math::complement(dist, std::fabs(t)))));
  };
  std::optional<Rat> intercept_variance;
  if (sigma2) {
    Rat quadratic;  // x̄ᵀA⁻¹x̄
    for (size_t i = 0; i < k; ++i) {
      for (size_t j = 0; j < k; ++j) quadratic = quadratic + mean[i] * inv(i, j) * mean[j];
    }
    intercept_variance = *sigma2 * (Rat(BigInt(1)) / nq + nq * quadratic);
  }
  term(intercept, intercept_variance, std::pow(10.0, -dy));
  for (size_t i = 0; i < k; ++i) {
    std::optional<Rat> variance;
    if (sigma2) variance = *sigma2 * nq * inv(i, i);
    term(b[i], variance, std::pow(10.0, m.codec(xs[i]).decimals - dy));
  }
  if (cyy.zero()) {
    release(Cell::Null());
  } else {
    release(Cell::Real((explained / cyy).ToDouble()));
  }
  release(IntegerCell(n));
  return cells;
}

// --- Survival ---------------------------------------------------------------------------
//
// Per bin i of time: x_i records leave follow-up (time in the bin, event present) and d_i of
// them with the event. At risk at the start of bin i: n_i = Σ_{j>=i} x_j. The Kaplan–Meier
// estimate at the end of bin i is Π_{j<=i} (1 − d_j/n_j), an exact rational rounded once:
// R's survfit(Surv(time, event) ~ 1) on the time rounded down to its bin's start, so exactly
// survfit's curve when the bins are unit bins of a time in whole units (events at a time come
// before the censorings at it, as survfit counts them). NULL where no one is at risk.
// Each cell rests on n_i: the curve is hidden where fewer than min_cell are still followed.
//
// Two cells of a curve give a bin's events: S_i/S_{i−1} = 1 − d_i/n_i, and n_i is AT_RISK's
// cell or often the reduced fraction; two AT_RISK cells give the exits x_i = n_i − n_{i+1}.
// So from the first bin whose events or exits number 1..min_cell−1, a row's curve is hidden,
// and its AT_RISK after that bin ("a bin of t with 1 to K−1 events or exits"): the curve stops
// where a count it would reveal is small. EVENTS cells are counts of their own, hidden by the
// disclosure rules (query/disclosure.h).
struct LifeTable {
  std::vector<BigInt> at_risk, events;
  size_t cut = 0;  // the first bin with 1..min_cell−1 events or exits; bins() when none
};

LifeTable RowLifeTable(const ItemContext& item, const RowSums& row) {
  const std::string& time = item.column;
  const std::string& event = item.regressors.front();
  const int bins = item.catalog.FindColumn(time)->bins;
  LifeTable out;
  std::vector<BigInt> exits;
  for (int b = 0; b < bins; ++b) {
    exits.push_back(AtLeastZero(row.ForRow(SlotKind::kBin, time, event, b)));
    out.events.push_back(AtLeastZero(row.ForRow(SlotKind::kEvent, time, event, b)));
  }
  out.at_risk.resize(static_cast<size_t>(bins));
  BigInt remaining;
  for (int b = bins - 1; b >= 0; --b) {
    remaining += exits[static_cast<size_t>(b)];
    out.at_risk[static_cast<size_t>(b)] = remaining;
  }
  const BigInt small(item.min_cell);
  auto is_small = [&](const BigInt& count) { return count.sign() > 0 && count < small; };
  out.cut = static_cast<size_t>(bins);
  for (size_t b = 0; b < out.cut; ++b) {
    if (is_small(out.events[b]) || is_small(exits[b])) out.cut = b;
  }
  return out;
}

Cell AfterSmallBin(const ItemContext& item) {
  return Cell::Complementary("a bin of " + item.column + " with 1 to " +
                             std::to_string(item.min_cell - 1) + " events or exits");
}

std::vector<Cell> DecodeKaplanMeier(const ItemContext& item, const RowSums& row) {
  const LifeTable t = RowLifeTable(item, row);
  std::vector<Cell> cells;
  Rat survival(BigInt(1));
  for (size_t b = 0; b < t.at_risk.size(); ++b) {
    const BigInt& n = t.at_risk[b];
    if (n.sign() == 0) {
      cells.push_back(row.Release(n, Cell::Null()));
      continue;
    }
    if (b >= t.cut) {
      cells.push_back(row.Release(n, AfterSmallBin(item)));
      continue;
    }
    survival = survival * (Rat(n - std::min(t.events[b], n)) / Rat(n));
    cells.push_back(row.Release(n, Cell::Real(survival.ToDouble())));
  }
  return cells;
}

std::vector<Cell> DecodeAtRisk(const ItemContext& item, const RowSums& row) {
  const LifeTable t = RowLifeTable(item, row);
  std::vector<Cell> cells;
  for (size_t b = 0; b < t.at_risk.size(); ++b) {
    const BigInt& n = t.at_risk[b];
    cells.push_back(
        row.Release(n, b > t.cut && n.sign() > 0 ? AfterSmallBin(item) : IntegerCell(n)));
  }
  return cells;
}

std::vector<Cell> DecodeEvents(const ItemContext& item, const RowSums& row) {
  std::vector<Cell> cells;
  for (const BigInt& d : RowLifeTable(item, row).events)
    cells.push_back(row.Release(d, IntegerCell(d)));
  return cells;
}

std::vector<Cell> NothingToDecode(const ItemContext&, const RowSums&) { return {}; }

}  // namespace

// The registry: each entry names its slots and decoder, defined above.
const std::vector<AggregateSpec>& Aggregates() {
  using enum ArgumentKind;
  using enum OutputColumns;
  using enum ChartHint;
  static const std::vector<AggregateSpec> kAggregates = {
      {.aggregate = Aggregate::kCountStar,
       .names = {"count"},
       .argument = kStar,
       .columns = kOne,
       .chart = kNone,
       .slots = NoSlots,
       .decode = DecodeCountStar},
      {.aggregate = Aggregate::kCount,
       .names = {"count"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kNone,
       .slots = CountSlots,
       .decode = DecodeCount},
      {.aggregate = Aggregate::kSum,
       .names = {"sum"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kNone,
       .slots = MomentSlots,
       .decode = DecodeMoments<Sum>},
      {.aggregate = Aggregate::kAvg,
       .names = {"avg"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kMeanBars,
       .slots = MomentSlots,
       .decode = DecodeMoments<Mean>},
      {.aggregate = Aggregate::kStddevSamp,
       .names = {"stddev", "stddev_samp"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kSampleSdWhiskers,
       .slots = MomentSlots,
       .decode = DecodeMoments<StddevCell<true>>},
      {.aggregate = Aggregate::kVarSamp,
       .names = {"variance", "var_samp"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kNone,
       .slots = MomentSlots,
       .decode = DecodeMoments<VarianceCell<true>>},
      {.aggregate = Aggregate::kStddevPop,
       .names = {"stddev_pop"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kPopulationSdWhiskers,
       .slots = MomentSlots,
       .decode = DecodeMoments<StddevCell<false>>},
      {.aggregate = Aggregate::kVarPop,
       .names = {"var_pop"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kNone,
       .slots = MomentSlots,
       .decode = DecodeMoments<VarianceCell<false>>},
      {.aggregate = Aggregate::kHistogram,
       .names = {"histogram"},
       .argument = kColumn,
       .columns = kOnePerBin,
       .chart = kHistogram,
       .slots = BinSlots,
       .decode = DecodeHistogram},
      {.aggregate = Aggregate::kAvgCi,
       .names = {"avg_ci"},
       .argument = kColumn,
       .columns = kParts,
       .chart = kNone,
       .parts = {"lo", "hi"},
       .exact_only = true,
       .slots = MomentSlots,
       .decode = DecodeAvgCi},
      {.aggregate = Aggregate::kProportionCi,
       .names = {"proportion_ci"},
       .argument = kColumn,
       .columns = kParts,
       .chart = kNone,
       .parts = {"lo", "hi"},
       .exact_only = true,
       .slots = MomentSlots,
       .decode = DecodeProportionCi},
      {.aggregate = Aggregate::kTtest,
       .names = {"ttest"},
       .argument = kColumn,
       .columns = kParts,
       .chart = kNone,
       .parts = {"t", "df", "p"},
       .across_groups = true,
       .exact_only = true,
       .slots = MomentSlots,
       .decode = NothingToDecode},
      {.aggregate = Aggregate::kAnova,
       .names = {"anova"},
       .argument = kColumn,
       .columns = kParts,
       .chart = kNone,
       .parts = {"F", "df1", "df2", "p"},
       .across_groups = true,
       .exact_only = true,
       .slots = MomentSlots,
       .decode = NothingToDecode},
      {.aggregate = Aggregate::kChisq,
       .names = {"chisq"},
       .argument = kColumn,
       .columns = kParts,
       .chart = kNone,
       .parts = {"chi2", "df", "p"},
       .across_groups = true,
       .exact_only = true,
       .slots = ChisqSlots,
       .decode = NothingToDecode},
      {.aggregate = Aggregate::kPercentileCont,
       .names = {"percentile_cont"},
       .argument = kFractionWithinGroup,
       .columns = kParts,
       .chart = kNone,
       .parts = {"", "bound"},
       .exact_only = true,
       .slots = PercentileSlots,
       .decode = DecodePercentile},
      {.aggregate = Aggregate::kCorr,
       .names = {"corr"},
       .argument = kColumnPair,
       .columns = kOne,
       .chart = kNone,
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodePair},
      {.aggregate = Aggregate::kCovarSamp,
       .names = {"covar_samp"},
       .argument = kColumnPair,
       .columns = kOne,
       .chart = kNone,
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodePair},
      {.aggregate = Aggregate::kCovarPop,
       .names = {"covar_pop"},
       .argument = kColumnPair,
       .columns = kOne,
       .chart = kNone,
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodePair},
      {.aggregate = Aggregate::kRegrSlope,
       .names = {"regr_slope"},
       .argument = kColumnPair,
       .columns = kOne,
       .chart = kNone,
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodePair},
      {.aggregate = Aggregate::kRegrIntercept,
       .names = {"regr_intercept"},
       .argument = kColumnPair,
       .columns = kOne,
       .chart = kNone,
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodePair},
      {.aggregate = Aggregate::kRegrR2,
       .names = {"regr_r2"},
       .argument = kColumnPair,
       .columns = kOne,
       .chart = kNone,
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodePair},
      {.aggregate = Aggregate::kRegrCount,
       .names = {"regr_count"},
       .argument = kColumnPair,
       .columns = kOne,
       .chart = kNone,
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodePair},
      {.aggregate = Aggregate::kLinreg,
       .names = {"linreg"},
       .argument = kColumnList,
       .columns = kTerms,
       .chart = kNone,
       .parts = {"r2", "n"},
       .term_parts = {"estimate", "se", "t", "p"},
       .exact_only = true,
       .slots = ModelSlots,
       .decode = DecodeLinreg},
      {.aggregate = Aggregate::kKaplanMeier,
       .names = {"kaplan_meier"},
       .argument = kColumnPair,
       .columns = kOnePerBin,
       .chart = kSurvivalSteps,
       .exact_only = true,
       .slots = SurvivalSlots,
       .decode = DecodeKaplanMeier},
      {.aggregate = Aggregate::kAtRisk,
       .names = {"at_risk"},
       .argument = kColumnPair,
       .columns = kOnePerBin,
       .chart = kNone,
       .exact_only = true,
       .slots = SurvivalSlots,
       .decode = DecodeAtRisk},
      {.aggregate = Aggregate::kEvents,
       .names = {"events"},
       .argument = kColumnPair,
       .columns = kOnePerBin,
       .chart = kNone,
       .exact_only = true,
       .slots = SurvivalSlots,
       .decode = DecodeEvents},
      {.aggregate = Aggregate::kLogrank,
       .names = {"logrank"},
       .argument = kColumnPair,
       .columns = kParts,
       .chart = kNone,
       .parts = {"chi2", "df", "p"},
       .across_groups = true,
       .exact_only = true,
       .slots = SurvivalSlots,
       .decode = NothingToDecode},
      {.aggregate = Aggregate::kMin,
       .names = {"min"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kNone,
       .slots = NoEncryptedForm,
       .decode = NothingToDecode},
      {.aggregate = Aggregate::kMax,
       .names = {"max"},
       .argument = kColumn,
       .columns = kOne,
       .chart = kNone,
       .slots = NoEncryptedForm,
       .decode = NothingToDecode},
  };
  return kAggregates;
}

ItemContext PlanningContext(const SelectItem& item, const std::string& private_group,
                            const Catalog& catalog, const Layout& layout) {
  return ItemContext{.aggregate = item.aggregate,
                     .column = item.column,
                     .private_group = private_group,
                     .catalog = catalog,
                     .layout = layout,
                     .fraction = item.fraction,
                     .regressors = item.regressors};
}

bool ChisqReadsLevels(const Catalog& catalog, const std::string& y, const std::string& group) {
  return ChisqUsesLevels(catalog, y, group);
}

const AggregateSpec* FindAggregate(Aggregate aggregate) {
  for (const AggregateSpec& spec : Aggregates()) {
    if (spec.aggregate == aggregate) return &spec;
  }
  return nullptr;
}

const AggregateSpec* FindAggregate(std::string_view lowercase_name, ArgumentKind argument) {
  for (const AggregateSpec& spec : Aggregates()) {
    if (spec.argument != argument) continue;
    for (std::string_view name : spec.names) {
      if (name == lowercase_name) return &spec;
    }
  }
  return nullptr;
}

std::string AggregateName(Aggregate aggregate) {
  const AggregateSpec* spec = FindAggregate(aggregate);
  return spec == nullptr ? "none" : std::string(spec->names.front());
}

}  // namespace cipherstat
