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
#include <string>
#include <vector>

#include "audit/trail.h"
#include "engine/engine.h"
#include "pipeline/keys.h"
#include "pipeline/release.h"
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
  std::string queries;  // the query file
  std::string out;      // the HTML file
  bool force = false;   // replace an existing `out` (pipeline/publish.h)
  std::string title;    // default: "Report on DATASET"
  ReleaseRules rules;
  int threads = 0;
};
struct ReportSummary {
  size_t queries = 0;
  uint64_t records = 0;
};
// `cipherstat report`: RunReportQueries with the owner's key, one HTML page, published with a
// "release" audit entry naming every query.
Result<ReportSummary> WriteReport(
    const ReportRequest& request, const PassphraseSource& passphrase, const audit::Trail& trail,
    const std::function<void(size_t, size_t, const ReportQuery&)>& progress);

}  // namespace cipherstat::pipeline
