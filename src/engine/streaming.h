// The mapper, combiner and reducer of a Hadoop Streaming job: `cipherstat mapreduce map|reduce`.
//
// Both read lines on stdin and write lines on stdout; Streaming sorts by the text before the
// first tab. Lines between the stages ("partials"):
//   g<hex(v1)>.<hex(v2)>...\t<records>\t<b64 sum>\t...   one group's encrypted partial sums
//   #stats\t<records read>\t<records matched>           the mapper's counts
//   !error\t<message>                                   a segment failed its checks
// The mapper sees one whole segment per task (the job sets an unsplittable split size), so
// it verifies the segment's size, line count and column digests against the manifest, like the
// local engine; a mismatch becomes an !error line (not a task failure, which Hadoop would retry in
// vain) that the client turns into a Corruption error naming the segment. Counters go to stderr as
// `reporter:counter:cipherstat,NAME,N` (records_read, records_matched, records_rejected).
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "query/plan.h"
#include "store/dataset.h"
#include "store/result_file.h"
#include "util/status.h"

namespace cipherstat {

// What every task needs, shipped with `-files`: the SQL and the dataset's manifest (the plan
// is re-derived from them, the same function the owner uses) plus the public key.
struct StreamingPlan {
  std::string sql;
  std::string manifest_json;  // the dataset's manifest.json, byte for byte
};
std::string StreamingPlanToJson(const StreamingPlan& plan);
Result<StreamingPlan> StreamingPlanFromJson(const std::string& json);

// Everything a task derives from the plan file and the key file.
struct StreamingContext {
  StreamingPlan shipped;
  Manifest manifest;
  crypto::PublicKey public_key;
  Layout layout;
  Plan plan;
};
Result<StreamingContext> LoadStreamingContext(const std::string& plan_file,
                                              const std::string& key_file);

struct MapTaskInput {
  std::string input_file;  // mapreduce_map_input_file: the segment this task reads
  uint64_t split_start = 0;
  int64_t split_length = -1;  // -1: unknown
};

// The mapper: reads one segment's lines, writes one partial per group plus #stats.
Status RunStreamingMap(const StreamingContext& context, const MapTaskInput& task, std::istream& in,
                       std::ostream& out, std::ostream& counters);
// The combiner and reducer: merges partials (any order) into one line per key.
Status RunStreamingReduce(const StreamingContext& context, std::istream& in, std::ostream& out);

// Reads the reducer output files' lines into a result (groups sorted by key). A !error line
// becomes a Corruption status carrying its message.
struct StreamingOutput {
  std::vector<EncryptedGroup> groups;
  uint64_t records_read = 0, records_matched = 0;
};
Result<StreamingOutput> ParseStreamingOutput(const StreamingContext& context,
                                             const std::vector<std::string>& texts);

}  // namespace cipherstat
