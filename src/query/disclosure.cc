#include "query/disclosure.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <utility>

#include "crypto/bigint.h"

namespace cipherstat {

namespace {

using crypto::BigInt;

class Suppressor {
 public:
  Suppressor(uint64_t min_cell, const std::vector<Relation>& relations, std::vector<Count>& counts)
      : min_cell_(static_cast<int64_t>(min_cell)),
        relations_(relations),
        counts_(counts),
        records_of_(counts.size(), -1),
        pinned_(counts.size(), false),
        member_of_(counts.size()) {
    std::map<int, int> records;
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i].row_records) records[counts_[i].row] = static_cast<int>(i);
    }
    for (size_t i = 0; i < counts_.size(); ++i) {
      auto it = records.find(counts_[i].row);
      if (it != records.end()) records_of_[i] = it->second;
    }
    for (size_t r = 0; r < relations_.size(); ++r) {
      for (int i : Members(relations_[r])) member_of_[static_cast<size_t>(i)].push_back(r);
      if (relations_[r].parts.size() == 1 && relations_[r].total < 0) {
        pinned_[static_cast<size_t>(relations_[r].parts[0])] = true;
      }
    }
  }

  void Run() {
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i].hidden) HideRow(i);
    }
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i].value > 0 && Value(i) < min_cell_) Hide(i, Hidden::kPrimary, "");
    }
    while (Step()) {
    }
  }

 private:
  static std::vector<int> Members(const Relation& r) {
    std::vector<int> members = r.parts;
    if (r.total >= 0) members.push_back(r.total);
    return members;
  }

  int64_t Value(size_t i) const { return static_cast<int64_t>(counts_[i].value); }

  void Hide(size_t i, Hidden why, const std::string& relation) {
    Count& c = counts_[i];
    if (c.hidden) return;
    c.hidden = true;
    c.why = why;
    c.relation = relation;
    HideRow(i);
  }

  // When `i` is a row's records: hides the rest of its row, with its reason.
  void HideRow(size_t i) {
    const Count& c = counts_[i];
    if (!c.row_records) return;
    for (Count& other : counts_) {
      if (other.row != c.row || other.hidden) continue;
      other.hidden = true;
      other.why = c.why;
      other.relation = c.relation;
    }
  }

  // True when `i` is hidden only because its row's records are (its label is theirs): it may
  // hold no record.
  bool HiddenWithRow(size_t i) const {
    const int records = records_of_[i];
    if (records < 0 || static_cast<size_t>(records) == i) return false;
    const Count& row = counts_[static_cast<size_t>(records)];
    return row.hidden && row.why == counts_[i].why && row.relation == counts_[i].relation;
  }
  // The least and (kNoBound: none) greatest value the analyst can infer from a hidden count's
  // label.
  static constexpr int64_t kNoBound = -1;
  int64_t Lower(size_t i) const {
    if (HiddenWithRow(i)) return 0;
    switch (counts_[i].why) {
      case Hidden::kPrimary:
        return 1;
      case Hidden::kComplementary:  // chosen among shown counts: not 1..min_cell-1, not 0
        return min_cell_;
      case Hidden::kEarlierRelease:  // any size: it is its difference that is small
        return 0;
    }
    return 0;
  }
  int64_t Upper(size_t i) const {
    return counts_[i].why == Hidden::kPrimary ? min_cell_ - 1 : kNoBound;
  }

  // Rule b: exactly one hidden member, or a known total and label bounds that pin one.
  bool Exposes(const Relation& r) const {
    std::vector<size_t> hidden;
    for (int i : Members(r)) {
      if (counts_[static_cast<size_t>(i)].hidden) hidden.push_back(static_cast<size_t>(i));
    }
    if (hidden.size() != 1 && r.total >= 0 && counts_[static_cast<size_t>(r.total)].hidden) {
      return false;
    }
    if (hidden.size() <= 1) return hidden.size() == 1;
    int64_t sum = 0, lower = 0, upper = 0;
    int unbounded = 0;
    for (size_t i : hidden) {
      sum += Value(i);
      lower += Lower(i);
      if (Upper(i) == kNoBound) {
        ++unbounded;
      } else {
        upper += Upper(i);
      }
    }
    // Each hidden part lies between the known sum less the others' greatest values and the
    // sum less their least.
    for (size_t i : hidden) {
      const int64_t lo = Lower(i), up = Upper(i);
      if (up == lo) continue;  // its label alone says its value: nothing to protect
      int64_t most = sum - (lower - lo);
      int64_t least = lo;
      if (up != kNoBound) {
        most = std::min(most, up);
        if (unbounded == 0) least = std::max(least, sum - (upper - up));
      } else if (unbounded == 1) {
        least = std::max(least, sum - upper);
      }
      if (most <= least) return true;
    }
    return false;
  }

  bool Candidate(size_t i) const {
    const Count& c = counts_[i];
    return !c.hidden && c.released && c.value > 0;
  }

  // The candidates among `members`, best first: not by themselves a known total, smallest,
  // first in table order.
  std::vector<int> Candidates(std::vector<int> members) const {
    std::erase_if(members, [&](int i) { return !Candidate(static_cast<size_t>(i)); });
    std::sort(members.begin(), members.end(), [&](int a, int b) {
      const size_t x = static_cast<size_t>(a), y = static_cast<size_t>(b);
      if (pinned_[x] != pinned_[y]) return !pinned_[x];
      if (Value(x) != Value(y)) return Value(x) < Value(y);
      return a < b;
    });
    members.erase(std::unique(members.begin(), members.end()), members.end());
    return members;
  }

  // One complementary cell, or false at the fixed point.
  bool Step() {
    for (const Relation& r : relations_) {
      if (!Exposes(r)) continue;
      const std::vector<int> candidates = Candidates(Members(r));
      if (candidates.empty()) continue;
      Hide(static_cast<size_t>(candidates.front()), Hidden::kComplementary, r.label);
      return true;
    }
    for (size_t i : Determined()) {
      std::vector<int> near;
      for (size_t r : member_of_[i]) {
        for (int j : Members(relations_[r])) near.push_back(j);
      }
      // The first candidate that leaves `i` undetermined.
      for (int pick : Candidates(near)) {
        const std::vector<Count> before = counts_;
        for (size_t r : member_of_[i]) {
          const std::vector<int> members = Members(relations_[r]);
          if (std::find(members.begin(), members.end(), pick) == members.end()) continue;
          Hide(static_cast<size_t>(pick), Hidden::kComplementary, relations_[r].label);
          break;
        }
        const std::vector<size_t> still = Solved();
        if (std::find(still.begin(), still.end(), i) == still.end()) return true;
        counts_ = before;
      }
    }
    return false;
  }

  // Rule c: the hidden counts that the relations together determine, ascending, leaving out
  // those alone in a known total (published elsewhere: nothing here can protect them) and
  // those a relation exposes with no candidate to hide.
  std::vector<size_t> Determined() const {
    std::vector<size_t> determined;
    for (size_t i : Solved()) {
      if (pinned_[i]) continue;
      bool hopeless = false;
      for (size_t r : member_of_[i]) {
        const Relation& relation = relations_[r];
        hopeless = hopeless || (Exposes(relation) && Candidates(Members(relation)).empty());
      }
      if (!hopeless) determined.push_back(i);
    }
    return determined;
  }

  // The hidden counts that the relations together determine, ascending. Each relation is a row
  // Σ parts − total over the hidden counts (the shown ones are constants); after exact
  // elimination to reduced row echelon form, a hidden count is determined when its pivot row
  // has no other entry.
  std::vector<size_t> Solved() const {
    std::vector<size_t> columns;
    std::map<size_t, size_t> column_of;
    for (size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i].hidden && !member_of_[i].empty()) {
        column_of[i] = columns.size();
        columns.push_back(i);
      }
    }
    std::vector<SparseRow> m;
    for (const Relation& r : relations_) {
      std::map<size_t, long> entries;
      for (int i : r.parts) {
        auto it = column_of.find(static_cast<size_t>(i));
        if (it != column_of.end()) entries[it->second] += 1;
      }
      if (r.total >= 0) {
        auto it = column_of.find(static_cast<size_t>(r.total));
        if (it != column_of.end()) entries[it->second] -= 1;
      }
      SparseRow row;
      for (const auto& [col, v] : entries) {
        if (v != 0) row.push_back({col, BigInt::FromLong(v)});
      }
      if (!row.empty()) m.push_back(std::move(row));
    }
    std::vector<bool> used(m.size(), false);
    std::vector<std::pair<size_t, size_t>> pivots;  // (row, column)
    for (size_t col = 0; col < columns.size(); ++col) {
      size_t p = 0;
      while (p < m.size() && (used[p] || m[p].empty() || m[p].front().first != col)) ++p;
      if (p == m.size()) continue;
      used[p] = true;
      pivots.push_back({p, col});
      for (size_t q = 0; q < m.size(); ++q) {
        if (q == p) continue;
        auto it = std::lower_bound(m[q].begin(), m[q].end(), col,
                                   [](const auto& e, size_t c) { return e.first < c; });
        if (it == m[q].end() || it->first != col) continue;
        const BigInt b = it->second;
        m[q] = Combine(m[q], m[p].front().second, m[p], b);
      }
    }
    std::vector<size_t> solved;
    for (const auto& [row, col] : pivots) {
      if (m[row].size() == 1) solved.push_back(columns[col]);
    }
    std::sort(solved.begin(), solved.end());
    return solved;
  }

  // A row of the elimination: (column, non-zero coefficient), by column.
  using SparseRow = std::vector<std::pair<size_t, BigInt>>;
  // a·q − b·p, divided by the gcd of its entries.
  static SparseRow Combine(const SparseRow& q, const BigInt& a, const SparseRow& p,
                           const BigInt& b) {
    SparseRow out;
    BigInt g;
    size_t i = 0, j = 0;
    while (i < q.size() || j < p.size()) {
      const size_t cq = i < q.size() ? q[i].first : SIZE_MAX;
      const size_t cp = j < p.size() ? p[j].first : SIZE_MAX;
      const size_t col = std::min(cq, cp);
      BigInt v;
      if (cq == col) v += q[i++].second * a;
      if (cp == col) v -= p[j++].second * b;
      if (v.sign() == 0) continue;
      mpz_gcd(g.get(), g.get(), v.get());
      out.push_back({col, std::move(v)});
    }
    if (mpz_cmp_ui(g.get(), 1) > 0) {
      for (auto& e : out) mpz_divexact(e.second.get(), e.second.get(), g.get());
    }
    return out;
  }

  const int64_t min_cell_;
  const std::vector<Relation>& relations_;
  std::vector<Count>& counts_;
  std::vector<int> records_of_;  // per count: its row's records' count, or -1
  std::vector<bool> pinned_;     // alone in a known total
  std::vector<std::vector<size_t>> member_of_;
};

