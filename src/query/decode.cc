#include "query/decode.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <tuple>

#include "data/csv.h"
#include "query/compare.h"
#include "query/disclosure.h"

namespace cipherstat {

namespace {

using crypto::BigInt;

std::string FormatEdge(double edge) {
  if (std::isinf(edge)) return edge > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", edge);
  return buf;
}

std::string BinLabel(const std::string& label, const Column& c, size_t b) {
  return label + "[" + FormatEdge(c.bins[b]) + "," + FormatEdge(c.bins[b + 1]) + ")";
}

// Reads slot values of one group's decrypted sums, plus the noise drawn for each slot when
// `noise` is given (differential privacy: every slot the decoder reads has a draw).
class GroupView {
 public:
  GroupView(const Layout& layout, const Plan& plan, const GroupSums& sums,
            const std::map<int, BigInt>* noise = nullptr)
      : layout_(layout), sums_(sums), noise_(noise) {
    for (size_t i = 0; i < plan.ciphertexts.size(); ++i) position_[plan.ciphertexts[i]] = i;
  }
  BigInt Slot(int index) const {
    const cipherstat::Slot& s = layout_.slots()[static_cast<size_t>(index)];
    BigInt sum = ExtractSlot(sums_.plaintexts[position_.at(s.ciphertext)], s);
    if (noise_ != nullptr) sum += noise_->at(index);
    return sum;
  }

 private:
  const Layout& layout_;
  const GroupSums& sums_;
  const std::map<int, BigInt>* noise_;
  std::map<int, size_t> position_;
};

// Differential privacy (decode.h, ReleaseOptions): the noise distribution of every slot the
// plan reads.
using Mechanisms = std::map<int, DiscreteLaplace>;

// A slot's family: the slots of one family differ only in their level or bin, and one record
// adds to at most one of them.
std::tuple<SlotKind, std::string, std::string, std::string> Family(const Slot& s) {
  return {s.kind, s.variable, s.by, s.cases};
}

// The number of families among the plan's slots: the k that ε is split by.
size_t Families(const Layout& layout, const Plan& plan) {
  std::set<std::tuple<SlotKind, std::string, std::string, std::string>> families;
  for (int s : plan.slots) families.insert(Family(layout.slots()[static_cast<size_t>(s)]));
  return families.size();
}

// Scale Δ_s·k/ε for each slot s the plan reads: Δ = 1 for count, observed, level and bin
// slots, R for sum(X), R² for sumsq(X).
Result<Mechanisms> NoiseMechanisms(const Layout& layout, const Plan& plan,
                                   const Rational& epsilon) {
  const size_t k = Families(layout, plan);
  CS_ASSIGN_OR_RETURN(const Rational per_family,
                      Rational::Make(epsilon.numerator(),
                                     epsilon.denominator() * BigInt(static_cast<uint64_t>(k))));
  Mechanisms mechanisms;
  for (int index : plan.slots) {
    const Slot& s = layout.slots()[static_cast<size_t>(index)];
    uint64_t sensitivity = 1;
    if (s.kind == SlotKind::kSum || s.kind == SlotKind::kSumSquares) {
      const VariableCodec* v = layout.FindVariable(s.variable);
      if (v == nullptr) return Status::InvalidArgument("decode: no codec for " + s.variable);
      sensitivity = v->range;
      if (s.kind == SlotKind::kSumSquares) {
        if (v->range > UINT32_MAX) {
          return Status::InvalidArgument("differential privacy: the range of " + s.variable +
                                         " is too wide for noise on its sum of squares");
        }
        sensitivity = v->range * v->range;
      }
    }
    auto mechanism = DiscreteLaplace::ForSum(sensitivity, per_family);
    if (!mechanism.ok()) {
      return mechanism.status().WithContext("differential privacy, slot " + s.variable +
                                            " (sensitivity " + std::to_string(sensitivity) + ", " +
                                            std::to_string(k) + " slot families)");
    }
    mechanisms.emplace(index, std::move(mechanism).value());
  }
  return mechanisms;
}

// The noise of a signed sum of slots, each once (the noise is symmetric: the sign does not
// change its distribution).
std::optional<SumNoise> NoiseOfSlots(const Mechanisms* mechanisms, const std::vector<int>& slots) {
  if (mechanisms == nullptr) return std::nullopt;
  SumNoise noise;
  for (int index : slots) {
    const DiscreteLaplace& d = mechanisms->at(index);
    noise.variance += d.Variance();
    noise.single = noise.terms == 0 ? std::optional(d) : std::nullopt;
    ++noise.terms;
  }
  return noise;
}

constexpr int kWholeGroup = -1;  // no private GROUP BY
constexpr int kNullLevel = -2;   // the private GROUP BY column is missing

// One output row of a public group: the whole group, or one level of the private GROUP BY
// column, or the records missing it.
class GroupRow final : public RowSums {
 public:
  GroupRow(const Layout& layout, const GroupView& view, const std::string& private_group,
           int private_levels, int level, BigInt records, std::vector<BigInt>* supports,
           const Mechanisms* mechanisms = nullptr)
      : RowSums(supports),
        layout_(layout),
        view_(view),
        private_group_(private_group),
        private_levels_(private_levels),
        level_(level),
        records_(std::move(records)),
        mechanisms_(mechanisms) {}

