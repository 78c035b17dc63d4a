#include "query/compare.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace cipherstat {

namespace {

SelectItem Item(Aggregate aggregate, const std::string& column) {
  const std::string label = aggregate == Aggregate::kNone ? column
                            : column.empty()              ? AggregateName(aggregate) + "(*)"
                                             : AggregateName(aggregate) + "(" + column + ")";
  return {.aggregate = aggregate, .column = column, .label = label};
}

// One group of the per-group table: its name ("sex=1"), its cells after the GROUP BY values,
// and for CHISQ over levels the level of y ("" when the row is one group).
struct GroupRowCells {
  std::string name;
  std::string y_level;
  std::vector<Cell> cells;
};

struct PerGroup {
  std::vector<GroupRowCells> rows;  // groups with every GROUP BY value present, in table order
  std::string hidden;               // the first row with a hidden cell, or ""
  uint64_t records = 0;             // records in `rows`
  ResultTable header;               // the per-group table without its columns and rows
};

// Decodes `items` per group (the GROUP BY's columns first; `y`, when given, grouped by too),
// through DecodeSums and its disclosure rules.
Result<PerGroup> DecodePerGroup(const Schema& schema, const Layout& layout, const Plan& plan,
                                const std::vector<GroupSums>& groups, uint64_t dataset_records,
                                const ReleaseOptions& options, const std::string& y,
                                const std::vector<SelectItem>& items) {
  Plan inner = plan;
  if (!y.empty()) {
    inner.query.group_by.push_back(y);
    inner.private_group = y;
  }
  inner.query.items.clear();
  for (const std::string& g : inner.query.group_by)
    inner.query.items.push_back(Item(Aggregate::kNone, g));
  const size_t keys = inner.query.items.size();
  for (const SelectItem& item : items) inner.query.items.push_back(item);
  CS_ASSIGN_OR_RETURN(const ResultTable table,
                      DecodeSums(schema, layout, inner, groups, dataset_records, options));
  PerGroup out;
  out.header.sql = table.sql;
  out.header.dataset_name = table.dataset_name;
  out.header.dataset_records = table.dataset_records;
  out.header.min_cell = table.min_cell;
  const size_t dims = plan.query.group_by.size();
  for (const std::vector<Cell>& row : table.rows) {
    GroupRowCells group;
    bool null_key = false;
    for (size_t k = 0; k < dims; ++k) {
      null_key = null_key || row[k].kind != Cell::Kind::kText;
      group.name += (group.name.empty() ? "" : ", ") + plan.query.group_by[k] + "=" +
                    (row[k].kind == Cell::Kind::kText ? row[k].text : "NULL");
    }
    for (const Cell& cell : row) {
      if (cell.kind == Cell::Kind::kSuppressed && out.hidden.empty()) {
        out.hidden = group.name + (y.empty() || row[dims].kind != Cell::Kind::kText
                                       ? ""
                                       : ", " + y + "=" + row[dims].text);
      }
    }
    if (null_key) continue;
    if (!y.empty()) {
      if (row[dims].kind != Cell::Kind::kText) {
        // Records missing y: in the population, not in the table of counts.
        if (std::optional<double> n = CellNumber(row[keys]))
          out.records += static_cast<uint64_t>(*n);
        continue;
      }
      group.y_level = row[dims].text;
    }
    group.cells.assign(row.begin() + static_cast<long>(keys), row.end());
    if (std::optional<double> n = CellNumber(group.cells[0])) {
      out.records += static_cast<uint64_t>(*n);
    }
    out.rows.push_back(std::move(group));
  }
  return out;
}

std::string Call(const SelectItem& item) {
  std::string name = AggregateName(item.aggregate);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name + "(" + item.column + ")";
}

std::string GroupByText(const Plan& plan) {
  std::string out;
  for (const std::string& g : plan.query.group_by) out += (out.empty() ? "" : ", ") + g;
  return out;
}

struct Moments {
  double n = 0, mean = 0;
  std::optional<double> variance;
};

// Welch: t = (m1 − m2)/√(v1/n1 + v2/n2), df by Welch–Satterthwaite, p two-sided.
std::vector<Cell> Welch(const Moments& a, const Moments& b) {
  if (!a.variance || !b.variance) return {Cell::Null(), Cell::Null(), Cell::Null()};
  const double ea = *a.variance / a.n, eb = *b.variance / b.n;
  if (ea + eb <= 0) return {Cell::Null(), Cell::Null(), Cell::Null()};
  const double t = (a.mean - b.mean) / std::sqrt(ea + eb);
  const double df = (ea + eb) * (ea + eb) / (ea * ea / (a.n - 1) + eb * eb / (b.n - 1));
  const double p =
      2 * boost::math::cdf(boost::math::complement(boost::math::students_t(df), std::fabs(t)));
  return {Cell::Real(t), Cell::Real(df), Cell::Real(p)};
}

// F = (Σ n_i (m_i − m)² / (k − 1)) / (Σ (n_i − 1) v_i / (N − k)).
std::vector<Cell> Anova(const std::vector<Moments>& groups) {
  const std::vector<Cell> none = {Cell::Null(), Cell::Null(), Cell::Null(), Cell::Null()};
  double n = 0, sum = 0;
  for (const Moments& g : groups) {
    n += g.n;
    sum += g.n * g.mean;
  }
  const double k = static_cast<double>(groups.size()), mean = sum / n;
  double between = 0, within = 0;
  for (const Moments& g : groups) {
    between += g.n * (g.mean - mean) * (g.mean - mean);
    within += g.variance ? (g.n - 1) * *g.variance : 0;
  }
  if (n - k < 1 || within <= 0) return none;
  const double df1 = k - 1, df2 = n - k;
  const double f = (between / df1) / (within / df2);
  const double p = boost::math::cdf(boost::math::complement(boost::math::fisher_f(df1, df2), f));
  return {Cell::Real(f), Cell::Integer(static_cast<int64_t>(df1)),
          Cell::Integer(static_cast<int64_t>(df2)), Cell::Real(p)};
}

// Σ (O − E)²/E with E = row total · column total / N; df = (r − 1)(c − 1).
std::vector<Cell> ChiSquare(const std::vector<std::vector<double>>& counts) {
  const std::vector<Cell> none = {Cell::Null(), Cell::Null(), Cell::Null()};
  const size_t rows = counts.size(), columns = rows ? counts[0].size() : 0;
  std::vector<double> row_total(rows), column_total(columns);
  double n = 0;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < columns; ++j) {
      row_total[i] += counts[i][j];
      column_total[j] += counts[i][j];
      n += counts[i][j];
    }
  }
  if (rows < 2 || columns < 2) return none;
  for (double t : row_total)
    if (t <= 0) return none;
  for (double t : column_total)
    if (t <= 0) return none;
  double statistic = 0;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < columns; ++j) {
      const double expected = row_total[i] * column_total[j] / n;
      statistic += (counts[i][j] - expected) * (counts[i][j] - expected) / expected;
    }
  }
  const double df = static_cast<double>((rows - 1) * (columns - 1));
  const double p =
      boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), statistic));
  return {Cell::Real(statistic), Cell::Integer(static_cast<int64_t>(df)), Cell::Real(p)};
}

