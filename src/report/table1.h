// "Table 1" of a clinical paper: the characteristics of a cohort by a grouping column, one
// column per group and one for the whole cohort, a p-value per row. pipeline/table1.h builds
// it from released tables (each figure is a cell some release decrypted, verified and passed
// through the disclosure rules); this file lays it out as text, CSV and HTML.
//
// Rows, and the figures each cell holds (Table1Row::cells, in this order):
//   N                        kCount        {n}: the group's records
//   x, mean ± SD             kMeanSd       {AVG(x), STDDEV(x)}
//   x, median [IQR]          kMedianIqr    {p50, p25, p75, p50 bound, p25 bound, p75 bound}
//                                          (PERCENTILE_CONT; a bound > 0: interpolated within
//                                          a histogram bin, true value within ± bound)
//   x, n with a value        kCount        {COUNT(x)}, when some records lack x
//   y = 1, n (%)             kCountPercent {SUM(y), N}: a 0/1 column's ones
//   y, n (%)                 kHeading      {} (the p-value of y's levels)
//     level                  kCountPercent {COUNT(*), N} for each level of y, "(missing)" last
// Percentages are of the group's N (its records), so a missing value counts in the
// denominator; a figure whose N is hidden is shown without a percentage.
//
// A hidden figure is written as every release writes it: CellText ("suppressed (primary)",
// "suppressed (complementary: ...)"). A cell whose first figure is hidden shows that alone.
// Numbers: means and percentiles with 1 decimal (2 below 10, 3 significant below 1), SDs with
// their mean's,
// percentages with 1 decimal, p-values with 3 decimals or "<0.001"; NULL as "NULL" (CSV: empty),
// also for a test that ran without a value (a column with one level: R's chisq.test gives NaN).
// Text escapes control characters (EscapeControls), CSV neutralizes formulas (CsvSafeText),
// HTML escapes markup (HtmlEscape): the same rules as every released table (report/render.h).
#pragma once

#include <string>
#include <vector>

#include "query/cell.h"
#include "query/table.h"

namespace cipherstat {

enum class Table1Stat { kCount, kMeanSd, kMedianIqr, kCountPercent, kHeading };

struct Table1Row {
  std::string label;   // "N", "cd40, mean ± SD", "drugs, n (%)"; a level: its name
  bool level = false;  // a level of the heading above it: indented
  Table1Stat stat = Table1Stat::kCount;
  std::vector<std::vector<Cell>> cells;  // one per column of Table1::columns
  Cell p;                                // the row's p-value (NULL: none)
  std::string test;                      // "Welch t-test", "ANOVA", "chi-square", or ""
};

struct Table1 {
  std::string group;                 // the grouping column
  std::vector<std::string> columns;  // "arms = 0", ..., "Overall"
  std::vector<Table1Row> rows;
  // What the reader must know: columns skipped and why, tests not run, approximations.
  std::vector<std::string> notes;
  // The released tables' header (dataset, its identity and key, records, min_cell), no rows.
  ResultTable facts;
  std::vector<std::string> queries;  // the SQL of every release behind it, in order
};

// One cell of the layout as the text and CSV formats write it ("371.3 ± 144.6", "52 (9.8%)").
std::string Table1CellText(const Table1Row& row, size_t column);
// A p-value as written: "0.042", "<0.001", or CellText of a hidden or NULL one.
std::string Table1PText(const Cell& p);

// The layout as a released table: one text cell per figure cell (a hidden first figure stays
// the hidden Cell, so renderers say why), columns "" | groups | "p" | "test"; a level's label
// starts with `indent`.
ResultTable Table1AsTable(const Table1& table, const std::string& indent = "  ");

// RenderText of the layout, then its title line above and the notes and queries below.
std::string RenderTable1Text(const Table1& table);
// RenderCsv of the layout, each note as a last row "note: ...".
std::string RenderTable1Csv(const Table1& table);
// `format`: text, csv or html (report/html.h, RenderHtmlTable1, stamped with ReportTime()).
std::string RenderTable1(const Table1& table, const std::string& format,
                         const std::string& title = "");
// "Table 1 by arms".
std::string Table1Title(const Table1& table);

}  // namespace cipherstat
