// From summed slots to the released table: unpack, check that the sums are possible, decode
// fixed point, compute the aggregates with exact integer arithmetic, and apply the disclosure
// rules (query/disclosure.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "encoding/layout.h"
#include "query/noise.h"
#include "query/plan.h"
#include "query/table.h"
#include "query/verify.h"
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

// Differential privacy (issue 16 item 3), opt-in with `epsilon` (--dp-epsilon; ParseEpsilon).
//
// THE MECHANISM. DecodeSums adds discrete Laplace noise (query/noise.h, exact) to every
// decrypted slot sum the query reads (Plan::slots), per public group: one draw per group and
// slot, made before anything is decoded and reused wherever that slot is read, so a cell and
// every relation computed from the same slot agree (the NULL row of a private GROUP BY is the
// noisy total minus the noisy levels; COUNT(*) is the noisy count slot). Counts, sums,
// means, SDs and variances are then derived from the noisy sums alone: post-processing.
//
// THE ACCOUNTING (pure ε-DP, add/remove-one-record neighbours). Sensitivity per slot, from
// the owner's schema bounds (values are clamped to [min, max] by clean and the encoder, so
// 0 <= y <= R, R = the variable's range in fixed-point units, VariableCodec::range):
//   count, observed, level, bin slots: 1;  sum: R;  sumsq: R².
// One record contributes, within its one public group, to at most one slot of each *family*
// of read slots: slots sharing (kind, variable, cross column) and differing only in their
// level or bin (the one-hot levels of G; the bins of X; the observed/sum/sumsq of X crossed
// by the levels of G) — every other slot is a family of its own. With k = the number of
// families among Plan::slots (the same k in every group), ε is split evenly: each slot s of
// sensitivity Δ_s gets scale b_s = Δ_s·k/ε. Adding or removing one record moves at most k
// slots, each by at most its Δ_s, so the privacy loss is at most Σ Δ_s/b_s = k·(ε/k) = ε
// (sequential composition over the families); public groups hold disjoint records (parallel
// composition). A release with `epsilon` therefore spends exactly ε, whatever the query; the
// ε is carried in ResultTable::epsilon for the release ledger to debit. (A report of N
// queries makes N releases: N·ε in all, by sequential composition.) Examples:
// COUNT(*) alone: k = 1, b = 1/ε. AVG(x) with x missing allowed: count, observed, sum,
// sumsq: k = 4, b = 4/ε for the counts, 4R/ε for sum(x), 4R²/ε for sumsq(x). Scales above
// kMaxNoiseScale are refused (InvalidArgument).
//
// WHAT IS RELEASED. Each count and sum cell carries its noise (Cell::noise, query/cell.h):
// the exact Laplace scale and 95% half-width when the cell is one noisy slot; for a derived
// cell (AVG, STDDEV, VARIANCE, SUM of a column whose minimum is not 0, any value of the NULL
// row, COUNT over a categorical's levels) the first-order propagated standard deviation of
// its noise from the independent slot noises, at the released values, and 1.96 times it,
// marked approximate. Post-processing keeps released values possible: a count below 0 is
// released as 0, a row's sum is clamped to [n·min, n·max] (so the mean lies in the column's
// bounds), the sum of squares to [0, R·Σy], a variance below 0 is 0; a row with a noisy
// count <= 0 of values gives NULL for its moments, and a private GROUP BY row whose noisy
// record count is <= 0 is left out. Small-cell suppression (query/disclosure.h) then runs on
// the noisy counts, as on exact ones: a noisy count of 1..min_cell-1 is hidden.
//
// THE RECORD COUNT. The integrity checks (a group's encrypted count slot against the count
// the compute party reported, and the total against the signed manifest's record count for a
// query without WHERE) and the sanity checks (CheckRow) run on the exact decrypted sums,
// before any noise. The exact counts are never released: the table's dataset_records is 0 and
// dataset_rows_read empty when `epsilon` is set, and every renderer writes the record count
// as withheld. (The disclosure rules still treat the header's count as known, which only
// hides more.)
//
// Not covered: which public groups appear (a group key is released when the group has a
// record; the compute party saw the keys anyway, but a reader learns that some record has
// each key shown), and the timing of the samplers (query/noise.h).
struct ReleaseOptions {
  ReleaseOptions() = default;
  explicit ReleaseOptions(uint64_t cells_from) : min_cell(cells_from) {}

