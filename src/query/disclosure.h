// Disclosure control inside one released table: small cells are hidden (primary suppression),
// and further cells (complementary suppression) so that no hidden count can be recomputed by
// arithmetic on what the table shows and the totals published beside it. The decoder
// (query/decode.h) applies it to every table it builds, so decrypt, combine, report and the
// demo release under the same rules. Releases are not compared with each other here: the
// release ledger (pipeline/ledger.h) hides the rows that would combine with an earlier release
// (Hidden::kEarlierRelease, RowCounts::earlier_release) before Suppress runs, which then
// protects them like any hidden row.
//
// COUNTS. Every aggregate cell rests on one count (its support, RowSums::Release):
//   - the row's records: COUNT(*); COUNT(x) of a column that can never be missing (its
//     "on_invalid" is "drop_row"), and the moments of such an x; COUNT(g) of the private
//     GROUP BY column g in g's level rows (in the NULL row it is a constant 0);
//   - the row's records with x present: COUNT(x), and SUM, AVG, STDDEV, VARIANCE of x, all
//     hidden together (SUM/AVG gives the count, VAR_SAMP/VAR_POP gives n/(n-1), AVG·COUNT the
//     sum). A derived indicator is present exactly when its source column is;
//   - the row's records with a value of a categorical g: COUNT(g);
//   - the row's records in a bin of HISTOGRAM(x);
//   - the row's records with y and every x present: CORR(y, x), COVAR_*, REGR_* (REGR_COUNT
//     shows it) and LINREG(y, x1, ...), hidden together, whatever the order of the columns;
//   - the row's records at risk in a bin of a survival pair: KAPLAN_MEIER's and AT_RISK's cell
//     of the bin; the events in it: EVENTS's. The decoder itself hides a row's curve from the
//     first bin whose events or exits number 1..min_cell-1, and AT_RISK after that bin
//     (query/aggregates.cc): a ratio of two curve cells, or a difference of two AT_RISK cells,
//     would show them; these relations are not in Relations().
// A count is released when some column of the table shows it or cells derived from it. The
// row's records are a count of every row, released or not: hiding them hides the row.
//
// RELATIONS an analyst can form, and which ones this covers:
//   1. Margins (covered). For each released count and each non-empty set of the GROUP BY
//      columns, the rows that agree on the other GROUP BY columns add up to a total: a public
//      group's levels of the private GROUP BY column, NULL row included (the NULL row is the
//      group's total minus its levels), add up to the group's total; a level's rows over the
//      public groups to the level's total; all rows to the table's total; in a two-way table
//      these are the row and column margins. A total counts as known when the header prints
//      it (the record count, for the records of a query without WHERE) or when it is at least
//      min_cell: the same query without some GROUP BY column, or the table itself, would
//      release it. A smaller total would itself be suppressed, so its relation is not used.
//   2. Bins and their count (covered). Bin i of x counts the records with x present and in
//      [edge_i, edge_i+1) (encoding/layout.h); values lie within the column's bounds
//      [min, max] (clean and the encoder check), so when the first edge is <= min and the last
//      > max the bins add up to COUNT(x) exactly (to COUNT(*) when x is never missing). The
//      total is a count of the table when released, else a known total as in 1.
//   3. Equal counts (covered): the ones listed under COUNTS are one count, hidden together; a
//      derived indicator's count and its source column's, both released, form a relation.
//   4. The header (covered where it can be): its record count is the total of the records of
//      a query without WHERE (1). It is printed unsuppressed, so a table of one row (no GROUP
//      BY, or one group) cannot be protected when the dataset has fewer than min_cell records.
//      The header's rows_read (raw rows the owner's clean step read) minus its record count is
//      the number of rows clean dropped: no count of the table, so no relation.
// Not covered:
//   - bins that do not cover the column's bounds, and COUNT(x) beside COUNT(*) when x may be
//     missing: the values outside every bin and the missing ones are never released, so these
//     give bounds (bins <= COUNT(x) <= COUNT(*)), not equations;
//   - a WHERE and its complement, or the unfiltered table, or any two releases: totals below
//     min_cell are assumed unpublished, and a total another release suppressed or perturbed
//     differently is not known here (the release ledger covers nested pairs of rows:
//     pipeline/ledger.h);
//   - ranges: the rules stop exact recomputation, not narrow intervals. A complementary cell
//     holds at least min_cell records and, by the smallest-first choice, at most the smallest
//     count shown in its relation; interval reasoning over several relations at once (linear
//     programming) is not audited;
//   - the sum of a 0/1 indicator (SUM(viral_suppressed), or AVG times COUNT) counts patients
//     with a property: cells are suppressed by the records they are computed from, not by
//     such sums, and no relation ties it to its source column's bins (when its threshold is a
//     bin edge, it is the sum of the bins below: a hidden bin could be recomputed from
//     HISTOGRAM(viral_load) beside AVG(viral_suppressed) and COUNT(viral_load));
//   - a hidden count no candidate can protect (every other member of its relation is 0 or by
//     itself a published total, as when the only other cell of its column in a two-way table
//     is alone in its row) stays hidden but can be recomputed with the release that publishes
//     that total; from the table and its header alone, only a one-row table without WHERE
//     over fewer than min_cell records can be (4).
//
// THE RULE (Suppress), deterministic, to a fixed point; nothing is hidden when min_cell <= 1:
//   a. Primary: a count of 1..min_cell-1 is hidden (0 is shown). Hiding a row's records hides
//      every count and cell of its row; hiding a count hides every cell resting on it.
//   b. A relation exposes a hidden count when exactly one of its members is hidden, or when
//      its total is known and the bounds each hidden part's label implies (primary: 1 to
//      min_cell-1; complementary: at least min_cell; in a row whose records are hidden: at
//      least 0) leave one of them a single possible value (two hidden bins of 1 patient each
//      beside their shown total). Take the first exposing relation, in the order of
//      Relations(), that has a candidate — a shown, released, non-zero count — and hide its
//      best candidate as complementary, naming the relation: best is one that is not by itself
//      a known total (a cell alone in its margin is published by another query anyway), then
//      the smallest, then the first in table order. Repeat. Relations() orders them: bins beside
//      their count, row by row; a derived indicator's count beside its source's; then margins,
//      count by count in column order, those summing over fewer GROUP BY columns first, line by
//      line in row order.
//   c. When no relation exposes a count, audit the relations together: exact rational
//      elimination over the hidden counts finds any that a combination of relations
//      determines (in a two-way table, hidden cells linked by one row or column to the rest).
//      For the first one that some candidate sharing a relation with it can leave undetermined,
//      hide the best such candidate, and go back to b. The rule stops when neither b nor c
//      finds a candidate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "encoding/layout.h"
#include "encoding/schema.h"
#include "query/cell.h"
#include "query/plan.h"
#include "query/table.h"

