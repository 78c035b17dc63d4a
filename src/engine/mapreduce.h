// Map and reduce over encrypted records: pure functions of (public key, plan, records).
// The local engine and the Hadoop Streaming entry points both run these.
#pragma once

#include <atomic>
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
  Mapper(const crypto::PublicKey& pk, const Plan& plan);
  // Adds one record as ReadChunks hands it out (the plan's ciphertext columns read). Errors
  // say what is wrong with the record (the caller adds where).
  Status AddRecord(const RecordView& record);
  // Merges another mapper's partial sums into this one (the reduce step).
  void Merge(Mapper&& other);
  const Plan& plan() const { return plan_; }
  uint64_t records_read() const { return records_read_; }
  uint64_t records_matched() const { return records_matched_; }
  // Groups sorted by key.
  std::vector<EncryptedGroup> TakeGroups();

 private:
  const crypto::PublicKey& pk_;
  const Plan& plan_;
  struct RunningGroup {
    EncryptedGroup group;  // key and record count; sums filled by TakeGroups
    std::vector<crypto::ProductAccumulator> sums;
  };
  std::shared_ptr<const crypto::MontgomeryModulus> modulus_;  // mod n²
  std::map<std::vector<std::string>, RunningGroup> groups_;
  std::vector<std::string> key_;         // scratch for the current record's group key
  std::vector<mp_limb_t> record_limbs_;  // every plan ciphertext of the current record
  uint64_t records_read_ = 0, records_matched_ = 0;
};

// A run of consecutive chunks of one segment (store/dataset.h): the unit of work a map thread
// or a Hadoop map task takes, so that parallelism does not depend on how many segments there are.
struct ChunkRange {
  size_t segment = 0;  // index into the manifest's segments
  size_t first_chunk = 0, chunks = 0;
  uint64_t records = 0;
  bool operator==(const ChunkRange&) const = default;
};
// The dataset's chunks in order, cut into ranges of about `records_per_range` records (at least
// one chunk each, never across segments).
std::vector<ChunkRange> SplitIntoRanges(const Manifest& manifest, uint64_t records_per_range);

// Reads a range's chunks (checked against the manifest, ReadChunks) into `mapper`, adding each
// record to `done` if given.
Status MapRange(const Dataset& dataset, const ChunkRange& range, Mapper* mapper,
                std::atomic<uint64_t>* done = nullptr);

struct LocalOptions {
  int threads = 0;  // 0: all cores
  std::function<void(uint64_t records_done, uint64_t records_total)> progress;
};

// What every engine's result says about the dataset and query, before any sums: names,
// counts, the dataset's digest and the owner's signed manifest, copied from `dataset`.
EncryptedResult ResultHeader(const Dataset& dataset, const Plan& plan, std::string engine);

// Runs the plan over every chunk of the dataset with a thread pool, checking each chunk's
// public lines and the columns the plan reads against the manifest's digests (ReadChunks).
// Errors name the file and chunk.
Result<EncryptedResult> RunLocal(const Dataset& dataset, const Plan& plan,
                                 const LocalOptions& options);

}  // namespace cipherstat