  uint64_t min_cell = 11;  // the common health-statistics threshold
  // Releases of the same dataset before this one. A row whose records nest strictly with an
  // earlier row's (every predicate of one is a predicate of the other, not the same) and
  // differ from them by
  // 1..min_cell-1 records would, subtracted from it, describe that few records: it is hidden
  // (Hidden::kEarlierRelease) before the disclosure rules run, which then protect it like any
  // hidden row (query/disclosure.h).
  std::vector<EarlierRelease> earlier;

  // ε for this release; nullopt: no noise, the exact release.
  std::optional<Rational> epsilon = std::nullopt;
  // The randomness for the noise; empty: libsodium (BufferedSodiumUniform). Tests only.
  UniformBelow noise_source = nullptr;

  // The confidence level of AVG_CI and PROPORTION_CI, in (0, 1) (--level); a level other than
  // 0.95 is written in their column labels: "avg_ci(cd4) 90% lo".
  double level = 0.95;
};

// "site = 'north'": a condition or a GROUP BY value as the release ledger compares them
// (RowPopulation), the literal always quoted.
std::string ReleasePredicate(const std::string& column, const std::string& op,
                             const std::string& literal);
// The earlier released row `row` would combine with into 1..min_cell-1 records ("release 3,
// row site = 'north'"), or "".
std::string CombinesWithEarlier(const RowPopulation& row, const ReleaseOptions& options);

// Fills table->columns with the labels of the columns DecodeSums releases for `query` (a
// HISTOGRAM item gives one per bin), table->column_info with what each holds, and
// table->query. `level`: ReleaseOptions::level.
void SetResultColumns(const Query& query, const Schema& schema, ResultTable* table,
                      double level = 0.95);

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
// message that names --allow-unsigned, unless `allow_unsigned`, in which case the manifest
// content the compute party copied is used, unauthenticated, and facts.signed_by_owner is
// false. A result whose catalog, layout, sealed schema, key or record count differ from the
// facts is Corruption.
Result<DatasetFacts> ResultFacts(const EncryptedResult& result, const crypto::VerifyKey& owner,
                                 bool allow_unsigned = false);

// Every ciphertext a key holder decrypts to release `result`: its sums, group by group, then
// the key of the schema sealed in `facts`. Partial decryption files follow this order.
Result<std::vector<crypto::Ciphertext>> CiphertextsToDecrypt(const crypto::PublicKey& pk,
                                                             const DatasetFacts& facts,
                                                             const EncryptedResult& result);

// Turns one ciphertext into its plaintext (whole-key or threshold decryption).
using SumDecryptor = std::function<Result<crypto::BigInt>(const crypto::Ciphertext&)>;

// The owner's schema and sum verifier sealed in `facts` (store/dataset.h), the seal's key
// decrypted with `decrypt`.
Result<OwnerSecrets> OpenFactsSecrets(const crypto::PublicKey& pk, const DatasetFacts& facts,
                                      const SumDecryptor& decrypt);

// The one path from an encrypted result to the released table: re-derives the plan from the
// SQL under the owner's schema, decrypts every sum with `decrypt`, verifies each against the
// `expected` groups (CheckResultShape) and the sealed verifier (query/verify.h: nothing is
// decoded unless every sum passes), and decodes with the owner's schema.
Result<ResultTable> DecodeResult(const crypto::PublicKey& pk, const DatasetFacts& facts,
                                 const OwnerSecrets& secrets,
                                 const std::vector<ExpectedGroup>& expected,
                                 const EncryptedResult& result, const SumDecryptor& decrypt,
                                 const ReleaseOptions& options);

// The same aggregates computed on a clean plaintext CSV by summing plaintexts packed as for a
// key with `plaintext_bits` (PublicKey::plaintext_bits): the demo's side-by-side check of the
// encrypted pipeline.
Result<ResultTable> EvaluatePlaintext(const Schema& schema, int plaintext_bits,
                                      const std::string& sql, const std::string& clean_csv,
                                      const ReleaseOptions& options);

}  // namespace cipherstat