namespace cipherstat {

// One count behind the cells of a table.
struct Count {
  uint64_t value = 0;
  int row = 0;               // the table row it belongs to
  bool row_records = false;  // the row's records: hiding it hides every count of its row
  bool released = true;      // false: a row's records that no cell shows (rule a only)
  std::string label;         // "count(*) of site=north" (for tests and messages)
  // Set by Suppress.
  bool hidden = false;
  Hidden why = Hidden::kPrimary;
  std::string relation;  // kComplementary: the label of the relation it protects
};

// Released counts that add up: the parts sum to the count `total`, or (total < 0) to a total
// known outside the table (rule 1: the header's record count or a published margin).
struct Relation {
  std::string label;  // "total of site=north", "bins of cd4 = count(cd4)"
  std::vector<int> parts;
  int total = -1;
};

// Applies rules a-c to `counts`. Every count a relation names must be released. A count
// already hidden when it runs (by a rule across releases) stays hidden, with its reason, and
// takes part like the others.
void Suppress(uint64_t min_cell, const std::vector<Relation>& relations,
              std::vector<Count>* counts);

// What the decoder knows of one output row.
struct RowCounts {
  std::vector<std::optional<std::string>> key;  // per GROUP BY column; nullopt: NULL
  bool null_group = false;                      // the NULL row of the private GROUP BY column
  uint64_t records = 0;
  // Per column of the table: the support of its cell (RowSums::Release); nullopt for a
  // GROUP BY value.
  std::vector<std::optional<uint64_t>> supports;
  // Not empty: the row is hidden because it combines with this row of an earlier release
  // (ReleaseOptions::earlier, query/decode.h), before rules a-c run.
  std::string earlier_release;
};

// The counts and relations of a decoded table (rows parallel to table.rows).
struct TableCounts {
  std::vector<Count> counts;
  std::vector<Relation> relations;
  // Per row and column: the count its cell rests on; -1 for a GROUP BY value, -2 for a
  // constant (COUNT(g) in the NULL row of g), hidden with its row.
  std::vector<std::vector<int>> cell_count;
  std::vector<int> row_records;  // per row: the count of its records
};
TableCounts Relations(const Schema& schema, const Layout& layout, const Plan& plan,
                      const ResultTable& table, const std::vector<RowCounts>& rows);

// Hides the cells of `table` by the rules above, after hiding the rows that combine with an
// earlier release: each hidden cell becomes Cell::Suppressed(), Cell::Complementary(relation)
// or Cell::EarlierRelease(row).
void ApplyDisclosureRules(const Schema& schema, const Layout& layout, const Plan& plan,
                          const std::vector<RowCounts>& rows, ResultTable* table);

}  // namespace cipherstat
