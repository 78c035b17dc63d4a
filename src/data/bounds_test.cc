// Resource bounds: hostile or huge inputs get a clear, bounded error or complete in bounded
// memory. Inputs are generated on the fly and streamed through a pipe into the real binary
// (`--in /dev/stdin`), whose peak RSS is read with getrusage (wait4).
//
// The streamed case reads CIPHERSTAT_STREAM_MB megabytes (default 64, to keep the suite fast);
// fuzz/stream_bounds.sh runs the same check over 10 GB by hand.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "child_process.h"
#include "data/clean.h"
#include "encoding/layout.h"
#include "encoding/schema.h"
#include "query/plan.h"
#include "query/sql.h"
#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ChildOptions;
using testing::ChildResult;
using testing::RunChild;
using testing::ScratchDir;

constexpr size_t kMiB = size_t{1} << 20;

// A generator of `total` bytes: `head` once, then `unit` repeated, then `tail`.
std::function<bool(std::string*)> Repeat(std::string head, std::string unit, size_t total,
                                         std::string tail = "") {
  auto sent = std::make_shared<size_t>(0);
  auto head_sent = std::make_shared<bool>(false);
  auto tail_sent = std::make_shared<bool>(false);
  return [=](std::string* chunk) {
    chunk->clear();
    if (!*head_sent) {
      *head_sent = true;
      *chunk = head;
    }
    while (*sent < total && chunk->size() < 256 * 1024) {
      chunk->append(unit);
      *sent += unit.size();
    }
    if (*sent >= total && !*tail_sent) {
      *tail_sent = true;
      chunk->append(tail);
    }
    return !chunk->empty();
  };
}

ChildResult InferFromStdin(const ScratchDir& dir, std::function<bool(std::string*)> input,
                           const std::string& max_records = "1000000") {
  ChildOptions options;
  options.stdin_chunks = std::move(input);
  return RunChild({"schema", "--in", "/dev/stdin", "--out", dir / "schema.json", "--force",
                   "--max-records", max_records},
                  options);
}

// Peak RSS of a child that reads a tiny CSV: the baseline to compare against.
long BaselineRssKb(const ScratchDir& dir) {
  ChildResult r = InferFromStdin(dir, Repeat("a,b\n", "1,2\n", 4096));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.max_rss_kb;
}

TEST(BoundsTest, A100MegabyteLineOfOneFieldIsRefusedEarly) {
  ScratchDir dir;
  const long baseline = BaselineRssKb(dir);
  ChildResult r = InferFromStdin(dir, Repeat("", std::string(4096, 'x'), 100 * kMiB, "\n"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("line 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("longer than"), std::string::npos) << r.output;
  EXPECT_LT(r.max_rss_kb - baseline, 32 * 1024) << "peak RSS " << r.max_rss_kb << " KiB";
}

TEST(BoundsTest, A100MegabyteLineOfManyFieldsIsRefusedWithBoundedMemory) {
  ScratchDir dir;
  const long baseline = BaselineRssKb(dir);
  // 512 KiB fields: each under the field limit, 200 of them under the field-count limit.
  std::string field(512 * 1024, 'y');
  field.push_back(',');
  ChildResult r = InferFromStdin(dir, Repeat("", field, 100 * kMiB, "z\n1\n"));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("line 1"), std::string::npos) << r.output;
  EXPECT_LT(r.max_rss_kb - baseline, 48 * 1024) << "peak RSS " << r.max_rss_kb << " KiB";
}

TEST(BoundsTest, AMillionColumnHeaderIsRefused) {
  ScratchDir dir;
  const long baseline = BaselineRssKb(dir);
  std::string header;
  for (int i = 0; i < 1000000; ++i) header += (i ? ",c" : "c") + std::to_string(i);
  ChildResult r = InferFromStdin(dir, Repeat(header + "\n", "", 0));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("line 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fields"), std::string::npos) << r.output;
  EXPECT_LT(r.max_rss_kb - baseline, 32 * 1024) << "peak RSS " << r.max_rss_kb << " KiB";
}

TEST(BoundsTest, AStreamedLargeInputIsReadInBoundedMemory) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "AddressSanitizer's quarantine keeps freed memory resident, so peak RSS "
                  "follows the bytes allocated; the normal build checks the bound";
#endif
  ScratchDir dir;
  const char* env = std::getenv("CIPHERSTAT_STREAM_MB");
  const size_t megabytes = env ? std::strtoull(env, nullptr, 10) : 64;
  const std::string header = "site,arm,age,cd4,viral_load\n";
  std::string rows;
  for (int i = 0; i < 64; ++i) {
    rows += std::string(i % 3 ? "Kampala" : "Mbarara") + "," + std::to_string(i % 4) + "," +
            std::to_string(20 + i % 50) + "," + std::to_string((i * 37) % 1500) + "," +
            std::to_string(i * 1000 + 7) + "\n";
  }
  // Rows repeat, so no column stays unique: only a unique column's memory grows with rows.
  ChildResult small = InferFromStdin(dir, Repeat(header, rows, 4 * kMiB), "1000000000");
  ASSERT_EQ(small.exit_code, 0) << small.output;
  ChildResult large = InferFromStdin(dir, Repeat(header, rows, megabytes * kMiB), "1000000000");
  ASSERT_EQ(large.exit_code, 0) << large.output;
  // The same distinct values, 16x the bytes: memory must not follow the input size.
  EXPECT_LT(large.max_rss_kb, small.max_rss_kb + 8 * 1024)
      << megabytes << " MiB: " << large.max_rss_kb << " KiB peak, 4 MiB: " << small.max_rss_kb;
  EXPECT_NE(testing::ReadText(dir / "schema.json").find("\"viral_load\""), std::string::npos);
}

