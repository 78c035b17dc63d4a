// The release ledger: what this party has released from each dataset, so that a new table
// cannot be subtracted from an earlier one (issue 16). Small-cell rules inside one table
// (query/disclosure.h) cannot see that `SELECT AVG(weight)` last week and `... GROUP BY
// diagnosis` today leave one patient's weight as their difference; the ledger can.
//
// What it records: for each release, every row with a cell shown, as the records that row
// describes (RowPopulation, query/table.h: the WHERE conditions and GROUP BY values as text,
// and how many records). What it prevents: a new row whose records nest with an earlier row's
// (every condition of one is a condition of the other: the total and a group, WHERE x and
// WHERE x AND y, a GROUP BY and the same GROUP BY with a WHERE on its column) and differ from
// them by 1..min_cell-1 records is hidden, "combines with release N, row ...", and the
// table's own rules then protect it (ReleaseOptions::earlier, query/decode.h).
// Not covered: nesting that is not syntactic (WHERE age >= 30 and WHERE age >= 31, a literal
// written two ways: '2' and '2.0'), and differences of three or more releases (A − B − C);
// a release whose rows were all hidden leaves no row.
//
// Differential privacy: a release with ε (ReleaseOptions::epsilon) records "epsilon" and the
// dataset's "budget" in force (both exact, "1/10"); the ε spent is the sum over the releases,
// computed exactly, and a release that would pass the budget is refused. A report of N tables
// spends N·ε, each table recorded (and checked) in turn.
//
// Where: one file per dataset, LedgerFolder(trail)/<DatasetLedgerId>.jsonl, private to the
// releasing party (the owner's, or the custodians' machine where `combine` runs). A line per
// release:
//   {"release":3,"time":"2026-11-30T07:10:00Z","result_sha256":"…","sql":"…","min_cell":11,
//    "rows":[{"where":["site = 'north'"],"records":52}],"prev":"<sha256 of line 2>"}
// Each line names the SHA-256 of the one before ("" for the first), so an edited or removed
// line breaks the chain and the ledger is refused as damaged; the release's audit entry names
// the line's own hash, so the signed audit log anchors the ledger (a deleted ledger file shows
// there, as releases whose ledger lines are gone — not checked automatically).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "query/decode.h"
#include "query/noise.h"
#include "query/table.h"
#include "store/signed_manifest.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// "ledger" beside the trail's audit log.
Result<std::string> LedgerFolder(const audit::Trail& trail);

// A dataset as the ledger knows it: SHA-256 of its key fingerprint and sealed schema, which
// the owner signs and which differ for every encryption, so a compute party cannot make one
// dataset's releases look like another's.
std::string DatasetLedgerId(const DatasetFacts& facts);

// The total ε a dataset may spend when the owner never set one (--dp-budget): 1.
inline constexpr unsigned long kDefaultPrivacyBudget = 1;

class Ledger {
 public:
  // Reads the ledger of `dataset_id` in `folder` (a dataset never released: empty).
  // Corruption naming the file and line if a line is malformed, misnumbered or off the chain.
  static Result<Ledger> Open(const std::string& folder, const std::string& dataset_id);

  // The releases so far, for ReleaseOptions::earlier.
  const std::vector<EarlierRelease>& releases() const { return releases_; }
  // The ε spent so far (0 when none), and the budget the last private release recorded.
  const Rational& spent() const { return spent_; }
  const std::optional<Rational>& budget() const { return budget_; }

  // OK when a release spending `epsilon` fits `budget` (unset: budget(), else
  // kDefaultPrivacyBudget) after what was spent; else InvalidArgument saying how much was
  // spent of what and how much this release needs. Remembers the budget for Record.
  Status CheckBudget(const Rational& epsilon, std::optional<Rational> budget);

  // Appends `table` as the next release (its rows with a cell shown) and rewrites the file
  // atomically. Returns "release N, sha256 <first 16 hex digits>…" for the audit entry.
  Result<std::string> Record(const ResultTable& table, const std::string& result_sha256);

 private:
  std::string path_;
  std::string text_;       // the file as read
  std::string last_hash_;  // SHA-256 of its last line; "" when empty
  std::vector<EarlierRelease> releases_;
  Rational spent_ = Rational::Integer(0);
  std::optional<Rational> budget_;
};

}  // namespace cipherstat::pipeline
