// The Streaming mapper/reducer against the local engine, without Hadoop: map each segment,
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

  // Runs `sql` through map → combine → reduce; returns the output or the error.
  static Result<StreamingOutput> RunPipeline(const Dataset& ds, const std::string& sql,
                                             const std::string& tamper_segment = "") {
    const ScratchDir& d = *dir_;
    CS_ASSIGN_OR_RETURN(std::string manifest, ReadFile(ds.path + "/manifest.json"));
    CS_RETURN_IF_ERROR(WriteFileAtomic(d / "plan.json", StreamingPlanToJson({sql, manifest})));
    CS_ASSIGN_OR_RETURN(StreamingContext c,
                        LoadStreamingContext(d / "plan.json", ds.path + "/public.key"));
    std::vector<std::string> partials;
    for (const SegmentInfo& s : ds.manifest.segments) {
      CS_ASSIGN_OR_RETURN(std::string text, ReadFile(ds.SegmentPath(s)));
      if (s.name == tamper_segment) {
        size_t nl = text.find('\n');
        text = text.substr(nl + 1) + text.substr(0, nl + 1);  // same lines, other order
      }
      std::istringstream in(text);
      std::ostringstream out, counters;
      MapTaskInput task{"hdfs://nn:9000/x/segments/" + s.name, 0, static_cast<int64_t>(s.bytes)};
      CS_RETURN_IF_ERROR(RunStreamingMap(c, task, in, out, counters));
      EXPECT_NE(counters.str().find("reporter:counter:cipherstat,records_read," +
                                    std::to_string(s.records)),
                std::string::npos);
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

TEST_F(StreamingTest, ReorderedSegmentFailsItsChecksumAndIsNamed) {
  auto ds = OpenDataset(*dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  auto r = RunPipeline(*ds, "SELECT COUNT(*) FROM cohort", "part-00001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().ToString().find("part-00001"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().ToString().find("digest"), std::string::npos) << r.status().ToString();
}

TEST_F(StreamingTest, PartialSplitIsRefused) {
  auto ds = OpenDataset(*dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  ASSERT_TRUE(WriteFileAtomic(*dir_ / "p.json",
                              StreamingPlanToJson({"SELECT COUNT(*) FROM cohort",
                                                   *ReadFile(ds->path + "/manifest.json")}))
                  .ok());
  auto c = LoadStreamingContext(*dir_ / "p.json", ds->path + "/public.key");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::istringstream in("");
  std::ostringstream out, counters;
  ASSERT_TRUE(RunStreamingMap(*c, {"/x/segments/part-00000", 100, 50}, in, out, counters).ok());
  EXPECT_NE(out.str().find("!error\t"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("part of the segment"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace cipherstat
