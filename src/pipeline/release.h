// Releasing a result: the owner-side sequence, written once.
//
//   read the result file → check its key → verify the owner's signed manifest → decrypt the
//   sums and the sealed schema's key (the owner's key, or custodians' partial decryptions) →
//   open the owner's schema → decode under it and the signed facts → disclosure rules
//   (small-cell and complementary suppression, and rows that would combine with an earlier
//   release: pipeline/ledger.h) → record in the release ledger → audit → write
//
// `decrypt`, `combine`, `report` and the demo all release through OpenResult and Publish;
// a new release rule belongs in OpenResult, and reaches every one of them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "crypto/keystore.h"
#include "crypto/paillier.h"
#include "crypto/threshold_files.h"
#include "pipeline/publish.h"
#include "query/decode.h"
#include "query/table.h"
#include "store/result_file.h"
#include "store/signed_manifest.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// A result file as the owner or a custodian reads it.
struct LoadedResult {
  std::string source;  // where it was read from, for messages
  std::string sha256;  // of the file's bytes: what the audit log and partial files name
  EncryptedResult result;
};
// Parses `text` and checks every ciphertext under `pk`; a result computed under another key is
// InvalidArgument ("wrong key: ...") naming both fingerprints.
Result<LoadedResult> ParseResult(const std::string& text, const std::string& source,
                                 const crypto::PublicKey& pk);
// The same for a local file or hdfs:// URI.
Result<LoadedResult> ReadResult(const std::string& path, const crypto::PublicKey& pk);

// Who turns a result's sums into plaintexts.
class Decryptor {
 public:
  virtual ~Decryptor() = default;
  virtual const crypto::PublicKey& public_key() const = 0;
  // The owner's verify key, from the decrypting party's own authenticated key material.
  virtual const crypto::VerifyKey& owner() const = 0;
  // Whether this is the owner's whole key, which may release under a weaker policy than the
  // one it signed (ReleaseRules::min_cell).
  virtual bool holds_owner_key() const { return false; }
  // The audit action ("decrypt", "combine") and what its detail starts with.
  virtual std::string action() const = 0;
  virtual std::string detail_prefix() const { return ""; }
  // Called once the signed manifest is verified, before anything is decrypted: a decryptor
  // for CiphertextsToDecrypt(loaded, facts) (query/decode.h).
  virtual Result<SumDecryptor> Prepare(const LoadedResult& loaded, const DatasetFacts& facts) = 0;
};

// The owner's whole secret key, and the owner's verify key from the same keystore.
class OwnerDecryptor : public Decryptor {
 public:
  explicit OwnerDecryptor(const crypto::OwnerKey& key)
      : OwnerDecryptor(key.paillier, key.signing.verify_key()) {}
  OwnerDecryptor(const crypto::SecretKey& sk, const crypto::VerifyKey& owner)
      : sk_(sk), owner_(owner) {}
  const crypto::PublicKey& public_key() const override { return sk_.public_key(); }
  const crypto::VerifyKey& owner() const override { return owner_; }
  bool holds_owner_key() const override { return true; }
  std::string action() const override { return "decrypt"; }
  Result<SumDecryptor> Prepare(const LoadedResult& loaded, const DatasetFacts& facts) override;

 private:
  const crypto::SecretKey& sk_;
  const crypto::VerifyKey& owner_;
};

// At least t custodians' partial decryption files (crypto/threshold_files.h), opened with the
// designated combiner's key (pipeline::OpenCombinerKey): a file sealed to another combiner, or
// altered, is refused ("PATH: not sealed to this combiner (...)"), and so is an unsealed one.
// Every proof is checked before anything is combined.
class CustodianDecryptor : public Decryptor {
 public:
  CustodianDecryptor(crypto::ThresholdFolder folder, crypto::CombinerKey combiner,
                     std::vector<std::string> partial_paths)
      : folder_(std::move(folder)),
        combiner_(std::move(combiner)),
        partial_paths_(std::move(partial_paths)) {}
  const crypto::PublicKey& public_key() const override { return folder_.pub.pk; }
  const crypto::VerifyKey& owner() const override { return folder_.owner; }
  std::string action() const override { return "combine"; }
  std::string detail_prefix() const override { return "custodians " + custodians_ + "; "; }
  Result<SumDecryptor> Prepare(const LoadedResult& loaded, const DatasetFacts& facts) override;

 private:
  crypto::ThresholdFolder folder_;
  crypto::CombinerKey combiner_;
  std::vector<std::string> partial_paths_;
  std::string custodians_;  // "1,3", known once Prepare has read the files
};

struct ReleaseRules {
  // Differential privacy (epsilon) and the rest; its min_cell is set by OpenResult from the
  // two below.
  ReleaseOptions cells;
  // --min-cell. Unset: the owner's signed policy (DatasetFacts::min_cell). The owner's own key
  // may set any value; custodians' partials (combine) only a stricter one.
  std::optional<uint64_t> min_cell;
  bool allow_unsigned = false;  // decode an unsigned dataset's result with its own claims
  // The dataset's total privacy budget (--dp-budget), recorded in the ledger; unset: the
  // budget the ledger last recorded, else kDefaultPrivacyBudget (pipeline/ledger.h).
  std::optional<Rational> dp_budget;
};

struct Released {
  ResultTable table;
  DatasetFacts facts;  // what the table was decoded with: the signed facts
  Schema schema;       // and the owner's schema they sealed
  // "ledger release 3, sha256 …" for the audit entry; empty without a ledger.
  std::string ledger_entry;
};

// verify the facts and the result's shape (query/verify.h) → decrypt → verify every sum →
// decode → disclosure rules, for one loaded result. A differentially
// private release (rules.cells.epsilon) needs a `ledger`, and is refused before anything is
// decrypted when the ε already spent on the dataset plus this one would pass its budget
// (Ledger::CheckBudget). With a `ledger` trail,
// the rows that would combine with the dataset's earlier releases in LedgerFolder(*ledger) are
// hidden too, and the table is recorded there as the next release (before any audit entry or
// output, so that a release is never missing from the ledger; one that then fails to be
// written stays recorded, which only hides more later). No output, no audit.
Result<Released> OpenResult(const LoadedResult& loaded, Decryptor& decryptor,
                            const ReleaseRules& rules, const audit::Trail* ledger);

// OpenResult with the owner's key for a result already parsed (tests, fuzzing): the table, or
// why it cannot be released ("wrong key: ..." for a result under another key).
Result<ResultTable> DecryptResult(const crypto::SecretKey& sk, const crypto::VerifyKey& owner,
                                  const EncryptedResult& result, const ReleaseOptions& options,
                                  bool allow_unsigned = false);

// Where a released table goes.
struct Output {
  std::string format = "text";  // one of TableFormats() (report/format.h)
  std::string path;             // "" or "-": stdout
  bool force = false;           // replace an existing file (pipeline/publish.h)
};
// The sequence after reading: OpenResult, render as `output.format`, Publish with the
// decryptor's audit entry. `warn` hears when the dataset is unsigned.
Status ReleaseResult(const LoadedResult& loaded, Decryptor& decryptor, const ReleaseRules& rules,
                     const Output& output, const audit::Trail& trail,
                     const std::function<void(const std::string&)>& warn);

}  // namespace cipherstat::pipeline
