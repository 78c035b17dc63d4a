// A report's queries, one per line of a text file:
//
//   # comments and blank lines are ignored
//   CD4 by treatment arm: SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm
//   SELECT HISTOGRAM(cd4) FROM cohort          <- no title: DescribeQuery makes one
//
// and running them as the data owner acting end to end on the local engine: the compute
// side's code path (public key and ciphertexts only) produces each encrypted result, which
// the owner then decrypts and releases.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "engine/engine.h"
#include "pipeline/keys.h"
#include "pipeline/release.h"
#include "pipeline/table1.h"
#include "report/html.h"
#include "store/dataset.h"
#include "util/status.h"

namespace cipherstat::pipeline {

struct ReportQuery {
  std::string title;  // may be empty
  std::string sql;
  int line = 0;  // 1-based, for errors
};

// Errors are InvalidArgument "PATH:LINE: ..." (a line with neither SELECT nor "title: SELECT").
Result<std::vector<ReportQuery>> ParseReportQueries(const std::string& text,
                                                    const std::string& path);

// Plans every query first (so a bad one fails before any work, naming its line), then, for
// each: runs it on `engine` as the compute side would (public key and ciphertexts
// only), round-trips the encrypted result through its file format, and opens it with
// `decryptor` under `rules` and the release ledger of `ledger` (pipeline/release.h, OpenResult;
// each query is recorded before the next is opened). `progress(i)` is called before query i.
struct ReportRun {
  std::vector<ReportSection> sections;
  Schema schema;               // the owner's, opened with the results
  DatasetFacts facts;          // the signed facts they were decoded with
  std::string ledger_entries;  // the ledger lines recorded, for the audit entry
};
Result<ReportRun> RunReportQueries(const Dataset& dataset, Decryptor& decryptor,
                                   const std::vector<ReportQuery>& queries, const std::string& path,
                                   const ReleaseRules& rules, const audit::Trail* ledger,
                                   Engine& engine,
                                   const std::function<void(size_t)>& progress = nullptr);

struct ReportRequest {
  std::string data;     // dataset folder
  std::string key;      // the owner's key folder
  std::string queries;  // the query file (unless table1)
  // A Table 1 (pipeline/table1.h) instead of the query file's queries.
  std::optional<Table1Spec> table1;
  std::string format;  // the query file: html only; a Table 1: text (default), csv or html
  std::string out;     // the file ("-": standard output, a Table 1 only)
  bool force = false;  // replace an existing `out` (pipeline/publish.h)
  std::string title;   // default: "Report on DATASET", "Table 1 by G"
  ReleaseRules rules;
  int threads = 0;
};
struct ReportSummary {
  size_t queries = 0;
  uint64_t records = 0;
};
// `cipherstat report`: the owner's key opened, the queries run (RunReportQueries, or
// BuildTable1's), one document rendered (an HTML page, or the Table 1 as `format`) and
// published with a "release" audit entry naming every query. `progress(i, total, sql)`: total
// is 0 when not known in advance (a Table 1).
Result<ReportSummary> WriteReport(
    const ReportRequest& request, const PassphraseSource& passphrase, const audit::Trail& trail,
    const std::function<void(size_t, size_t, const std::string&)>& progress);

}  // namespace cipherstat::pipeline
