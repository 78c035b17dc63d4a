// From summed slots to the released table: unpack, check that the sums are possible, decode
// fixed point, compute the aggregates with exact integer arithmetic, and apply the disclosure
// rules (query/disclosure.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "encoding/layout.h"
#include "query/plan.h"
#include "query/table.h"
#include "store/result_file.h"
#include "store/signed_manifest.h"
#include "util/status.h"

namespace cipherstat {

// One group's summed plaintexts (indexed like plan.ciphertexts).
struct GroupSums {
  std::vector<std::string> key;
  uint64_t records = 0;  // as claimed by whoever summed
  std::vector<crypto::BigInt> plaintexts;
};

// The rows an earlier release of the same dataset showed (pipeline/ledger.h).
struct EarlierRelease {
  int number = 0;                   // its number in the ledger, from 1
  std::vector<RowPopulation> rows;  // rows with at least one cell shown
};

struct ReleaseOptions {
  ReleaseOptions() = default;
  explicit ReleaseOptions(uint64_t cells_from) : min_cell(cells_from) {}

  uint64_t min_cell = 11;  // the common health-statistics threshold
  // Releases of the same dataset before this one. A row whose records nest with an earlier
  // row's (every predicate of one is a predicate of the other) and differ from them by
  // 1..min_cell-1 records would, subtracted from it, describe that few records: it is hidden
  // (Hidden::kEarlierRelease) before the disclosure rules run, which then protect it like any
  // hidden row (query/disclosure.h).
  std::vector<EarlierRelease> earlier;
};

// Fills table->columns with the labels of the columns DecodeSums releases for `query` (a
// HISTOGRAM item gives one per bin), table->column_info with what each holds, and
// table->query.
void SetResultColumns(const Query& query, const Schema& schema, ResultTable* table);

// Builds the released table. `dataset_records` enables the record-count check for queries
// without WHERE (a dropped or duplicated record changes the encrypted count slot), and is the
// header's record count the disclosure rules protect against. Before any cell is decoded, sums
// that no records within the schema could give are Corruption: "result refused as corrupt or
// tampered: row site=north, arm=NULL, count(*): -2 records: the levels of arm add up to 42,
// more than the group's 40" — a negative count, levels adding up to more than their group,
// more values or binned records than the row has (bins that cover the column's bounds must add
// up to its count exactly), a mean outside the column's bounds, a negative variance
// (n·Σy² < (Σy)²), squares beyond the bounds (Σy² > R·Σy).
Result<ResultTable> DecodeSums(const Schema& schema, const Layout& layout, const Plan& plan,
                               std::vector<GroupSums> groups, uint64_t dataset_records,
                               const ReleaseOptions& options);

// The facts to decode `result` with: its owner_manifest verified with `owner` (the verify key
// from the decrypting party's own keystore or key share). An unsigned result fails with a
// message that names --allow-unsigned, unless `allow_unsigned`, in which case the compute
// party's unauthenticated fields are used and facts.signed_by_owner is false. A signed result
// whose catalog, layout, sealed schema, key or record count differ from the signed ones is
// Corruption.
Result<DatasetFacts> ResultFacts(const EncryptedResult& result, const crypto::VerifyKey& owner,
                                 bool allow_unsigned = false);

// Every ciphertext a key holder decrypts to release `result`: its sums, group by group, then
// the key of the schema sealed in `facts`. Partial decryption files follow this order.
Result<std::vector<crypto::Ciphertext>> CiphertextsToDecrypt(const crypto::PublicKey& pk,
                                                             const DatasetFacts& facts,
                                                             const EncryptedResult& result);

// Turns one ciphertext into its plaintext (whole-key or threshold decryption).
using SumDecryptor = std::function<Result<crypto::BigInt>(const crypto::Ciphertext&)>;

// The owner's schema sealed in `facts` (store/dataset.h), its key decrypted with `decrypt`.
Result<Schema> OpenFactsSchema(const crypto::PublicKey& pk, const DatasetFacts& facts,
                               const SumDecryptor& decrypt);

// Re-derives the plan from the SQL under the signed facts, decrypts every sum with `decrypt`
// and decodes with the owner's `schema` (OpenFactsSchema): the one path from an encrypted
// result to the released table.
Result<ResultTable> DecodeResult(const crypto::PublicKey& pk, const DatasetFacts& facts,
                                 const Schema& schema, const EncryptedResult& result,
                                 const SumDecryptor& decrypt, const ReleaseOptions& options);

// The same aggregates computed on a clean plaintext CSV by summing plaintexts packed as for a
// key with `plaintext_bits` (PublicKey::plaintext_bits): the demo's side-by-side check of the
// encrypted pipeline.
Result<ResultTable> EvaluatePlaintext(const Schema& schema, int plaintext_bits,
                                      const std::string& sql, const std::string& clean_csv,
                                      const ReleaseOptions& options);

}  // namespace cipherstat
