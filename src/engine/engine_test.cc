// The engine registry: lookup by name, the options each engine declares, and what the Hadoop
// engine takes from its configuration file (without a cluster).
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "test_util.h"

namespace cipherstat {
namespace {

using testing::ScratchDir;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(EngineRegistry, KnowsLocalAndHadoopAndListsThemForAnUnknownName) {
  std::set<std::string> names, flags;
  for (const EngineEntry& entry : Engines()) {
    names.insert(entry.name);
    for (const EngineOption& option : entry.options) {
      EXPECT_TRUE(option.flag.starts_with("--")) << option.flag;
      EXPECT_TRUE(flags.insert(option.flag).second) << option.flag << " declared twice";
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"local", "hadoop"}));
  for (const char* flag :
       {"--threads", "--hadoop-conf", "--hadoop-jars", "--yarn-rm", "--hdfs-default-fs",
        "--hadoop-framework", "--hadoop-define", "--hadoop-config", "--reducers"}) {
    EXPECT_TRUE(flags.contains(flag)) << flag;
  }
  auto spark = MakeEngine("spark", {});
  ASSERT_FALSE(spark.ok());
  EXPECT_TRUE(Contains(spark.status().ToString(), "unknown engine 'spark'"))
      << spark.status().ToString();
  EXPECT_TRUE(Contains(spark.status().ToString(), "local, hadoop")) << spark.status().ToString();
}

TEST(EngineRegistry, IntegerOptionsAreChecked) {
  auto engine = MakeEngine("local", {{"--threads", {"many"}}});
  ASSERT_FALSE(engine.ok());
  EXPECT_TRUE(Contains(engine.status().ToString(), "--threads")) << engine.status().ToString();
  EXPECT_TRUE(MakeEngine("local", {{"--threads", {"3"}}}).ok());
}

TEST(HadoopEngine, TheConfigFileNamesTheHdfsUserForStorage) {
  ScratchDir dir;
  testing::WriteText(dir / "cluster.conf", "conf = /etc/hadoop/conf\nhdfs_user = stats\n");
  auto engine = MakeEngine("hadoop", {{"--hadoop-config", {dir / "cluster.conf"}}});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ((*engine)->storage_config(), (StorageConfig{{"hdfs_user", "stats"}}));
  testing::WriteText(dir / "bad.conf", "namenode = nn:9870\n");
  auto bad = MakeEngine("hadoop", {{"--hadoop-config", {dir / "bad.conf"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status().ToString(), "bad.conf line 1")) << bad.status().ToString();
}

TEST(HadoopEngine, RefusesADatasetOutsideHdfs) {
  auto engine = MakeEngine("hadoop", {});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Dataset local;
  local.path = "/data/cohort";
  auto storage = StorageFor(local.path);
  ASSERT_TRUE(storage.ok());
  local.storage = *storage;
  auto run = (*engine)->Run(local, Plan{}, EngineContext{});
  ASSERT_FALSE(run.ok());
  EXPECT_TRUE(Contains(run.status().ToString(), "must be hdfs://HOST:PORT/path, not /data/cohort"))
      << run.status().ToString();
}

}  // namespace
}  // namespace cipherstat