// GROUP BY values of a row as "site=north, arm=NULL".
std::string KeyText(const std::vector<std::string>& names,
                    const std::vector<std::optional<std::string>>& key, uint64_t mask) {
  std::string out;
  for (size_t d = 0; d < names.size() && d < key.size(); ++d) {
    if ((mask >> d & 1) == 0) continue;
    out += (out.empty() ? "" : ", ") + names[d] + "=" + key[d].value_or("NULL");
  }
  return out;
}

constexpr char kSep = '\x1f';
const std::string kRecords = "*";   // the row's records
const std::string kConstant = "=";  // COUNT(g) in the NULL row of g
const std::string kKey = "";        // a GROUP BY value

}  // namespace

void Suppress(uint64_t min_cell, const std::vector<Relation>& relations,
              std::vector<Count>* counts) {
  if (min_cell <= 1) return;
  Suppressor(min_cell, relations, *counts).Run();
}

TableCounts Relations(const Schema& schema, const Layout& layout, const Plan& plan,
                      const ResultTable& table, const std::vector<RowCounts>& rows) {
  TableCounts out;
  const uint64_t min_cell = table.min_cell;
  const std::vector<std::string>& dims = plan.query.group_by;
  const size_t columns = table.column_info.size();

  // The count a column's cell rests on, by name (see the header's COUNTS).
  auto family = [&](size_t col, const RowCounts& row) -> std::string {
    const ColumnInfo& info = table.column_info[col];
    const std::string& x = info.argument;
    switch (info.aggregate) {
      case Aggregate::kNone:
        return kKey;
      case Aggregate::kCountStar:
        return kRecords;
      case Aggregate::kHistogram:
        return "bin" + std::string(1, kSep) + x + kSep + std::to_string(info.bin);
      case Aggregate::kCount:
        if (layout.FindVariable(x) == nullptr) {
          if (x == plan.private_group) return row.null_group ? kConstant : kRecords;
          const Column* c = schema.FindColumn(x);
          if (c != nullptr && c->on_invalid == OnInvalid::kDropRow) return kRecords;
          return "present" + std::string(1, kSep) + x;
        }
        break;
      default:
        break;
    }
    // CORR, REGR_* and LINREG rest on the records with every argument present; the survival
    // curve and AT_RISK on those at risk in a bin, EVENTS on the events in it.
    const std::vector<std::string>& regressors =
        plan.query.items[static_cast<size_t>(info.item)].regressors;
    if (!regressors.empty()) {
      std::string arguments = x;
      for (const std::string& r : regressors) arguments += ", " + r;
      // Complete cases do not depend on the order of the columns: CORR(y, x) and
      // REGR_COUNT(x, y) rest on one count.
      std::vector<std::string> members = regressors;
      members.push_back(x);
      std::sort(members.begin(), members.end());
      std::string cases;
      for (const std::string& m : members) cases += (cases.empty() ? "" : ", ") + m;
      const std::string bin = std::string(1, kSep) + std::to_string(info.bin);
      switch (info.aggregate) {
        case Aggregate::kKaplanMeier:
        case Aggregate::kAtRisk:
          return "at_risk" + std::string(1, kSep) + arguments + bin;
        case Aggregate::kEvents:
          return "events" + std::string(1, kSep) + arguments + bin;
        default:
          return "cases" + std::string(1, kSep) + cases;
      }
    }
    const VariableCodec* v = layout.FindVariable(x);
    if (v == nullptr || !v->can_be_missing) return kRecords;
    return "n" + std::string(1, kSep) + x;
  };
  // How a family reads in a relation's label.
  auto family_name = [&](const std::string& f) -> std::string {
    if (f == kRecords) return "count(*)";
    const size_t a = f.find(kSep);
    const std::string kind = f.substr(0, a);
    const size_t b = f.find(kSep, a + 1);
    const std::string x = f.substr(a + 1, b == std::string::npos ? b : b - a - 1);
    if (kind == "bin") {
      const size_t bin = std::stoul(f.substr(b + 1));
      for (size_t col = 0; col < columns; ++col) {
        const ColumnInfo& info = table.column_info[col];
        if (info.aggregate == Aggregate::kHistogram && info.argument == x &&
            info.bin == static_cast<int>(bin)) {
          return table.columns[col];
        }
      }
    }
    if (kind == "cases") return "regr_count(" + x + ")";
    if (kind == "at_risk" || kind == "events") {
      return kind + "(" + x + ") in bin " + (b == std::string::npos ? "" : f.substr(b + 1));
    }
    return "count(" + x + ")";
  };

  // Families in the order of their first column; whether the row's records are released.
  std::vector<std::string> families;
  for (const RowCounts& row : rows) {
    for (size_t col = 0; col < columns; ++col) {
      const std::string f = family(col, row);
      if (f == kKey || f == kConstant) continue;
      if (std::find(families.begin(), families.end(), f) == families.end()) families.push_back(f);
    }
  }
  const bool records_released =
      std::find(families.begin(), families.end(), kRecords) != families.end();

  // The counts: each row's records, then its released families.
  std::vector<std::map<std::string, int>> node(rows.size());
  out.cell_count.assign(rows.size(), std::vector<int>(columns, -1));
  for (size_t r = 0; r < rows.size(); ++r) {
    const RowCounts& row = rows[r];
    const std::string name = dims.empty() ? "the row" : KeyText(dims, row.key, ~uint64_t{0});
    Count records;
    records.value = row.records;
    records.row = static_cast<int>(r);
    records.row_records = true;
    records.released = records_released;
    records.label = "count(*) of " + name;
    node[r][kRecords] = static_cast<int>(out.counts.size());
    out.row_records.push_back(static_cast<int>(out.counts.size()));
    out.counts.push_back(records);
    for (size_t col = 0; col < columns; ++col) {
      const std::string f = family(col, row);
      if (f == kKey) continue;
      if (f == kConstant) {
        out.cell_count[r][col] = -2;
        continue;
      }
      auto [it, added] = node[r].try_emplace(f, static_cast<int>(out.counts.size()));
      if (added) {
        Count c;
        c.value = row.supports[col].value_or(0);
        c.row = static_cast<int>(r);
        c.label = family_name(f) + " of " + name;
        out.counts.push_back(c);
      }
      out.cell_count[r][col] = it->second;
    }
  }
  auto released = [&](size_t r, const std::string& f) {
    auto it = node[r].find(f);
    return it == node[r].end() || (f == kRecords && !records_released) ? -1 : it->second;
  };

  // 2. Bins and their count.
  std::vector<std::string> histograms;
  for (const ColumnInfo& info : table.column_info) {
    if (info.aggregate == Aggregate::kHistogram &&
        std::find(histograms.begin(), histograms.end(), info.argument) == histograms.end()) {
      histograms.push_back(info.argument);
    }
  }
  for (const std::string& x : histograms) {
    const Column* c = schema.FindColumn(x);
    const VariableCodec* v = layout.FindVariable(x);
    if (c == nullptr || v == nullptr || !BinsCoverBounds(*c)) continue;
    const std::string total = v->can_be_missing ? "n" + std::string(1, kSep) + x : kRecords;
    for (size_t r = 0; r < rows.size(); ++r) {
      Relation rel;
      rel.label = "bins of " + x + " = " + family_name(total);
      for (size_t b = 0; b + 1 < c->bins.size(); ++b) {
        const int part = released(r, "bin" + std::string(1, kSep) + x + kSep + std::to_string(b));
        if (part >= 0) rel.parts.push_back(part);
      }
      rel.total = released(r, total);
      if (rel.total < 0) {
        // The total is not in the table: known when published (the records, here).
        const bool header = dims.empty() && plan.filters.empty();
        if (total != kRecords || (rows[r].records < min_cell && !header)) continue;
      }
      if (!rel.parts.empty()) out.relations.push_back(std::move(rel));
    }
  }

  // 3. A derived indicator's count is its source column's.
  for (const Derived& d : schema.derived) {
    const std::string fd = "n" + std::string(1, kSep) + d.name;
    const std::string fx = "n" + std::string(1, kSep) + d.column;
    for (size_t r = 0; r < rows.size(); ++r) {
      const int a = released(r, fd), b = released(r, fx);
      if (a < 0 || b < 0) continue;
      out.relations.push_back({"count(" + d.name + ") = count(" + d.column + ")", {a}, b});
    }
  }

  // 1. Margins, for every non-empty set of GROUP BY columns summed over (fewest first), and
  // 4. the header's record count of a query without GROUP BY.
  const size_t k = std::min<size_t>(dims.size(), 16);
  std::vector<uint64_t> masks;
  for (uint64_t mask = 1; mask < (uint64_t{1} << k); ++mask) masks.push_back(mask);
  std::stable_sort(masks.begin(), masks.end(),
                   [](uint64_t a, uint64_t b) { return std::popcount(a) < std::popcount(b); });
  const uint64_t all = (uint64_t{1} << k) - 1;
  for (const std::string& f : families) {
    if (f == kRecords && !records_released) continue;
    if (dims.empty()) {
      if (f == kRecords && plan.filters.empty() && !rows.empty()) {
        out.relations.push_back({"the header's record count", {released(0, f)}, -1});
      }
      continue;
    }
    for (uint64_t mask : masks) {
      // Rows agreeing on the columns not summed over, in the order of their first row.
      std::vector<std::pair<std::string, std::vector<size_t>>> lines;
      std::map<std::string, size_t> line_of;
      for (size_t r = 0; r < rows.size(); ++r) {
        std::string id;
        for (size_t d = 0; d < k; ++d) {
          if (mask >> d & 1) continue;
          const std::optional<std::string>& value = rows[r].key[d];
          id += value ? "v" + *value : "n";
          id += '\0';
        }
        auto [it, added] = line_of.try_emplace(id, lines.size());
        if (added) lines.push_back({KeyText(dims, rows[r].key, all & ~mask), {}});
        lines[it->second].second.push_back(r);
      }
      for (const auto& [fixed, members] : lines) {
        Relation rel;
        uint64_t total = 0;
        for (size_t r : members) {
          const int i = released(r, f);
          if (i < 0) continue;
          rel.parts.push_back(i);
          total += out.counts[static_cast<size_t>(i)].value;
        }
        const bool header = f == kRecords && mask == all && plan.filters.empty();
        if (rel.parts.empty() || (!header && total < min_cell)) continue;
        rel.label = header        ? "the header's record count"
                    : mask == all ? "table total"
                                  : "total of " + fixed;
        out.relations.push_back(std::move(rel));
      }
    }
  }
  return out;
}

