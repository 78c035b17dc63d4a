#include "pipeline/table1.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "pipeline/report.h"
#include "query/plan.h"
#include "report/render.h"

namespace cipherstat::pipeline {

namespace {

constexpr const char* kWhere = "table 1";

// A GROUP BY value: its text, or nullopt for the NULL group.
std::optional<std::string> Key(const Cell& cell) {
  if (cell.kind == Cell::Kind::kText) return cell.text;
  if (cell.kind == Cell::Kind::kInteger || cell.kind == Cell::Kind::kReal) return CellText(cell);
  return std::nullopt;
}

// The planner's reason without its "query: " prefix.
std::string Reason(const Status& s) {
  std::string m = s.message();
  if (m.rfind("query: ", 0) == 0) m = m.substr(7);
  return m;
}

// Two counts both released and different (a hidden one tells nothing either way).
bool Differ(const Cell& a, const Cell& b) {
  const std::optional<double> x = CellNumber(a), y = CellNumber(b);
  return x && y && *x != *y;
}

// A whole number written as a real (a SUM) as an integer, so that it reads as a count.
Cell AsCount(Cell cell) {
  if (cell.kind == Cell::Kind::kReal && std::isfinite(cell.real) &&
      cell.real == std::round(cell.real) && std::fabs(cell.real) < 9e15) {
    cell.kind = Cell::Kind::kInteger;
    cell.integer = static_cast<int64_t>(cell.real);
  }
  return cell;
}

std::string Table1Bound(double b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", b);
  return buf;
}

std::string Percentile(const char* p, const std::string& x) {
  return std::string("PERCENTILE_CONT(") + p + ") WITHIN GROUP (ORDER BY " + x + ")";
}

enum class RowKind { kNumeric, kMedian, kIndicator, kCategorical };

struct Candidate {
  std::string name;
  RowKind kind = RowKind::kNumeric;
  bool listed = false;              // named by the user: refused rather than skipped
  std::string select;               // the figures' items (after the group values)
  std::string by;                   // extra GROUP BY column (categorical: the column itself)
  size_t grouped = 0, overall = 0;  // indices into the figures' queries
  std::optional<size_t> test;       // index into the tests' queries
  std::string test_name;
};

class Builder {
 public:
  Builder(const Dataset& dataset, Decryptor& decryptor, const Table1Spec& spec,
          const ReleaseRules& rules, const audit::Trail* ledger, Engine& engine,
          const std::function<void(const std::string&)>& progress)
      : dataset_(dataset),
        decryptor_(decryptor),
        spec_(spec),
        rules_(rules),
        ledger_(ledger),
        engine_(engine),
        progress_(progress),
        table_name_(dataset.manifest.catalog.name),
        g_(spec.group) {}

  Result<Table1Run> Build() {
    if (rules_.cells.epsilon) {
      return Status::InvalidArgument(
          "table 1: refused with --dp-epsilon: its p-values and percentiles need exact sums; "
          "release AVG, STDDEV and COUNT with their noise through --queries instead");
    }
    Table1& t = run_.table;
    t.group = g_;
    CS_RETURN_IF_ERROR(Refusals());
    CS_RETURN_IF_ERROR(Counts());
    CS_ASSIGN_OR_RETURN(std::vector<Candidate> candidates, Candidates());
    CS_RETURN_IF_ERROR(Figures(&candidates));
    CS_RETURN_IF_ERROR(Tests(&candidates));
    return std::move(run_);
  }

 private:
  std::string From() const { return " FROM " + table_name_; }
  std::string Grouped(const std::string& items, const std::string& by = "") const {
    return "SELECT " + g_ + ", " + (by.empty() ? "" : by + ", ") + items + From() + " GROUP BY " +
           g_ + (by.empty() ? "" : ", " + by);
  }
  std::string Overall(const std::string& items, const std::string& by = "") const {
    return "SELECT " + (by.empty() ? "" : by + ", ") + items + From() +
           (by.empty() ? "" : " GROUP BY " + by);
  }
  size_t Columns() const { return groups_.size() + (spec_.overall ? 1 : 0); }

