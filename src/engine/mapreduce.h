// Map and reduce over encrypted records: pure functions of (public key, plan, records).
// The local engine and the Hadoop Streaming entry points both run these.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/montgomery.h"
#include "crypto/paillier.h"
#include "query/plan.h"
#include "store/dataset.h"
#include "store/result_file.h"
#include "util/status.h"

namespace cipherstat {

// In-mapper combining: one running encrypted sum per group key, kept as a Montgomery
// product (crypto/montgomery.h) and converted once in TakeGroups.
//
// Each ciphertext read is checked to lie in (0, n²); the gcd(c, n) = 1 half of the Z*_{n²}
// check is left to the sums (a factor shared with n survives into the product) — RunLocal
// and every reader of a result file validate them — because a gcd per input costs more
// than the product itself.
class Mapper {
 public:
  Mapper(const crypto::PublicKey& pk, const Plan& plan, size_t ciphertexts_per_record);
  // Adds one record line. Errors say what is wrong with the line (the caller adds where).
  Status AddLine(std::string_view line);
  // Adds one record already split by SplitRecordLine (or a SegmentVerifier).
  Status AddRecord(const RecordLine& fields);
  // Merges another mapper's partial sums into this one (the reduce step).
  void Merge(Mapper&& other);
  uint64_t records_read() const { return records_read_; }
  uint64_t records_matched() const { return records_matched_; }
  // Groups sorted by key.
  std::vector<EncryptedGroup> TakeGroups();

 private:
  const crypto::PublicKey& pk_;
  const Plan& plan_;
  size_t ciphertexts_per_record_;
  struct RunningGroup {
    EncryptedGroup group;  // key and record count; sums filled by TakeGroups
    std::vector<crypto::ProductAccumulator> sums;
  };
  std::shared_ptr<const crypto::MontgomeryModulus> modulus_;  // mod n²
  std::map<std::vector<std::string>, RunningGroup> groups_;
  std::string raw_;                    // scratch for one decoded ciphertext
  std::vector<std::string> key_;       // scratch for the current record's group key
  std::vector<mp_limb_t> line_limbs_;  // every plan ciphertext of the current line
  uint64_t records_read_ = 0, records_matched_ = 0;
  RecordLine fields_;
};

struct LocalOptions {
  int threads = 0;  // 0: all cores
  std::function<void(uint64_t records_done, uint64_t records_total)> progress;
};

// What every engine's result says about the dataset and query, before any sums: names,
// counts, the dataset's digest and the owner's signed manifest, copied from `dataset`.
EncryptedResult ResultHeader(const Dataset& dataset, const Plan& plan, std::string engine);

// Runs the plan over every segment of the dataset with a thread pool, verifying each
// segment's size, line count and the digests of the columns the plan reads against the
// manifest. Errors name the segment and line.
Result<EncryptedResult> RunLocal(const Dataset& dataset, const Plan& plan,
                                 const LocalOptions& options);

}  // namespace cipherstat