void ApplyDisclosureRules(const Schema& schema, const Layout& layout, const Plan& plan,
                          const std::vector<RowCounts>& rows, ResultTable* table) {
  if (table->min_cell <= 1) return;
  TableCounts counts = Relations(schema, layout, plan, *table, rows);
  for (size_t r = 0; r < rows.size() && r < counts.row_records.size(); ++r) {
    if (rows[r].earlier_release.empty()) continue;
    Count& records = counts.counts[static_cast<size_t>(counts.row_records[r])];
    records.hidden = true;
    records.why = Hidden::kEarlierRelease;
    records.relation = rows[r].earlier_release;
  }
  Suppress(table->min_cell, counts.relations, &counts.counts);
  auto hidden = [](const Count& c) {
    switch (c.why) {
      case Hidden::kPrimary:
        return Cell::Suppressed();
      case Hidden::kComplementary:
        return Cell::Complementary(c.relation);
      case Hidden::kEarlierRelease:
        break;
    }
    return Cell::EarlierRelease(c.relation);
  };
  for (size_t r = 0; r < table->rows.size() && r < counts.cell_count.size(); ++r) {
    const Count* records = &counts.counts[static_cast<size_t>(counts.row_records[r])];
    for (size_t col = 0; col < table->rows[r].size(); ++col) {
      const int i = counts.cell_count[r][col];
      const Count* c = i >= 0    ? &counts.counts[static_cast<size_t>(i)]
                       : i == -2 ? records
                                 : nullptr;
      if (c != nullptr && c->hidden) table->rows[r][col] = hidden(*c);
    }
  }
}

}  // namespace cipherstat