// The log-rank test (R's survdiff, rho = 0) from each group's at-risk and event counts per
// bin, bins as distinct times: O − E and its covariance V summed over the bins with events,
// chi2 = (O − E)ᵀ V⁻¹ (O − E) over all groups but the last, df = groups − 1.
std::vector<Cell> Logrank(std::vector<std::vector<double>> at_risk,
                          std::vector<std::vector<double>> events) {
  const std::vector<Cell> none = {Cell::Null(), Cell::Null(), Cell::Null()};
  const size_t bins = at_risk.empty() ? 0 : at_risk[0].size();
  // Totals per bin, and each group's expected events; as survdiff, groups expecting none (all
  // gone before the first event) are left out, and df counts the groups kept.
  std::vector<double> n(bins), d(bins);
  for (size_t g = 0; g < at_risk.size(); ++g) {
    for (size_t b = 0; b < bins; ++b) {
      n[b] += at_risk[g][b];
      d[b] += events[g][b];
    }
  }
  for (size_t g = at_risk.size(); g-- > 0;) {
    double expected = 0;
    for (size_t b = 0; b < bins; ++b)
      if (n[b] > 0) expected += d[b] * at_risk[g][b] / n[b];
    if (expected > 0) continue;
    at_risk.erase(at_risk.begin() + static_cast<long>(g));
    events.erase(events.begin() + static_cast<long>(g));
  }
  const size_t k = at_risk.size();
  if (k < 2) return none;
  std::vector<double> observed_minus_expected(k);
  std::vector<std::vector<double>> v(k, std::vector<double>(k));
  for (size_t b = 0; b < bins; ++b) {
    if (d[b] <= 0 || n[b] <= 0) continue;
    for (size_t g = 0; g < k; ++g) {
      observed_minus_expected[g] += events[g][b] - d[b] * at_risk[g][b] / n[b];
      if (n[b] <= 1) continue;
      for (size_t h = 0; h < k; ++h) {
        v[g][h] += d[b] * (n[b] - d[b]) / (n[b] - 1) * at_risk[g][b] / n[b] *
                   ((g == h ? 1.0 : 0.0) - at_risk[h][b] / n[b]);
      }
    }
  }
  // Solve V' x = (O − E)' on the first k − 1 groups (Gauss–Jordan, partial pivoting; a pivot
  // below 1e-10 of the largest diagonal entry means V' is singular).
  const size_t m = k - 1;
  double scale = 0;
  for (size_t i = 0; i < m; ++i) scale = std::max(scale, std::fabs(v[i][i]));
  std::vector<std::vector<double>> a(m, std::vector<double>(m + 1));
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < m; ++j) a[i][j] = v[i][j];
    a[i][m] = observed_minus_expected[i];
  }
  for (size_t col = 0; col < m; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < m; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    if (!(std::fabs(a[pivot][col]) > 1e-10 * scale)) return none;
    std::swap(a[pivot], a[col]);
    for (size_t r = 0; r < m; ++r) {
      if (r == col) continue;
      const double factor = a[r][col] / a[col][col];
      for (size_t j = col; j <= m; ++j) a[r][j] -= factor * a[col][j];
    }
  }
  double statistic = 0;
  for (size_t i = 0; i < m; ++i) statistic += observed_minus_expected[i] * a[i][m] / a[i][i];
  const double df = static_cast<double>(m);
  const double p =
      boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), statistic));
  return {Cell::Real(statistic), Cell::Integer(static_cast<int64_t>(m)), Cell::Real(p)};
}

