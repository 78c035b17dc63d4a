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

#include "crypto/paillier.h"
#include "engine/mapreduce.h"
#include "query/decode.h"
#include "report/html.h"
#include "store/dataset.h"
#include "util/status.h"

namespace cipherstat {

struct ReportQuery {
  std::string title;  // may be empty
  std::string sql;
  int line = 0;  // 1-based, for errors
};

// Errors are InvalidArgument "PATH:LINE: ..." (a line with neither SELECT nor "title: SELECT").
Result<std::vector<ReportQuery>> ParseReportQueries(const std::string& text,
                                                    const std::string& path);

// Plans every query first (so a bad one fails before any work, naming its line), then runs,
// round-trips each encrypted result through its file format, decrypts and releases it.
// `progress(i)` is called before query i (0-based) runs. `owner` verifies the dataset's
// signed manifest (store/signed_manifest.h).
Result<std::vector<ReportSection>> RunReportQueries(
    const Dataset& dataset, const crypto::SecretKey& sk, const crypto::VerifyKey& owner,
    const std::vector<ReportQuery>& queries, const std::string& path, const ReleaseOptions& release,
    const LocalOptions& local, const std::function<void(size_t)>& progress = nullptr);

}  // namespace cipherstat