  const BigInt& records() const override { return records_; }
  bool null_group() const override { return level_ == kNullLevel; }
  BigInt Slot(SlotKind kind, const std::string& variable, int level, int bin) const override {
    return view_.Slot(layout_.Find(kind, variable, "", level, bin));
  }
  BigInt ForRow(SlotKind kind, const std::string& variable, const std::string& cases = "",
                int bin = -1) const override {
    if (level_ >= 0) return LevelSum(kind, variable, level_, cases, bin);
    const BigInt total = view_.Slot(layout_.Find(kind, variable, "", -1, bin, cases));
    if (level_ == kWholeGroup) return total;
    BigInt missing_group = total;
    for (int l = 0; l < private_levels_; ++l)
      missing_group -= LevelSum(kind, variable, l, cases, bin);
    return missing_group;
  }
  // The same slots as records() and ForRow() read.
  std::optional<SumNoise> RecordsNoise() const override {
    if (level_ == kWholeGroup) return ForRowNoise(SlotKind::kCount, "");
    std::vector<int> slots;
    if (level_ == kNullLevel) slots.push_back(layout_.Find(SlotKind::kCount, ""));
    for (int l = 0; l < private_levels_; ++l) {
      if (level_ == kNullLevel || level_ == l) {
        slots.push_back(layout_.Find(SlotKind::kLevel, private_group_, "", l));
      }
    }
    return NoiseOfSlots(mechanisms_, slots);
  }
  std::optional<SumNoise> SlotNoise(SlotKind kind, const std::string& variable, int level,
                                    int bin) const override {
    return NoiseOfSlots(mechanisms_, {layout_.Find(kind, variable, "", level, bin)});
  }
  std::optional<SumNoise> ForRowNoise(SlotKind kind, const std::string& variable) const override {
    const int total = layout_.Find(kind, variable, "", -1, -1);
    if (level_ == kWholeGroup) return NoiseOfSlots(mechanisms_, {total});
    if (level_ >= 0) {
      return NoiseOfSlots(mechanisms_, {layout_.Find(kind, variable, private_group_, level_)});
    }
    std::vector<int> slots = {total};
    for (int l = 0; l < private_levels_; ++l)
      slots.push_back(layout_.Find(kind, variable, private_group_, l));
    return NoiseOfSlots(mechanisms_, slots);
  }

 private:
  BigInt LevelSum(SlotKind kind, const std::string& variable, int level, const std::string& cases,
                  int bin) const {
    return view_.Slot(layout_.Find(kind, variable, private_group_, level, bin, cases));
  }