// Inference remembers every value of a column while its values are unique (an identifier),
// so it stops at max_records rows instead of letting memory follow the input.
TEST(BoundsTest, InferenceStopsPastMaxRecords) {
  ScratchDir dir;
  std::string csv = "patient_id,cd4\n";
  for (int i = 0; i < 20; ++i) csv += std::to_string(i) + "," + std::to_string(i * 10) + "\n";
  testing::WriteText(dir / "cohort.csv", csv);
  InferOptions options;
  options.max_records = 10;
  auto schema = InferSchema(dir / "cohort.csv", options);
  ASSERT_FALSE(schema.ok());
  EXPECT_NE(schema.status().ToString().find("line 12: more than 10 rows"), std::string::npos)
      << schema.status().ToString();
  options.max_records = 20;
  EXPECT_TRUE(InferSchema(dir / "cohort.csv", options).ok());
}

TEST(BoundsTest, TenThousandGroupByColumnsIsAClearError) {
  std::string sql = "SELECT COUNT(*) FROM cohort GROUP BY site";
  for (int i = 1; i < 10000; ++i) sql += ", site";
  auto q = ParseSql(sql);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().ToString().find("too many GROUP BY columns"), std::string::npos)
      << q.status().ToString();
}

std::string SchemaWithLevels(int levels) {
  std::string list;
  for (int i = 0; i < levels; ++i) list += (i ? ",\"L" : "\"L") + std::to_string(i) + "\"";
  return R"({"format": "cipherstat-schema", "version": 1, "name": "cohort",
    "max_records": 1000000, "columns": [
      {"name": "ward", "kind": "categorical", "levels": [)" +
         list + R"(]},
      {"name": "cd4", "kind": "numeric", "min": 0, "max": 2000, "decimals": 0}],
    "crosses": [{"by": "ward", "over": ["cd4"]}]})";
}

// A grouping column with 10,000 levels: the schema and layout are built at once and the
// layout grows linearly (a count slot and the crossed cd4 slots per level).
TEST(BoundsTest, AColumnWithTenThousandLevelsLaysOutLinearly) {
  auto schema = SchemaFromJson(SchemaWithLevels(10000));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  auto layout = Layout::Build(*schema, 2046);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  EXPECT_LE(layout->slots().size(), 10000u * 5 + 50);
}

// Planning looks each level's slots up with Layout::Find, a linear scan, so it is
// O(levels × slots): 4 s at 10,000 levels (reported to the layout's owner). The suite plans
// over 1,000 levels to stay fast; the plan must still be complete.
TEST(BoundsTest, AGroupByOverAThousandLevelsIsPlanned) {
  auto schema = SchemaFromJson(SchemaWithLevels(1000));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  auto layout = Layout::Build(*schema, 2046);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  auto plan = MakePlan("SELECT ward, COUNT(*), AVG(cd4) FROM cohort GROUP BY ward",
                       CatalogOf(*schema), *layout);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->private_group, "ward");
  EXPECT_FALSE(plan->ciphertexts.empty());
  EXPECT_LE(plan->ciphertexts.size(), static_cast<size_t>(layout->num_ciphertexts()));
}

}  // namespace
}  // namespace cipherstat