Status TooFewGroups(const SelectItem& item, const Plan& plan, size_t groups, size_t needed) {
  return Status::InvalidArgument("query: " + Call(item) + " needs at least " +
                                 std::to_string(needed) + " groups; GROUP BY " + GroupByText(plan) +
                                 " gives " + std::to_string(groups));
}

// The statistic's cells for one item, from its per-group table.
Result<std::vector<Cell>> Statistic(const Schema& schema, const Layout& layout, const Plan& plan,
                                    const SelectItem& item, const PerGroup& table) {
  if (item.aggregate == Aggregate::kLogrank) {
    // COUNT(*), then AT_RISK and EVENTS per bin: a group followed by no one is left out.
    const size_t bins = (table.rows.empty() ? 1 : table.rows[0].cells.size() - 1) / 2;
    std::vector<std::vector<double>> at_risk, events;
    for (const GroupRowCells& row : table.rows) {
      std::vector<double> n(bins), d(bins);
      for (size_t b = 0; b < bins; ++b) {
        n[b] = CellNumber(row.cells[1 + b]).value_or(0);
        d[b] = CellNumber(row.cells[1 + bins + b]).value_or(0);
      }
      if (bins == 0 || n[0] <= 0) continue;
      at_risk.push_back(std::move(n));
      events.push_back(std::move(d));
    }
    if (at_risk.size() < 2) return TooFewGroups(item, plan, at_risk.size(), 2);
    return Logrank(std::move(at_risk), std::move(events));
  }
  if (item.aggregate == Aggregate::kChisq) {
    // Rows: the groups in table order; columns: the values of y.
    std::vector<std::string> row_names, column_names;
    std::map<std::pair<size_t, size_t>, double> cells;
    auto index = [](std::vector<std::string>& names, const std::string& name) {
      for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return i;
      names.push_back(name);
      return names.size() - 1;
    };
    const VariableCodec* v = layout.FindVariable(item.column);
    const bool levels = ChisqReadsLevels(CatalogOf(schema), item.column, plan.private_group);
    for (const GroupRowCells& row : table.rows) {
      const size_t i = index(row_names, row.name);
      if (levels) {
        cells[{i, index(column_names, row.y_level)}] += CellNumber(row.cells[0]).value_or(0);
        continue;
      }
      // COUNT(*), COUNT(y), SUM(y) of a 0/1 y: y takes min and min + 1 (fixed-point units).
      const double n = CellNumber(row.cells[1]).value_or(0);
      const double sum = CellNumber(row.cells[2]).value_or(0);
      const double ones =
          std::round(sum * std::pow(10.0, v->decimals)) - n * static_cast<double>(v->min_fixed);
      cells[{i, index(column_names, "0")}] += n - ones;
      cells[{i, index(column_names, "1")}] += ones;
    }
    if (row_names.size() < 2) return TooFewGroups(item, plan, row_names.size(), 2);
    std::vector<std::vector<double>> counts(row_names.size(),
                                            std::vector<double>(column_names.size()));
    for (const auto& [at, count] : cells) counts[at.first][at.second] = count;
    return ChiSquare(counts);
  }
  std::vector<Moments> groups;
  for (const GroupRowCells& row : table.rows) {
    // COUNT(*), COUNT(x), AVG(x), VAR_SAMP(x): a group without values of x is left out.
    Moments m;
    m.n = CellNumber(row.cells[1]).value_or(0);
    if (m.n <= 0) continue;
    m.mean = CellNumber(row.cells[2]).value_or(0);
    m.variance = CellNumber(row.cells[3]);
    groups.push_back(m);
  }
  if (item.aggregate == Aggregate::kTtest) {
    if (groups.size() != 2) {
      return Status::InvalidArgument(
          "query: " + Call(item) + " compares two groups; GROUP BY " + GroupByText(plan) +
          " gives " + std::to_string(groups.size()) +
          (groups.size() > 2 ? ": use ANOVA(" + item.column +
                                   ") to compare more than two, or a WHERE that keeps two"
                             : ""));
    }
    return Welch(groups[0], groups[1]);
  }
  if (groups.size() < 2) return TooFewGroups(item, plan, groups.size(), 2);
  return Anova(groups);
}

}  // namespace

