// HTML reports: one self-contained page per report — inline CSS and SVG, no scripts, no
// fonts or images fetched — that reads on screen, in a screen reader and on paper.
//
// A page states the query, the dataset (name, record count, key fingerprint), when it was
// released and the small-cell rule; shows each result as a <table> (suppressed cells say
// "suppressed" and why — fewer than min_cell records, or complementary with the total they
// protect — never a number) with charts for the aggregates whose registry entry names one
// (ChartHint in query/aggregates.h):
//   AVG(x) over groups          bars, with ± one standard deviation whiskers when the query
//                               also asks STDDEV(x) (sample, else population)
//   AVG(x) of a 0/1 column      proportions as bars on a 0-100 % axis (needs the schema)
//   HISTOGRAM(x)                one histogram per row, labelled with its bin edges
//   KAPLAN_MEIER(t, e)          one step plot, a curve per row, broken where hidden
// and ends with what the compute side could and could not see. Which column holds what comes
// from the table's column_info; a table without it (built by hand) gets no charts.
// Numbers in tables are CellText's, so they read exactly like the JSON renderer's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "encoding/schema.h"
#include "query/table.h"
#include "report/table1.h"

namespace cipherstat {

// What the page says beyond the table itself. Every field is optional.
struct ReportContext {
  std::string title;               // the page heading; empty: "cipherstat report"
  std::string generated_at;        // when the result was released, e.g. "2026-11-29 07:00 UTC"
  const Schema* schema = nullptr;  // the dataset's schema: 0/1 columns, public columns
};

// One titled result in a multi-query report.
struct ReportSection {
  std::string title;  // empty: DescribeQuery(table)
  ResultTable table;
};

// A page with one result.
std::string RenderHtml(const ResultTable& table, const ReportContext& context = {});
// A page with several results and a table of contents (dataset facts from the first).
std::string RenderHtmlReport(const std::vector<ReportSection>& sections,
                             const ReportContext& context);

// A page with a Table 1 (report/table1.h): its facts, the table (hidden cells marked as in
// every table), its notes, the queries it was released from, and what the compute side saw.
std::string RenderHtmlTable1(const Table1& table, const ReportContext& context);

// `text` with & < > " ' replaced by entities: safe in element content and quoted attributes.
std::string HtmlEscape(std::string_view text);

// A short title for a table's query: "count(*), avg(cd4) by arm" (its SQL when the table
// carries no parsed query).
std::string DescribeQuery(const ResultTable& table);

}  // namespace cipherstat
