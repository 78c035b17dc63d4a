// From summed slots to the released table: unpack, decode fixed point, compute the
// aggregates with exact integer arithmetic, and suppress small cells.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "encoding/layout.h"
#include "engine/result_file.h"
#include "query/plan.h"
#include "query/table.h"
#include "util/status.h"

namespace cipherstat {

// One group's summed plaintexts (indexed like plan.ciphertexts).
struct GroupSums {
  std::vector<std::string> key;
  uint64_t records = 0;  // as claimed by whoever summed
  std::vector<crypto::BigInt> plaintexts;
};

struct ReleaseOptions {
  uint64_t min_cell = 11;  // the common health-statistics threshold
};

// Builds the released table. `dataset_records` enables the record-count check for queries
// without WHERE (a dropped or duplicated record changes the encrypted count slot).
Result<ResultTable> DecodeSums(const Schema& schema, const Layout& layout, const Plan& plan,
                               std::vector<GroupSums> groups, uint64_t dataset_records,
                               const ReleaseOptions& options);

// Checks the key, re-derives the plan from the SQL, decrypts and decodes.
Result<ResultTable> DecryptResult(const crypto::SecretKey& sk, const EncryptedResult& result,
                                  const ReleaseOptions& options);

// The same aggregates computed on a clean plaintext CSV by summing packed plaintexts: the
// demo's side-by-side check of the encrypted pipeline.
Result<ResultTable> EvaluatePlaintext(const Schema& schema, const Layout& layout,
                                      const std::string& sql, const std::string& clean_csv,
                                      const ReleaseOptions& options);

}  // namespace cipherstat