  const Layout& layout_;
  const GroupView& view_;
  const std::string& private_group_;
  int private_levels_;
  int level_;
  BigInt records_;
  const Mechanisms* mechanisms_;
};

// A GROUP BY column's value in a row: the private column's level, or the public group's key.
Cell GroupKeyCell(const Plan& plan, const Column* private_column, int level, const GroupSums& g,
                  const std::string& column) {
  if (column == plan.private_group) {
    return level >= 0 ? Cell::Text(private_column->levels[static_cast<size_t>(level)])
                      : Cell::Null();
  }
  const std::vector<std::string>& group_by = plan.query.group_by;
  const size_t pos =
      static_cast<size_t>(std::find(group_by.begin(), group_by.end(), column) - group_by.begin());
  // Position among the public GROUP BY columns.
  size_t public_pos = 0;
  for (size_t i = 0; i < pos; ++i) public_pos += group_by[i] != plan.private_group;
  const std::string& value = g.key[public_pos];
  return value.empty() ? Cell::Null() : Cell::Text(value);
}

// --- Sanity checks: sums that no set of records within the schema could give ---------------

Status Refuse(const std::string& row, const std::string& column, const std::string& what) {
  return Status::Corruption("result refused as corrupt or tampered: " +
                            (row.empty() ? "" : "row " + row + ", ") + column + ": " + what);
}

bool IsMoment(Aggregate a) {
  switch (a) {
    case Aggregate::kCount:
    case Aggregate::kSum:
    case Aggregate::kAvg:
    case Aggregate::kStddevSamp:
    case Aggregate::kVarSamp:
    case Aggregate::kStddevPop:
    case Aggregate::kVarPop:
    case Aggregate::kAvgCi:
    case Aggregate::kProportionCi:
      return true;
    default:
      return false;
  }
}

// The bounds of a numeric variable as the schema writes them: "[0, 2000]".
std::string BoundsText(const Schema& schema, const VariableCodec& v) {
  const Column* c = schema.FindColumn(v.name);
  if (c == nullptr) return "[0, 1]";  // a derived indicator
  return "[" + FormatEdge(c->min) + ", " + FormatEdge(c->max) + "]";
}

// Refuses one output row whose sums are impossible: a negative count, levels adding up to more
// than their group, more values than records, bins adding up to more than their count (to a
// different count when they cover the column's bounds), a mean outside the column's bounds, a
// negative variance. Each message names the row and the first column resting on the sums.
Status CheckRow(const Schema& schema, const Layout& layout, const Plan& plan,
                const ResultTable& table, const GroupRow& row, const BigInt& group_count,
                const std::string& name) {
  const BigInt& records = row.records();
  if (records.sign() < 0) {
    return Refuse(name, "count(*)",
                  records.ToDecimal() + " records: the levels of " + plan.private_group +
                      " add up to " + (group_count - records).ToDecimal() +
                      ", more than the group's " + group_count.ToDecimal());
  }
  std::set<std::string> seen;
  for (size_t col = 0; col < table.column_info.size(); ++col) {
    const ColumnInfo& info = table.column_info[col];
    const std::string& x = info.argument;
    const std::string& label = table.columns[col];
    const VariableCodec* v = layout.FindVariable(x);
    if (info.aggregate == Aggregate::kCount && v == nullptr && x != plan.private_group &&
        seen.insert("levels:" + x).second) {
      BigInt n;
      const int levels = static_cast<int>(schema.FindColumn(x)->levels.size());
      for (int l = 0; l < levels; ++l) n += row.Slot(SlotKind::kLevel, x, l, -1);
      if (n > records) {
        return Refuse(name, label,
                      n.ToDecimal() + " records with a value in a row of " + records.ToDecimal() +
                          " records");
      }
    } else if (IsMoment(info.aggregate) && v != nullptr && seen.insert("moments:" + x).second) {
      const BigInt n = v->can_be_missing ? row.ForRow(SlotKind::kObserved, x) : records;
      const BigInt sum = row.ForRow(SlotKind::kSum, x);
      const BigInt squares = v->range > 1 ? row.ForRow(SlotKind::kSumSquares, x) : sum;
      const BigInt range(v->range);
      if (n.sign() < 0) {
        return Refuse(name, label, "a negative count of values (" + n.ToDecimal() + ")");
      }
      if (n > records) {
        return Refuse(name, label,
                      n.ToDecimal() + " values in a row of " + records.ToDecimal() + " records");
      }
      if (n.sign() == 0) {
        if (sum.sign() != 0 || squares.sign() != 0) {
          return Refuse(name, label, "non-zero sums over no values");
        }
        continue;
      }
      if (sum.sign() < 0 || sum > n * range) {
        const double mean =
            NearestDouble(sum + n * BigInt::FromLong(v->min_fixed),
                          n * BigInt::Power(10, static_cast<unsigned long>(v->decimals)));
        return Refuse(
            name, label,
            "mean " + FormatEdge(mean) + " outside the column's bounds " + BoundsText(schema, *v));
      }
      if (squares.sign() < 0 || n * squares < sum * sum) {
        return Refuse(name, label, "negative variance (n·Σy² < (Σy)²)");
      }
      if (squares > range * sum) {
        return Refuse(name, label,
                      "sum of squares beyond the column's bounds " + BoundsText(schema, *v));
      }
    } else if ((info.aggregate == Aggregate::kHistogram ||
                info.aggregate == Aggregate::kPercentileCont) &&
               seen.insert("bins:" + x).second) {
      const Column& c = *schema.FindColumn(x);
      BigInt binned;
      for (size_t b = 0; b + 1 < c.bins.size(); ++b)
        binned += row.Slot(SlotKind::kBin, x, -1, static_cast<int>(b));
      if (binned > records) {
        return Refuse(name, label,
                      "the bins add up to " + binned.ToDecimal() +
                          " records, more than the row's " + records.ToDecimal());
      }
      // The values present, when the query read them.
      std::optional<BigInt> present;
      if (!v->can_be_missing) {
        present = records;
      } else {
        for (const ColumnInfo& other : table.column_info) {
          if (other.argument == x && IsMoment(other.aggregate)) {
            present = row.ForRow(SlotKind::kObserved, x);
            break;
          }
        }
      }
      if (present && binned > *present) {
        return Refuse(name, label,
                      "the bins add up to " + binned.ToDecimal() + " records, more than the " +
                          present->ToDecimal() + " with " + x + " present");
      }
      if (present && binned != *present && BinsCoverBounds(c)) {
        const std::string why = " records, but they cover the column's bounds and ";
        return Refuse(
            name, label,
            "the bins add up to " + binned.ToDecimal() + why + present->ToDecimal() + " have " + x);
      }
    }
  }
  return Status::OK();
}

}  // namespace

// "site = 'north'": a condition or a GROUP BY value as the ledger compares them, the literal
// always quoted (its quotes doubled), so that WHERE site = 'north' and the row of GROUP BY site
// with key north read the same.
std::string ReleasePredicate(const std::string& column, const std::string& op,
                             const std::string& literal) {
  std::string quoted;
  for (char c : literal) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return column + " " + op + " '" + quoted + "'";
}

namespace {

std::string Describe(const RowPopulation& row) {
  std::string out;
  for (const std::string& p : row.predicates) out += (out.empty() ? "" : " AND ") + p;
  return out.empty() ? "all records" : out;
}

}  // namespace

// The earlier row this one would combine with (as the ledger names it), or "".
std::string CombinesWithEarlier(const RowPopulation& row, const ReleaseOptions& options) {
  for (const EarlierRelease& release : options.earlier) {
    for (const RowPopulation& old : release.rows) {
      // The same records: counts that differ are noise (differential privacy), not a group.
      if (old.predicates == row.predicates) continue;
      const bool nested = std::includes(row.predicates.begin(), row.predicates.end(),
                                        old.predicates.begin(), old.predicates.end()) ||
                          std::includes(old.predicates.begin(), old.predicates.end(),
                                        row.predicates.begin(), row.predicates.end());
      const uint64_t difference =
          old.records > row.records ? old.records - row.records : row.records - old.records;
      if (nested && difference > 0 && difference < options.min_cell) {
        return "release " + std::to_string(release.number) + ", row " + Describe(old);
      }
    }
  }
  return "";
}

void SetResultColumns(const Query& query, const Schema& schema, ResultTable* table, double level) {
  table->query = query;
  table->columns.clear();
  table->column_info.clear();
  for (size_t i = 0; i < query.items.size(); ++i) {
    const SelectItem& item = query.items[i];
    const AggregateSpec* spec = FindAggregate(item.aggregate);
    ColumnInfo info{item.aggregate, item.column, spec ? spec->chart : ChartHint::kNone,
                    static_cast<int>(i), -1};
    if (spec == nullptr || spec->columns == OutputColumns::kOne) {
      table->columns.push_back(item.label);
      table->column_info.push_back(info);
      continue;
    }
    if (spec->columns == OutputColumns::kTerms) {
      std::vector<std::string> terms = {"(intercept)"};
      terms.insert(terms.end(), item.regressors.begin(), item.regressors.end());
      for (const std::string& term : terms) {
        for (std::string_view part : spec->term_parts) {
          table->columns.push_back(item.label + " " + term + " " + std::string(part));
          table->column_info.push_back(info);
        }
      }
    }
    if (spec->columns == OutputColumns::kParts || spec->columns == OutputColumns::kTerms) {
      std::string prefix = item.label;
      const bool interval =
          item.aggregate == Aggregate::kAvgCi || item.aggregate == Aggregate::kProportionCi;
      if (interval && level != 0.95) {
        char percent[32];
        std::snprintf(percent, sizeof percent, " %.10g%%", level * 100);
        prefix += percent;
      }
      for (std::string_view part : spec->parts) {
        table->columns.push_back(part.empty() ? prefix : prefix + " " + std::string(part));
        table->column_info.push_back(info);
      }
      continue;
    }
    const Column* c = schema.FindColumn(item.column);
    for (size_t b = 0; b + 1 < c->bins.size(); ++b) {
      table->columns.push_back(BinLabel(item.label, *c, b));
      info.bin = static_cast<int>(b);
      table->column_info.push_back(info);
    }
  }
}

Result<ResultTable> DecodeSums(const Schema& schema, const Layout& layout, const Plan& plan,
                               std::vector<GroupSums> groups, uint64_t dataset_records,
                               const ReleaseOptions& options) {
  ResultTable table;
  table.sql = plan.sql;
  table.dataset_name = schema.name;
  table.dataset_records = dataset_records;
  table.min_cell = options.min_cell;
  SetResultColumns(plan.query, schema, &table, options.level);

  const Catalog catalog = CatalogOf(schema);
  // Decoding needs the codecs of the owner's layout (Layout::Build), which the compute
  // party's (Layout::FromJson) does not have.
  size_t variables = catalog.derived.size();
  for (const CatalogColumn& c : catalog.columns) variables += c.numeric() && !c.is_public;
  if (layout.variables().size() != variables) {
    return Status::InvalidArgument("decode: the layout was not built from this schema");
  }
  bool across_groups = false;
  for (const SelectItem& item : plan.query.items) {
    const Column* c = schema.FindColumn(item.column);
    if (item.aggregate == Aggregate::kSum && c != nullptr && c->date()) {
      return Status::InvalidArgument("query: SUM(" + item.column + "): '" + item.column +
                                     "' is a date, which has no sum; AVG(" + item.column +
                                     ") gives the average date, and a \"days_between\" column "
                                     "a duration");
    }
    const AggregateSpec* spec = FindAggregate(item.aggregate);
    if (spec == nullptr) continue;
    const std::string call = AggregateName(item.aggregate) + "(" + item.column + ")";
    across_groups = across_groups || spec->across_groups;
    if (spec->exact_only && options.epsilon) {
      const std::string instead = item.aggregate == Aggregate::kPercentileCont
                                      ? "HISTOGRAM(" + item.column + ") (each bin with its noise)"
                                      : "AVG and STDDEV (each with its noise)";
      return Status::InvalidArgument(
          "query: " + call +
          " is computed from exact sums and would ignore the noise of --dp-epsilon; release it "
          "without --dp-epsilon, or release " +
          instead + " instead");
    }
    if (item.aggregate == Aggregate::kPercentileCont) {
      const VariableCodec* v = layout.FindVariable(item.column);
      if (c == nullptr || v == nullptr || c->bins.size() < 2) {
        return Status::InvalidArgument("query: " + call + ": '" + item.column +
                                       "' has no bins in the owner's schema");
      }
      if (!BinsCoverBounds(*c)) {
        return Status::InvalidArgument(
            "query: " + call + ": the bins of " + item.column + ", [" +
            FormatEdge(c->bins.front()) + ", " + FormatEdge(c->bins.back()) +
            "), do not cover its bounds " + BoundsText(schema, *v) +
            ", so the values outside them are not ranked; widen the first and last edges (-inf "
            "and inf are allowed) and re-encrypt");
      }
    }
    if (spec->exact_only && item.aggregate != Aggregate::kChisq && c != nullptr && c->date()) {
      return Status::InvalidArgument("query: " + call + ": '" + item.column +
                                     "' is a date; use a \"days_between\" column (a duration)");
    }
    if (item.aggregate == Aggregate::kProportionCi) {
      const VariableCodec* v = layout.FindVariable(item.column);
      if (v == nullptr || v->range != 1 || v->min_fixed != 0 || v->decimals != 0) {
        return Status::InvalidArgument("query: " + call + ": '" + item.column +
                                       "' is not a 0/1 column; AVG_CI(" + item.column +
                                       ") gives a mean's interval");
      }
    }
  }
  if (across_groups) {
    return DecodeComparison(schema, layout, plan, std::move(groups), dataset_records, options);
  }
  const Column* group_col =
      plan.private_group.empty() ? nullptr : schema.FindColumn(plan.private_group);
  const int levels = group_col ? static_cast<int>(group_col->levels.size()) : 0;

  // SQL: an aggregate without GROUP BY yields one row even over no records.
  if (groups.empty() && plan.query.group_by.empty()) {
    GroupSums zero;
    zero.plaintexts.resize(plan.ciphertexts.size());
    groups.push_back(std::move(zero));
  }

  // Differential privacy: the noise of each slot read, and its source (decode.h).
  std::optional<Mechanisms> mechanisms;
  BufferedSodiumUniform sodium;
  const UniformBelow uniform = options.noise_source ? options.noise_source : sodium.Source();
  if (options.epsilon) {
    CS_ASSIGN_OR_RETURN(mechanisms, NoiseMechanisms(layout, plan, *options.epsilon));
    table.epsilon = options.epsilon;
  }

  const int count_slot = layout.Find(SlotKind::kCount, "");
  BigInt total;
  std::vector<RowCounts> row_counts;
  for (const GroupSums& g : groups) {
    if (g.plaintexts.size() != plan.ciphertexts.size()) {
      return Status::Corruption("result: a group carries the wrong number of sums");
    }
    // Checks read the exact sums; cells, the noisy ones (the same view without DP).
    const GroupView exact(layout, plan, g);
    std::map<int, BigInt> noise;
    if (mechanisms) {
      for (const auto& [index, mechanism] : *mechanisms) noise[index] = mechanism.Sample(uniform);
    }
    const GroupView view(layout, plan, g, mechanisms ? &noise : nullptr);
    const BigInt group_count = exact.Slot(count_slot);
    if (group_count != g.records) {
      return Status::Corruption("result: a group's encrypted record count (" +
                                group_count.ToDecimal() + ") differs from the " +
                                std::to_string(g.records) +
                                " records the compute party reported; records were dropped or "
                                "duplicated");
    }
    total += group_count;

    std::vector<int> row_levels;
    if (group_col == nullptr) {
      row_levels.push_back(kWholeGroup);
    } else {
      for (int l = 0; l < levels; ++l) row_levels.push_back(l);
      row_levels.push_back(kNullLevel);
    }
    // The row's records as `v` gives them: the group's, a level's, or the rest.
    auto row_records = [&](const GroupView& v, int level) {
      auto level_count = [&](int l) {
        return v.Slot(layout.Find(SlotKind::kLevel, plan.private_group, "", l));
      };
      if (level >= 0) return level_count(level);
      BigInt n = v.Slot(count_slot);
      for (int l = 0; l < levels; ++l) n -= level_count(l);
      return n;
    };
    for (int level : row_levels) {
      std::vector<BigInt> supports;
      const GroupRow checked(layout, exact, plan.private_group, levels, level,
                             row_records(exact, level), &supports);
      BigInt row_count = row_records(view, level);
      if (row_count.sign() < 0) row_count = BigInt();  // noisy: released as 0
      const GroupRow row(layout, view, plan.private_group, levels, level, row_count, &supports,
                         mechanisms ? &*mechanisms : nullptr);
      RowCounts counts;
      std::string name;
      for (const std::string& column : plan.query.group_by) {
        const Cell key = GroupKeyCell(plan, group_col, level, g, column);
        counts.key.push_back(key.kind == Cell::Kind::kText ? std::optional(key.text)
                                                           : std::nullopt);
        name += (name.empty() ? "" : ", ") + column + "=" + counts.key.back().value_or("NULL");
      }
      CS_RETURN_IF_ERROR(CheckRow(schema, layout, plan, table, checked, group_count, name));
      if (group_col != nullptr && row_count == 0) continue;  // SQL shows no empty group
      RowPopulation population;
      for (const Condition& c : plan.query.where) {
        population.predicates.push_back(ReleasePredicate(c.column, c.op, c.literal));
      }
      for (size_t k = 0; k < plan.query.group_by.size(); ++k) {
        const std::string& column = plan.query.group_by[k];
        population.predicates.push_back(
            counts.key[k] ? ReleasePredicate(column, "=", *counts.key[k]) : column + " IS NULL");
      }
      std::sort(population.predicates.begin(), population.predicates.end());
      // With differential privacy, the noisy count released (the ledger compares what was
      // shown; a decision on the exact count here would not be post-processing).
      population.records = static_cast<uint64_t>(*row_count.ToLong());

      std::vector<Cell> cells;
      for (const SelectItem& item : plan.query.items) {
        if (item.aggregate == Aggregate::kNone) {
          cells.push_back(GroupKeyCell(plan, group_col, level, g, item.column));
          continue;
        }
        ItemContext context = PlanningContext(item, plan.private_group, catalog, layout);
        context.schema_column = schema.FindColumn(item.column);
        context.level = options.level;
        context.min_cell = options.min_cell;
        for (Cell& cell : FindAggregate(item.aggregate)->decode(context, row)) {
          cells.push_back(std::move(cell));
        }
      }
      // The support of each aggregate cell, in column order (checked above: 0 <= it <= the
      // row's records).
      size_t next = 0;
      for (const ColumnInfo& info : table.column_info) {
        if (info.aggregate == Aggregate::kNone) {
          counts.supports.push_back(std::nullopt);
          continue;
        }
        const std::optional<long> support =
            next < supports.size() ? supports[next++].ToLong() : std::nullopt;
        if (!support || *support < 0) {
          return Status::Corruption("decode: a cell of row " + name + " has no support");
        }
        counts.supports.push_back(static_cast<uint64_t>(*support));
      }
      counts.null_group = level == kNullLevel;
      counts.records = population.records;
      counts.earlier_release = CombinesWithEarlier(population, options);
      row_counts.push_back(std::move(counts));
      table.rows.push_back(std::move(cells));
      table.populations.push_back(std::move(population));
    }
  }
  if (plan.filters.empty() && total != dataset_records) {
    return Status::Corruption(
        "result covers " + total.ToDecimal() + " records but the dataset manifest lists " +
        std::to_string(dataset_records) + ": records were dropped or duplicated");
  }
  if (table.epsilon) table.dataset_records = 0;  // withheld: the counts released are noisy
  ApplyDisclosureRules(schema, layout, plan, row_counts, &table);
  return table;
}

Result<DatasetFacts> ResultFacts(const EncryptedResult& result, const crypto::VerifyKey& owner,
                                 bool allow_unsigned) {
  Result<DatasetFacts> facts = Status::OK();
  if (result.manifest_signature.empty()) {
    if (!allow_unsigned) {
      return Status::InvalidArgument(
          "result: its dataset is not signed by the data owner (encrypted with --public-only?), "
          "so its schema and record count cannot be trusted; pass --allow-unsigned to decode "
          "with the compute party's unauthenticated copies");
    }
    if (result.manifest_content.empty())
      return Status::Corruption("result: an unsigned dataset's result without its manifest");
    facts = ParseManifestContent(result.manifest_content);
  } else {
    facts = VerifyManifestSignature(result.manifest_signature, owner);
  }
  if (!facts.ok()) return facts.status().WithContext("result");
  // The copies the compute party wrote beside the facts must agree with them: a mismatch
  // means the result was edited, and is reported rather than silently corrected.
  if (facts->key_fingerprint != result.key_fingerprint) {
    return Status::Corruption("result: key fingerprint differs from the owner's signed manifest");
  }
  if (facts->catalog != result.catalog || facts->sealed_schema != result.sealed_schema) {
    return Status::Corruption("result: its catalog differs from the owner's signed manifest");
  }
  if (nlohmann::json::parse(facts->layout_json, nullptr, false) !=
      nlohmann::json::parse(result.layout_json, nullptr, false)) {
    return Status::Corruption("result: its slot layout differs from the owner's signed manifest");
  }
  if (facts->record_count != result.dataset_records) {
    return Status::Corruption("result: claims " + std::to_string(result.dataset_records) +
                              " dataset records, the owner's signed manifest lists " +
                              std::to_string(facts->record_count));
  }
  return facts;
}

namespace {

// OK when `pk` is the key the signed facts name.
Status CheckKey(const crypto::PublicKey& pk, const DatasetFacts& facts) {
  if (pk.Fingerprint() == facts.key_fingerprint) return Status::OK();
  return Status::InvalidArgument("wrong key: the result was computed under key " +
                                 facts.key_fingerprint.substr(0, 16) + "…, this key is " +
                                 pk.Fingerprint().substr(0, 16) + "…");
}

}  // namespace

Result<std::vector<crypto::Ciphertext>> CiphertextsToDecrypt(const crypto::PublicKey& pk,
                                                             const DatasetFacts& facts,
                                                             const EncryptedResult& result) {
  std::vector<crypto::Ciphertext> out;
  for (const EncryptedGroup& g : result.groups) {
    for (const crypto::Ciphertext& c : g.sums) out.push_back(c);
  }
  auto key = crypto::SealedKey(pk, facts.sealed_schema);
  if (!key.ok()) return key.status().WithContext("result");
  out.push_back(std::move(key).value());
  return out;
}

Result<OwnerSecrets> OpenFactsSecrets(const crypto::PublicKey& pk, const DatasetFacts& facts,
                                      const SumDecryptor& decrypt) {
  CS_RETURN_IF_ERROR(CheckKey(pk, facts));
  auto key_ciphertext = crypto::SealedKey(pk, facts.sealed_schema);
  if (!key_ciphertext.ok()) return key_ciphertext.status().WithContext("result");
  CS_ASSIGN_OR_RETURN(BigInt key, decrypt(*key_ciphertext));
  auto secrets = OpenOwnerSecrets(pk, facts.sealed_schema, key, facts.catalog, facts.layout_json,
                                  facts.public_tuples.size());
  if (!secrets.ok()) return secrets.status().WithContext("result");
  if (secrets->schema.name != facts.name) {
    return Status::Corruption("result: the sealed schema is for dataset '" + secrets->schema.name +
                              "', not '" + facts.name + "'");
  }
  return secrets;
}

Result<ResultTable> DecodeResult(const crypto::PublicKey& pk, const DatasetFacts& facts,
                                 const OwnerSecrets& secrets,
                                 const std::vector<ExpectedGroup>& expected,
                                 const EncryptedResult& result, const SumDecryptor& decrypt,
                                 const ReleaseOptions& options) {
  CS_RETURN_IF_ERROR(CheckKey(pk, facts));
  const Schema& schema = secrets.schema;
  CS_ASSIGN_OR_RETURN(Layout layout, Layout::Build(schema, static_cast<int>(pk.plaintext_bits())));
  CS_RETURN_IF_ERROR(layout.CheckMatches(facts.layout_json).WithContext("result"));
  CS_ASSIGN_OR_RETURN(Plan plan, MakePlan(result.sql, CatalogOf(schema), layout));
  // CheckResultShape made `expected` from the same query under the signed catalog and layout,
  // which the schema was just checked to produce.
  if (plan.ciphertexts != result.ciphertexts || expected.size() != result.groups.size()) {
    return Status::Corruption("result failed verification: its shape was not checked");
  }
  const Authenticator tags(secrets.tag_key, layout);
  std::vector<GroupSums> groups;
  for (size_t i = 0; i < result.groups.size(); ++i) {
    const EncryptedGroup& g = result.groups[i];
    GroupSums sums;
    sums.key = g.key;
    sums.records = g.records;
    for (const crypto::Ciphertext& c : g.sums) {
      CS_ASSIGN_OR_RETURN(BigInt m, decrypt(c));
      sums.plaintexts.push_back(std::move(m));
    }
    CS_RETURN_IF_ERROR(CheckSums(tags, plan, expected[i], secrets.tuple_randoms, sums.plaintexts));
    groups.push_back(std::move(sums));
  }
  CS_ASSIGN_OR_RETURN(ResultTable table, DecodeSums(schema, layout, plan, std::move(groups),
                                                    facts.record_count, options));
  table.key_fingerprint = facts.key_fingerprint;
  table.dataset_id = facts.dataset_id;
  table.dataset_created_utc = facts.created_utc;
  if (!table.epsilon) table.dataset_rows_read = facts.rows_read;
  return table;
}

Result<ResultTable> EvaluatePlaintext(const Schema& schema, int plaintext_bits,
                                      const std::string& sql, const std::string& clean_csv,
                                      const ReleaseOptions& options) {
  CS_ASSIGN_OR_RETURN(const Layout layout, Layout::Build(schema, plaintext_bits));
  CS_ASSIGN_OR_RETURN(Plan plan, MakePlan(sql, CatalogOf(schema), layout));
  CsvReader reader;
  std::vector<std::string> header, row;
  bool eof = false;
  CS_RETURN_IF_ERROR(reader.OpenWithHeader(clean_csv, &header));
  CS_ASSIGN_OR_RETURN(RecordEncoder encoder, RecordEncoder::Create(schema, layout, header));
  std::map<std::vector<std::string>, GroupSums> groups;
  std::vector<BigInt> plaintexts;
  std::vector<std::string> public_values;
  uint64_t records = 0;
  while (true) {
    CS_RETURN_IF_ERROR(reader.Next(&row, &eof));
    if (eof) break;
    Status s = encoder.Encode(row, &plaintexts, &public_values);
    if (!s.ok()) return s.WithContext(clean_csv + " line " + std::to_string(reader.line()));
    ++records;
    std::vector<std::string_view> views(public_values.begin(), public_values.end());
    if (!PassesFilters(plan, views)) continue;
    std::vector<std::string> key;
    for (int idx : plan.group_public) key.push_back(public_values[static_cast<size_t>(idx)]);
    GroupSums& g = groups[key];
    if (g.plaintexts.empty()) {
      g.key = key;
      g.plaintexts.resize(plan.ciphertexts.size());
    }
    ++g.records;
    for (size_t i = 0; i < plan.ciphertexts.size(); ++i) {
      const BigInt& p = plaintexts[static_cast<size_t>(plan.ciphertexts[i])];
      g.plaintexts[i] += p;
    }
  }
  std::vector<GroupSums> list;
  for (auto& [key, g] : groups) list.push_back(std::move(g));
  return DecodeSums(schema, layout, plan, std::move(list), records, options);
}

}  // namespace cipherstat
