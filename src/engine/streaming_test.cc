// The Streaming mapper/reducer against the local engine, without Hadoop: map each chunk range,
// shuffle the partial lines (reversed, to show order does not matter), combine, reduce; the
// encrypted sums must equal the local engine's exactly (products of the same ciphertexts).
#include "engine/streaming.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "crypto/init.h"
#include "engine/mapreduce.h"
#include "test_util.h"
#include "util/file.h"

namespace cipherstat {
namespace {

using testing::CommandResult;
using testing::ScratchDir;

class StreamingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(crypto::Init().ok());
    dir_ = new ScratchDir();
    error_ = testing::MakeCohortDataset(*dir_, 120, 5, 50, *dir_ / "ds");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(error_.empty()) << error_; }

  static Result<StreamingContext> Context(const Dataset& ds, const std::string& sql) {
    const ScratchDir& d = *dir_;
    CS_ASSIGN_OR_RETURN(std::string manifest, ReadFile(ds.path + "/manifest.json"));
    CS_RETURN_IF_ERROR(
        WriteFileAtomic(d / "plan.json", StreamingPlanToJson({sql, manifest, ds.path, {}})));
    return LoadStreamingContext(d / "plan.json", ds.path + "/public.key");
  }

  // Runs `sql` through map → combine → reduce, one map task per range line as the job's
  // NLineInputFormat hands them out (a byte offset, a tab, the line); returns the output or
  // the error.
  static Result<StreamingOutput> RunPipeline(const Dataset& ds, const std::string& sql) {
    CS_ASSIGN_OR_RETURN(StreamingContext c, Context(ds, sql));
    std::vector<std::string> partials;
    uint64_t offset = 0;
    for (const ChunkRange& range : SplitIntoRanges(ds.manifest, 1)) {
      const std::string line = RangeLine(ds.manifest, range);
      std::istringstream in(std::to_string(offset) + "\t" + line);
      offset += line.size();
      std::ostringstream out, counters;
      CS_RETURN_IF_ERROR(RunStreamingMap(c, in, out, counters));
      if (out.str().find("!error") == std::string::npos) {
        EXPECT_NE(counters.str().find("reporter:counter:cipherstat,records_read," +
                                      std::to_string(range.records)),
                  std::string::npos)
            << counters.str();
      }
      std::ostringstream combined;  // the combiner, per map task
      std::istringstream map_out(out.str());
      CS_RETURN_IF_ERROR(RunStreamingReduce(c, map_out, combined));
      partials.push_back(combined.str());
    }
    std::string shuffled;
    for (auto it = partials.rbegin(); it != partials.rend(); ++it) shuffled += *it;
    std::istringstream reduce_in(shuffled);
    std::ostringstream reduced;
    CS_RETURN_IF_ERROR(RunStreamingReduce(c, reduce_in, reduced));
    return ParseStreamingOutput(c, {reduced.str()});
  }

  static ScratchDir* dir_;
  static std::string error_;
};
ScratchDir* StreamingTest::dir_ = nullptr;
std::string StreamingTest::error_;

TEST_F(StreamingTest, SameCiphertextsAsTheLocalEngine) {
  auto ds = OpenDataset(*dir_ / "ds");
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_GE(ds->manifest.segments.size(), 3u);
  for (const std::string sql :
       {"SELECT COUNT(*), AVG(cd4) FROM cohort",
        "SELECT arm, COUNT(*), AVG(cd4), STDDEV(cd4) FROM cohort GROUP BY arm"}) {
    auto plan = MakePlan(sql, ds->manifest.catalog, ds->layout);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    auto local = RunLocal(*ds, *plan, LocalOptions());
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    auto streamed = RunPipeline(*ds, sql);
    ASSERT_TRUE(streamed.ok()) << streamed.status().ToString();
    EXPECT_EQ(streamed->records_read, 120u);
    EXPECT_EQ(streamed->records_matched, local->records_matched);
    ASSERT_EQ(streamed->groups.size(), local->groups.size()) << sql;
    for (size_t g = 0; g < local->groups.size(); ++g) {
      EXPECT_EQ(streamed->groups[g].key, local->groups[g].key);
      EXPECT_EQ(streamed->groups[g].records, local->groups[g].records);
      ASSERT_EQ(streamed->groups[g].sums.size(), local->groups[g].sums.size());
      for (size_t i = 0; i < local->groups[g].sums.size(); ++i) {
        EXPECT_EQ(EncodeCiphertextField(ds->public_key, streamed->groups[g].sums[i]),
                  EncodeCiphertextField(ds->public_key, local->groups[g].sums[i]))
            << sql << " group " << g << " sum " << i;
      }
    }
  }
}

TEST_F(StreamingTest, AnAlteredChunkFailsItsDigestAndIsNamed) {
  auto ds = OpenDataset(*dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  const std::string sql = "SELECT COUNT(*), AVG(cd4) FROM cohort";
  auto plan = MakePlan(sql, ds->manifest.catalog, ds->layout);
  ASSERT_TRUE(plan.ok());
  const std::string file = ds->SegmentFile(ds->manifest.segments.at(1), plan->ciphertexts.at(0));
  const std::string honest = *ReadFile(file);
  std::string altered = honest;
  altered[altered.size() / 2] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(file, altered, kSharedFile).ok());
  auto r = RunPipeline(*ds, sql);
  ASSERT_TRUE(WriteFileAtomic(file, honest, kSharedFile).ok());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().ToString().find(file.substr(file.rfind('/') + 1) + ": chunk 0"),
            std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().ToString().find("digest"), std::string::npos) << r.status().ToString();
}

TEST_F(StreamingTest, ARangeLineTheManifestDoesNotHaveIsAnError) {
  auto ds = OpenDataset(*dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  auto c = Context(*ds, "SELECT COUNT(*) FROM cohort");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const size_t chunks = ds->manifest.segments[0].chunks.size();
  for (const std::string& line :
       {std::string("range\tpart-99999\t0\t1"),
        "range\tpart-00000\t0\t" + std::to_string(chunks + 1),
        "range\tpart-00000\t" + std::to_string(chunks) + "\t1",
        std::string("range\tpart-00000\t0\t0"), std::string("part-00000\t0\t1"),
        std::string("range\tpart-00000\t-1\t1")}) {
    std::istringstream in(line + "\n");
    std::ostringstream out, counters;
    ASSERT_TRUE(RunStreamingMap(*c, in, out, counters).ok());
    EXPECT_NE(out.str().find("!error\t"), std::string::npos) << line << ": " << out.str();
    EXPECT_NE(out.str().find("bad chunk range line"), std::string::npos) << out.str();
  }
}

}  // namespace
}  // namespace cipherstat
