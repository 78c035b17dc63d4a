// Running a query: the compute side's sequence, written once.
//
//   open the dataset through its storage → plan the SQL under its schema → run the plan on an
//   engine → the encrypted result file → audit → write
//
// It needs the public key and the ciphertexts only; a secret key next to the dataset stops it.
#pragma once

#include <string>

#include "audit/trail.h"
#include "engine/engine.h"
#include "store/dataset.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// The encrypted result of `sql` over `dataset` on `engine`, and its file's text.
struct ComputedResult {
  EngineRun run;
  std::string json;  // the result file (store/result_file.h)
};
Result<ComputedResult> ComputeResult(const Dataset& dataset, const std::string& sql, Engine& engine,
                                     const EngineContext& context);

struct QueryRequest {
  std::string data;  // dataset folder or URI
  std::string sql;
  std::string out;               // result file or URI
  std::string engine = "local";  // a name from Engines()
  EngineSettings settings;
  bool force = false;  // replace an existing `out` (pipeline/publish.h)
};
// `cipherstat query`: ComputeResult, a "query" audit entry naming the result's digest, then
// the result file written atomically to request.out.
Result<EngineRun> RunQuery(const QueryRequest& request, const EngineContext& context,
                           const audit::Trail& trail);

}  // namespace cipherstat::pipeline