  Status Plans(const std::string& sql) const {
    return MakePlan(sql, dataset_.manifest.catalog, dataset_.layout).status();
  }

  Result<std::vector<ResultTable>> Release(const std::vector<std::string>& sqls) {
    std::vector<ReportQuery> queries;
    for (const std::string& sql : sqls) queries.push_back({"", sql, 0});
    if (queries.empty()) return std::vector<ResultTable>{};
    CS_ASSIGN_OR_RETURN(ReportRun r, RunReportQueries(dataset_, decryptor_, queries, kWhere, rules_,
                                                      ledger_, engine_, [&](size_t i) {
                                                        if (progress_) progress_(queries[i].sql);
                                                      }));
    std::vector<ResultTable> tables;
    for (ReportSection& s : r.sections) tables.push_back(std::move(s.table));
    for (const ReportQuery& q : queries) run_.table.queries.push_back(q.sql);
    if (!r.ledger_entries.empty()) {
      run_.ledger_entries += (run_.ledger_entries.empty() ? "" : "; ") + r.ledger_entries;
    }
    run_.schema = std::move(r.schema);
    run_.facts = std::move(r.facts);
    return tables;
  }

  // The group column's index of a row whose first cell is its g value; nullopt for NULL or a
  // group not in N's table.
  std::optional<size_t> GroupOf(const Cell& key) const {
    const std::optional<std::string> k = Key(key);
    if (!k) return std::nullopt;
    auto it = std::find(groups_.begin(), groups_.end(), *k);
    if (it == groups_.end()) return std::nullopt;
    return static_cast<size_t>(it - groups_.begin());
  }

  // Everything the user named that the catalog alone shows the dataset cannot answer, refused
  // before anything is released (the rows' kinds need the owner's schema, opened with round 1;
  // Candidates checks again with it).
  Status Refusals() const {
    const Catalog& catalog = dataset_.manifest.catalog;
    Status grouped = Plans(Grouped("COUNT(*)"));
    if (!grouped.ok()) {
      return Status::InvalidArgument("table 1: cannot group by '" + g_ + "': " + Reason(grouped));
    }
    auto listed = [](const std::vector<std::string>& list, const std::string& name) {
      return std::find(list.begin(), list.end(), name) != list.end();
    };
    std::vector<std::string> names = spec_.columns;
    for (const std::vector<std::string>* list : {&spec_.median, &spec_.categorical}) {
      for (const std::string& name : *list) {
        if (!spec_.columns.empty() && !listed(spec_.columns, name)) {
          return Status::InvalidArgument(std::string("table 1: ") +
                                         (list == &spec_.median ? "--median " : "--categorical ") +
                                         name + ": " + name + " is not among the table's columns");
        }
        if (!listed(names, name)) names.push_back(name);
      }
    }
    for (const std::string& name : names) {
      if (name == g_)
        return Status::InvalidArgument("table 1: " + name + " is the grouping column");
      const CatalogColumn* c = catalog.FindColumn(name);
      if (c == nullptr && !catalog.IsDerived(name)) {
        return Status::InvalidArgument("table 1: unknown column '" + name + "'");
      }
      if (c != nullptr &&
          (c->kind == ColumnKind::kIdentifier || c->kind == ColumnKind::kExcluded)) {
        return Status::InvalidArgument(
            "table 1: '" + name + "' is " +
            (c->kind == ColumnKind::kIdentifier ? "an identifier" : "excluded") +
            ": never encrypted or shipped");
      }
      std::string sql;
      if (listed(spec_.median, name)) {
        sql = Grouped("COUNT(" + name + "), " + Percentile("0.5", name));
      } else if (c != nullptr && (listed(spec_.categorical, name) || c->is_public ||
                                  c->kind == ColumnKind::kCategorical)) {
        sql = Grouped("COUNT(*)", name);
      } else {
        sql = Grouped("COUNT(" + name + "), SUM(" + name + ")");
      }
      Status planned = Plans(sql);
      if (!planned.ok()) {
        return Status::InvalidArgument("table 1: cannot show " + name + " by " + g_ + ": " +
                                       Reason(planned));
      }
    }
    return Status::OK();
  }