Result<ResultTable> DecodeComparison(const Schema& schema, const Layout& layout, const Plan& plan,
                                     std::vector<GroupSums> groups, uint64_t dataset_records,
                                     const ReleaseOptions& options) {
  ResultTable table;
  const Catalog catalog = CatalogOf(schema);

  std::vector<Cell> row;
  std::string hidden;
  std::optional<uint64_t> records;
  for (const SelectItem& item : plan.query.items) {
    const std::string& x = item.column;
    std::string y;
    std::vector<SelectItem> items = {Item(Aggregate::kCountStar, "")};
    if (item.aggregate == Aggregate::kChisq) {
      if (ChisqReadsLevels(catalog, x, plan.private_group)) {
        y = x;
      } else {
        const VariableCodec* v = layout.FindVariable(x);
        if (v == nullptr || v->range != 1) {
          return Status::InvalidArgument(
              "query: " + Call(item) + ": '" + x + "' takes more than two values; " +
              (plan.private_group.empty()
                   ? std::string("CHISQ tests a categorical column or a 0/1 one")
                   : "by a private column, CHISQ tests a 0/1 column; make '" + plan.private_group +
                         "' public to test the levels of '" + x + "'"));
        }
        items.push_back(Item(Aggregate::kCount, x));
        items.push_back(Item(Aggregate::kSum, x));
      }
    } else if (item.aggregate != Aggregate::kLogrank) {
      items.push_back(Item(Aggregate::kCount, x));
      items.push_back(Item(Aggregate::kAvg, x));
      items.push_back(Item(Aggregate::kVarSamp, x));
    }
    CS_ASSIGN_OR_RETURN(PerGroup per_group, DecodePerGroup(schema, layout, plan, groups,
                                                           dataset_records, options, y, items));
    if (item.aggregate == Aggregate::kLogrank && per_group.hidden.empty()) {
      // The test reads every group's life table down to its last bin, where few remain at
      // risk: decoded without suppression, never released. The groups' record counts above
      // decide whether the test is hidden.
      ReleaseOptions unreleased = options;
      unreleased.min_cell = 0;
      unreleased.earlier.clear();
      for (Aggregate a : {Aggregate::kAtRisk, Aggregate::kEvents}) {
        SelectItem counts = item;
        counts.aggregate = a;
        items.push_back(counts);
      }
      CS_ASSIGN_OR_RETURN(
          const PerGroup life,
          DecodePerGroup(schema, layout, plan, groups, dataset_records, unreleased, y, items));
      per_group.rows = life.rows;
    }
    if (!records) table = per_group.header;  // the first: what DecodeSums fills in
    if (hidden.empty()) hidden = per_group.hidden;
    if (!records) records = per_group.records;
    if (!hidden.empty()) {  // hidden below, whatever its value
      row.resize(row.size() + FindAggregate(item.aggregate)->parts.size());
      continue;
    }
    CS_ASSIGN_OR_RETURN(std::vector<Cell> cells, Statistic(schema, layout, plan, item, per_group));
    for (Cell& cell : cells) row.push_back(std::move(cell));
  }

  SetResultColumns(plan.query, schema, &table);
  RowPopulation population;
  for (const Condition& c : plan.query.where) {
    population.predicates.push_back(ReleasePredicate(c.column, c.op, c.literal));
  }
  for (const std::string& g : plan.query.group_by) {
    population.predicates.push_back(g + " IS NOT NULL");
  }
  std::sort(population.predicates.begin(), population.predicates.end());
  population.records = records.value_or(0);
  const std::string earlier = CombinesWithEarlier(population, options);
  for (Cell& cell : row) {
    if (!hidden.empty()) {
      cell = Cell::Complementary("over hidden group " + hidden);
    } else if (!earlier.empty()) {
      cell = Cell::EarlierRelease(earlier);
    }
  }
  table.rows.push_back(std::move(row));
  table.populations.push_back(std::move(population));
  return table;
}

}  // namespace cipherstat
