#include "query/aggregates.h"

#include <cmath>
#include <optional>
#include <utility>

#include "encoding/date.h"

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
                        "\"]} to the schema's \"crosses\" and re-encrypt");
  }
  const int levels = item.catalog.FindColumn(group)->levels;
  for (int l = 0; l < levels; ++l) CS_RETURN_IF_ERROR(need_moments(group, l));
  return need_moments("", -1);
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

struct Moments {
  BigInt n, sum, sumsq;  // Σ1, Σy, Σy² over the row's records where x is present
};

Moments RowMoments(const ItemContext& item, const RowSums& row, const VariableCodec& v) {
  Moments m;
  m.n = v.can_be_missing ? row.ForRow(SlotKind::kObserved, item.column) : row.records();
  m.sum = row.ForRow(SlotKind::kSum, item.column);
  // A 0/1 encoding has y² = y, so the layout keeps no squares for it.
  m.sumsq = v.range > 1 ? row.ForRow(SlotKind::kSumSquares, item.column) : m.sum;
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

Cell Count(const Moments& m, const VariableCodec&) { return IntegerCell(m.n); }

// Σx·10^d = Σy + n·min_fixed
BigInt ScaledSum(const Moments& m, const VariableCodec& v) {
  return m.sum + m.n * BigInt::FromLong(v.min_fixed);
}

Cell Sum(const Moments& m, const VariableCodec& v) {
  if (m.n == 0) return Cell::Null();
  if (v.decimals == 0) return IntegerCell(ScaledSum(m, v));
  return Cell::Real(NearestDouble(ScaledSum(m, v), BigInt::Power(10, v.decimals)));
}

// A date column's mean is a date: the day nearest the mean day number, the later one at a tie.
// (The double is within 1e-9 of the exact mean, which is at least 1/(2n) from any other tie.)
Cell Mean(const Moments& m, const VariableCodec& v) {
  if (m.n == 0) return Cell::Null();
  const double mean = NearestDouble(ScaledSum(m, v), BigInt::Power(10, v.decimals) * m.n);
  if (v.date) return Cell::Text(FormatIsoDate(static_cast<int64_t>(std::floor(mean + 0.5))));
  return Cell::Real(mean);
}

// (n·Σy² − (Σy)²) / (n·(n − 1)) for the sample variance, / n² for the population's, in units
// of x² (÷ 10^2d). Exact up to the one rounding: the offset cancels out of the numerator.
std::optional<double> Variance(const Moments& m, const VariableCodec& v, bool sample) {
  if (m.n == 0 || (sample && m.n < 2)) return std::nullopt;
  const BigInt degrees_of_freedom = sample ? m.n - BigInt(1) : m.n;
  const BigInt scale = BigInt::Power(10, 2 * static_cast<unsigned long>(v.decimals));
  return NearestDouble(m.n * m.sumsq - m.sum * m.sum, m.n * degrees_of_freedom * scale);
}

template <bool sample>
Cell VarianceCell(const Moments& m, const VariableCodec& v) {
  const std::optional<double> variance = Variance(m, v, sample);
  return variance ? Cell::Real(*variance) : Cell::Null();
}

template <bool sample>
Cell StddevCell(const Moments& m, const VariableCodec& v) {
  const std::optional<double> variance = Variance(m, v, sample);
  return variance ? Cell::Real(std::sqrt(*variance)) : Cell::Null();
}

std::vector<Cell> DecodeCountStar(const ItemContext&, const RowSums& row) {
  return {row.Release(row.records(), IntegerCell(row.records()))};
}

std::vector<Cell> DecodeCount(const ItemContext& item, const RowSums& row) {
  if (!CountsLevels(item)) {
    return DecodeMoments<Count>(item, row);
  }
  // The records in any level: for the private GROUP BY column itself, the row's (none in the
  // NULL row).
  BigInt n;
  if (item.column == item.private_group) {
    if (!row.null_group()) n = row.records();
  } else {
    const int levels = item.catalog.FindColumn(item.column)->levels;
    for (int l = 0; l < levels; ++l) n += row.Slot(SlotKind::kLevel, item.column, l, -1);
  }
  return {row.Release(n, IntegerCell(n))};
}

std::vector<Cell> DecodeHistogram(const ItemContext& item, const RowSums& row) {
  std::vector<Cell> cells;
  const int bins = item.catalog.FindColumn(item.column)->bins;
  for (int b = 0; b < bins; ++b) {
    const BigInt records_in_bin = row.Slot(SlotKind::kBin, item.column, -1, b);
    cells.push_back(row.Release(records_in_bin, IntegerCell(records_in_bin)));
  }
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