  // Round 1: N per group and overall; the groups; the owner's schema.
  Status Counts() {
    const std::string by_group = Grouped("COUNT(*)");
    Status planned = Plans(by_group);
    if (!planned.ok()) {
      return Status::InvalidArgument("table 1: cannot group by '" + g_ + "': " + Reason(planned));
    }
    std::vector<std::string> sqls = {by_group};
    if (spec_.overall) sqls.push_back(Overall("COUNT(*)"));
    CS_ASSIGN_OR_RETURN(std::vector<ResultTable> tables, Release(sqls));
    Table1& t = run_.table;
    t.facts = tables[0];
    t.facts.rows.clear();
    t.facts.populations.clear();
    Table1Row n{"N", false, Table1Stat::kCount, {}, Cell::Null(), ""};
    std::optional<Cell> missing;
    for (const std::vector<Cell>& row : tables[0].rows) {
      const std::optional<std::string> k = Key(row[0]);
      if (!k) {
        missing = row[1];
        continue;
      }
      groups_.push_back(*k);
      t.columns.push_back(g_ + " = " + *k);
      n.cells.push_back({row[1]});
    }
    if (spec_.overall) {
      t.columns.push_back("Overall");
      n.cells.push_back({tables[1].rows.at(0).at(0)});
    }
    group_n_ = n.cells;
    t.rows.push_back(std::move(n));
    if (missing && !(missing->kind == Cell::Kind::kInteger && missing->integer == 0)) {
      t.notes.push_back(CellText(*missing) + " records with no value of " + g_ +
                        (spec_.overall ? " are counted in Overall only" : " are left out"));
    }
    if (groups_.size() < 2) {
      t.notes.push_back("no tests: " + g_ + " has " + std::to_string(groups_.size()) + " group" +
                        (groups_.size() == 1 ? "" : "s"));
    }
    return Status::OK();
  }

