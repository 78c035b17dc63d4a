// The mapper, combiner and reducer of a Hadoop Streaming job: `cipherstat mapreduce map|reduce`.
//
// Both read lines on stdin and write lines on stdout; Streaming sorts by the text before the
// first tab. Lines between the stages ("partials"):
//   g<hex(v1)>.<hex(v2)>...\t<records>\t<b64 sum>\t...   one group's encrypted partial sums
//   #stats\t<records read>\t<records matched>           the mapper's counts
//   !error\t<message>                                   a chunk failed its checks
// The job's input is not the dataset but a list of chunk ranges (engine/mapreduce.h), one line
// each, "range\t<segment name>\t<first chunk>\t<chunks>", one line a map task: the mapper reads
// its range's public file and the plan's ciphertext columns from the dataset's storage itself
// (ReadChunks, binary, only the columns summed) and checks each chunk against the manifest, like
// the local engine. So the number of map tasks follows the ranges, not the segments. A chunk
// that fails its checks becomes an !error line (not a task failure, which Hadoop would retry in
// vain) that the client turns into a Corruption error naming the file and chunk. Counters go to
// stderr as `reporter:counter:cipherstat,NAME,N` (records_read, records_matched,
// records_rejected).
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "crypto/paillier.h"
#include "engine/mapreduce.h"
#include "query/plan.h"
#include "store/dataset.h"
#include "store/result_file.h"
#include "util/status.h"

namespace cipherstat {

// What every task needs, shipped with `-files`: the SQL and the dataset's manifest (the plan
// is re-derived from them, the same function the owner uses), where the dataset is, plus the
// public key.
struct StreamingPlan {
  std::string sql;
  std::string manifest_json;  // the dataset's manifest.json, byte for byte
  std::string dataset;        // its path or URI (store/storage.h), which the mappers read
  StorageConfig storage;      // how to reach it (the HDFS user)
};
std::string StreamingPlanToJson(const StreamingPlan& plan);
Result<StreamingPlan> StreamingPlanFromJson(const std::string& json);

// Everything a task derives from the plan file and the key file: the dataset as
// OpenDataset would give it, from the shipped manifest rather than storage.
struct StreamingContext {
  StreamingPlan shipped;
  Dataset dataset;
  Plan plan;
};
Result<StreamingContext> LoadStreamingContext(const std::string& plan_file,
                                              const std::string& key_file);

// The job's input lines for `ranges`, and one line back (Hadoop's NLineInputFormat may put a
// byte offset and a tab before it).
std::string RangeLine(const Manifest& manifest, const ChunkRange& range);
Result<ChunkRange> ParseRangeLine(const Manifest& manifest, std::string_view line);

// The mapper: reads the ranges named on `in`, writes one partial per group plus #stats.
Status RunStreamingMap(const StreamingContext& context, std::istream& in, std::ostream& out,
                       std::ostream& counters);
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
