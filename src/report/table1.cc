#include "report/table1.h"

#include <cmath>
#include <cstdio>
#include <optional>

#include "report/format.h"
#include "report/html.h"
#include "report/render.h"
#include "util/status.h"

namespace cipherstat {

namespace {

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// How many decimals a mean, SD or percentile gets: 1, 2 below 10, 3 significant digits
// below 1.
int Decimals(const Cell& cell) {
  const double a = std::fabs(CellNumber(cell).value_or(10));
  if (a >= 10) return 1;
  if (a >= 1 || a == 0) return 2;
  return std::min(12, 2 - static_cast<int>(std::floor(std::log10(a))));
}

// A figure with `decimals` (an integer cell as it is; text, NULL and hidden as CellText).
std::string Figure(const Cell& cell, int decimals) {
  if (cell.kind != Cell::Kind::kReal) return CellText(cell);
  return Fixed(cell.real, decimals);
}
std::string Figure(const Cell& cell) { return Figure(cell, Decimals(cell)); }

std::string CountPercent(const Cell& n, const Cell& total) {
  std::string out = CellText(n);
  const std::optional<double> a = CellNumber(n), b = CellNumber(total);
  if (a && b && *b > 0) out += " (" + Fixed(100 * *a / *b, 1) + "%)";
  return out;
}

}  // namespace

std::string Table1CellText(const Table1Row& row, size_t column) {
  if (column >= row.cells.size()) return "";
  const std::vector<Cell>& f = row.cells[column];
  if (f.empty()) return "";
  if (f[0].kind == Cell::Kind::kSuppressed) return CellText(f[0]);
  switch (row.stat) {
    case Table1Stat::kCount:
      return CellText(f[0]);
    case Table1Stat::kMeanSd:
      // The SD to the mean's decimals, as papers write it.
      return Figure(f[0]) + (f.size() > 1 ? " \u00b1 " + Figure(f[1], Decimals(f[0])) : "");
    case Table1Stat::kMedianIqr:
      return Figure(f[0]) +
             (f.size() > 2 ? " [" + Figure(f[1]) + ", " + Figure(f[2]) + "]" : std::string());
    case Table1Stat::kCountPercent:
      return f.size() > 1 ? CountPercent(f[0], f[1]) : CellText(f[0]);
    case Table1Stat::kHeading:
      return "";
  }
  return "";
}

std::string Table1PText(const Cell& p) {
  const std::optional<double> v = CellNumber(p);
  if (!v) return CellText(p);
  if (*v < 0.001) return "<0.001";
  return Fixed(*v, 3);
}

std::string Table1Title(const Table1& table) { return "Table 1 by " + table.group; }

ResultTable Table1AsTable(const Table1& table, const std::string& indent) {
  ResultTable out = table.facts;
  out.sql.clear();
  out.query = Query();
  out.column_info.clear();
  out.populations.clear();
  out.columns = {""};
  for (const std::string& c : table.columns) out.columns.push_back(c);
  out.columns.push_back("p");
  out.columns.push_back("test");
  out.rows.clear();
  for (const Table1Row& row : table.rows) {
    std::vector<Cell> line = {Cell::Text((row.level ? indent : "") + row.label)};
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const bool hidden = c < row.cells.size() && !row.cells[c].empty() &&
                          row.cells[c][0].kind == Cell::Kind::kSuppressed;
      line.push_back(hidden ? row.cells[c][0] : Cell::Text(Table1CellText(row, c)));
    }
    const bool hidden_p = row.p.kind == Cell::Kind::kSuppressed;
    if (hidden_p) {
      line.push_back(row.p);
    } else if (row.p.kind == Cell::Kind::kNull) {
      // A test that ran and has no value (one level, no variance) says NULL, as releases do.
      line.push_back(row.test.empty() ? Cell::Text("") : Cell::Null());
    } else {
      line.push_back(Cell::Text(Table1PText(row.p)));
    }
    line.push_back(Cell::Text(row.test));
    out.rows.push_back(std::move(line));
  }
  return out;
}

std::string RenderTable1Text(const Table1& table) {
  std::string out = EscapeControls(Table1Title(table)) + "\n\n";
  out += RenderText(Table1AsTable(table));
  for (const std::string& note : table.notes) out += "note: " + EscapeControls(note) + "\n";
  if (!table.queries.empty()) {
    out += "released from " + std::to_string(table.queries.size()) + " queries:\n";
    for (const std::string& q : table.queries) out += "  " + EscapeControls(q) + "\n";
  }
  return out;
}

std::string RenderTable1Csv(const Table1& table) {
  ResultTable t = Table1AsTable(table);
  // A level's name neutralized before its indent (which alone would keep a formula text in
  // some spreadsheets, not in those that trim).
  for (size_t r = 0; r < table.rows.size(); ++r) {
    if (table.rows[r].level) t.rows[r][0] = Cell::Text("  " + CsvSafeText(table.rows[r].label));
  }
  for (const std::string& note : table.notes) {
    std::vector<Cell> row(t.columns.size(), Cell::Text(""));
    row[0] = Cell::Text("note: " + note);
    t.rows.push_back(std::move(row));
  }
  return RenderCsv(t);
}

std::string RenderTable1(const Table1& table, const std::string& format, const std::string& title) {
  if (format == "csv") return RenderTable1Csv(table);
  if (format == "html") {
    ReportContext context;
    context.title = title;
    context.generated_at = ReportTime();
    return RenderHtmlTable1(table, context);
  }
  return RenderTable1Text(table);
}

}  // namespace cipherstat