  // Which columns, as what; refuses what the user named and the dataset cannot answer.
  Result<std::vector<Candidate>> Candidates() {
    const Schema& schema = run_.schema;
    std::vector<std::pair<std::string, bool>> names;  // name, listed
    if (spec_.columns.empty()) {
      for (const Column& c : schema.columns) {
        if (c.shipped() && c.name != g_) names.push_back({c.name, false});
      }
      for (const Derived& d : schema.derived) names.push_back({d.name, false});
    } else {
      for (const std::string& name : spec_.columns) names.push_back({name, true});
    }
    for (const auto& [flag, list] :
         {std::pair{"--median", &spec_.median}, std::pair{"--categorical", &spec_.categorical}}) {
      for (const std::string& m : *list) {
        if (std::none_of(names.begin(), names.end(), [&](const auto& n) { return n.first == m; })) {
          return Status::InvalidArgument(std::string("table 1: ") + flag + " " + m + ": " + m +
                                         " is not among the table's columns");
        }
      }
    }
    std::vector<Candidate> out;
    for (const auto& [name, listed] : names) {
      Candidate c;
      c.name = name;
      c.listed = listed;
      const Column* column = schema.FindColumn(name);
      const bool median =
          std::find(spec_.median.begin(), spec_.median.end(), name) != spec_.median.end();
      const bool levels = std::find(spec_.categorical.begin(), spec_.categorical.end(), name) !=
                          spec_.categorical.end();
      if (name == g_) {
        return Status::InvalidArgument("table 1: " + name + " is the grouping column");
      }
      if (column == nullptr && schema.FindDerived(name) == nullptr) {
        return Status::InvalidArgument("table 1: unknown column '" + name + "'");
      }
      if (column != nullptr && !column->shipped()) {
        return Status::InvalidArgument(
            "table 1: '" + name + "' is " +
            (column->kind == ColumnKind::kIdentifier ? "an identifier" : "excluded") +
            ": never encrypted or shipped");
      }
      if (median && levels) {
        return Status::InvalidArgument("table 1: " + name +
                                       " is in both --median and --categorical");
      }
      if (column == nullptr) {
        c.kind = RowKind::kIndicator;
      } else if (levels || column->kind == ColumnKind::kCategorical ||
                 (column->is_public && column->groupable())) {
        c.kind = RowKind::kCategorical;
      } else if (!column->date() && column->min == 0 && column->max == 1 && column->decimals == 0) {
        c.kind = RowKind::kIndicator;
      } else {
        c.kind = median ? RowKind::kMedian : RowKind::kNumeric;
      }
      if (median && c.kind != RowKind::kMedian) {
        return Status::InvalidArgument("table 1: --median " + name +
                                       ": not a numeric column (a median needs a private numeric "
                                       "column with histogram bins)");
      }
      switch (c.kind) {
        case RowKind::kNumeric:
          c.select = "COUNT(" + name + "), AVG(" + name + "), STDDEV(" + name + ")";
          break;
        case RowKind::kMedian:
          c.select = "COUNT(" + name + "), " + Percentile("0.5", name) + ", " +
                     Percentile("0.25", name) + ", " + Percentile("0.75", name);
          break;
        case RowKind::kIndicator:
          c.select = "COUNT(" + name + "), SUM(" + name + ")";
          break;
        case RowKind::kCategorical:
          c.select = "COUNT(*)";
          c.by = name;
          break;
      }
      Status planned = Plans(Grouped(c.select, c.by));
      if (planned.ok() && spec_.overall) planned = Plans(Overall(c.select, c.by));
      if (!planned.ok()) {
        if (listed || median || levels) {
          return Status::InvalidArgument("table 1: cannot show " + name + " by " + g_ + ": " +
                                         Reason(planned));
        }
        run_.table.notes.push_back(name + " skipped: " + Reason(planned));
        continue;
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  // Round 2: every row's figures.
  Status Figures(std::vector<Candidate>* candidates) {
    std::vector<std::string> sqls;
    for (Candidate& c : *candidates) {
      c.grouped = sqls.size();
      sqls.push_back(Grouped(c.select, c.by));
      if (spec_.overall) {
        c.overall = sqls.size();
        sqls.push_back(Overall(c.select, c.by));
      }
    }
    CS_ASSIGN_OR_RETURN(figures_, Release(sqls));
    for (Candidate& c : *candidates) {
      if (c.kind == RowKind::kCategorical) {
        LayOutLevels(c);
      } else {
        LayOutNumber(c);
      }
    }
    return Status::OK();
  }

  // Per column the cells of `table`'s row for each group (the first cells are g's value), then
  // its overall row; `from` is the first figure's column.
  std::vector<std::vector<Cell>> PerColumn(const Candidate& c, size_t from, size_t count) const {
    std::vector<std::vector<Cell>> cells(Columns(), std::vector<Cell>(count, Cell::Null()));
    for (const std::vector<Cell>& row : figures_[c.grouped].rows) {
      const std::optional<size_t> at = GroupOf(row[0]);
      if (!at) continue;
      cells[*at].assign(row.begin() + static_cast<long>(from),
                        row.begin() + static_cast<long>(from + count));
    }
    if (spec_.overall) {
      const std::vector<Cell>& row = figures_[c.overall].rows.at(0);
      cells.back().assign(row.begin() + static_cast<long>(from - 1),
                          row.begin() + static_cast<long>(from - 1 + count));
    }
    return cells;
  }

  void CountRowIfMissing(const Candidate& c, const std::vector<std::vector<Cell>>& counts) {
    bool differs = false;
    for (size_t col = 0; col < counts.size(); ++col) {
      differs = differs || Differ(counts[col][0], group_n_[col][0]);
    }
    if (!differs) return;
    Table1Row row{c.name + ", n with a value", false, Table1Stat::kCount, counts, Cell::Null(), ""};
    run_.table.rows.push_back(std::move(row));
  }

  void LayOutNumber(Candidate& c) {
    Table1& t = run_.table;
    // Columns after g: COUNT(x), then the figures.
    const std::vector<std::vector<Cell>> counts = PerColumn(c, 1, 1);
    Table1Row row;
    row.p = Cell::Null();
    switch (c.kind) {
      case RowKind::kNumeric:
        row.label = c.name + ", mean \u00b1 SD";
        row.stat = Table1Stat::kMeanSd;
        row.cells = PerColumn(c, 2, 2);
        break;
      case RowKind::kMedian: {
        row.label = c.name + ", median [IQR]";
        row.stat = Table1Stat::kMedianIqr;
        // p50, bound, p25, bound, p75, bound → p50, p25, p75, their bounds.
        double widest = 0;
        for (std::vector<Cell>& f : PerColumn(c, 2, 6)) {
          row.cells.push_back({f[0], f[2], f[4], f[1], f[3], f[5]});
          for (size_t i = 1; i < 6; i += 2) widest = std::max(widest, CellNumber(f[i]).value_or(0));
        }
        if (widest > 0) {
          t.notes.push_back(c.name +
                            ": medians and quartiles are interpolated within histogram bins; "
                            "each lies within \u00b1" +
                            Table1Bound(widest) + " of the exact value at most");
        }
        break;
      }
      case RowKind::kIndicator: {
        row.label = c.name + " = 1, n (%)";
        row.stat = Table1Stat::kCountPercent;
        std::vector<std::vector<Cell>> sums = PerColumn(c, 2, 1);
        for (size_t col = 0; col < sums.size(); ++col) {
          row.cells.push_back({AsCount(sums[col][0]), group_n_[col][0]});
        }
        break;
      }
      case RowKind::kCategorical:
        break;
    }
    // Groups with values of x decide the test.
    size_t with_values = 0;
    for (size_t col = 0; col < groups_.size(); ++col) {
      const Cell& n = counts[col][0];
      if (n.kind == Cell::Kind::kSuppressed || CellNumber(n).value_or(0) > 0) ++with_values;
    }
    row_of_[c.name] = t.rows.size();
    t.rows.push_back(std::move(row));
    CountRowIfMissing(c, counts);
    if (c.kind == RowKind::kIndicator) {
      if (groups_.size() >= 2) c.test_name = "CHISQ";
    } else if (with_values == 2) {
      c.test_name = "TTEST";
    } else if (with_values > 2) {
      c.test_name = "ANOVA";
    } else if (groups_.size() >= 2) {
      t.notes.push_back(c.name + ": no test: fewer than two groups have values");
    }
  }

  void LayOutLevels(Candidate& c) {
    Table1& t = run_.table;
    // Levels in the order the releases list them; the NULL level last.
    std::vector<std::string> levels;
    auto add = [&](const Cell& cell) {
      const std::optional<std::string> k = Key(cell);
      if (k && std::find(levels.begin(), levels.end(), *k) == levels.end()) levels.push_back(*k);
    };
    if (spec_.overall) {
      for (const std::vector<Cell>& row : figures_[c.overall].rows) add(row[0]);
    }
    for (const std::vector<Cell>& row : figures_[c.grouped].rows) add(row[1]);
    // counts[level][column]; a level absent from a group's rows has no records there.
    const size_t missing = levels.size();
    std::vector<std::vector<Cell>> counts(levels.size() + 1,
                                          std::vector<Cell>(Columns(), Cell::Integer(0)));
    auto level_of = [&](const Cell& cell) {
      const std::optional<std::string> k = Key(cell);
      if (!k) return missing;
      return static_cast<size_t>(std::find(levels.begin(), levels.end(), *k) - levels.begin());
    };
    for (const std::vector<Cell>& row : figures_[c.grouped].rows) {
      const std::optional<size_t> at = GroupOf(row[0]);
      if (at) counts[level_of(row[1])][*at] = row[2];
    }
    if (spec_.overall) {
      for (const std::vector<Cell>& row : figures_[c.overall].rows) {
        counts[level_of(row[0])].back() = row[1];
      }
    }
    Table1Row heading{c.name + ", n (%)",   false,
                      Table1Stat::kHeading, std::vector<std::vector<Cell>>(Columns()),
                      Cell::Null(),         ""};
    row_of_[c.name] = t.rows.size();
    t.rows.push_back(std::move(heading));
    for (size_t l = 0; l <= levels.size(); ++l) {
      if (l == missing) {
        const bool any = std::any_of(counts[l].begin(), counts[l].end(), [](const Cell& n) {
          return n.kind == Cell::Kind::kSuppressed || CellNumber(n).value_or(0) != 0;
        });
        if (!any) break;
      }
      Table1Row row{l == missing ? "(missing)" : levels[l],
                    true,
                    Table1Stat::kCountPercent,
                    {},
                    Cell::Null(),
                    ""};
      for (size_t col = 0; col < Columns(); ++col) {
        row.cells.push_back({counts[l][col], group_n_[col][0]});
      }
      t.rows.push_back(std::move(row));
    }
    if (groups_.size() >= 2) c.test_name = "CHISQ";
  }

  // Round 3: one test per row.
  Status Tests(std::vector<Candidate>* candidates) {
    std::vector<std::string> sqls;
    for (Candidate& c : *candidates) {
      if (c.test_name.empty()) continue;
      const std::string sql =
          "SELECT " + c.test_name + "(" + c.name + ")" + From() + " GROUP BY " + g_;
      Status planned = Plans(sql);
      if (!planned.ok()) {
        run_.table.notes.push_back(c.name + ": no test: " + Reason(planned));
        continue;
      }
      c.test = sqls.size();
      sqls.push_back(sql);
    }
    CS_ASSIGN_OR_RETURN(std::vector<ResultTable> tests, Release(sqls));
    for (const Candidate& c : *candidates) {
      if (!c.test) continue;
      const ResultTable& t = tests[*c.test];
      Table1Row& row = run_.table.rows[row_of_.at(c.name)];
      for (size_t i = 0; i < t.columns.size(); ++i) {
        const std::string& col = t.columns[i];
        if (col.size() >= 2 && col.compare(col.size() - 2, 2, " p") == 0) {
          row.p = t.rows.at(0).at(i);
        }
      }
      row.test = c.test_name == "TTEST"   ? "Welch t-test"
                 : c.test_name == "ANOVA" ? "ANOVA"
                                          : "chi-square";
    }
    return Status::OK();
  }

  const Dataset& dataset_;
  Decryptor& decryptor_;
  const Table1Spec& spec_;
  const ReleaseRules& rules_;
  const audit::Trail* ledger_;
  Engine& engine_;
  const std::function<void(const std::string&)>& progress_;
  const std::string table_name_;
  const std::string g_;

  Table1Run run_;
  std::vector<std::string> groups_;         // g's values, in N's table order
  std::vector<std::vector<Cell>> group_n_;  // per column {N}
  std::vector<ResultTable> figures_;        // round 2's tables
  std::map<std::string, size_t> row_of_;    // a column's main row in the table
};

}  // namespace

Result<Table1Run> BuildTable1(const Dataset& dataset, Decryptor& decryptor, const Table1Spec& spec,
                              const ReleaseRules& rules, const audit::Trail* ledger, Engine& engine,
                              const std::function<void(const std::string&)>& progress) {
  if (spec.group.empty()) return Status::InvalidArgument("table 1: no grouping column");
  Builder builder(dataset, decryptor, spec, rules, ledger, engine, progress);
  return builder.Build();
}

}  // namespace cipherstat::pipeline
