// The Hadoop engine: a query as a Hadoop Streaming job on YARN (or Hadoop's local runner).
//
// The job's mapper, combiner and reducer are this same `cipherstat` binary (`cipherstat
// mapreduce map|reduce`, see streaming.h), shipped with `-files` together with the public key
// and the plan (SQL, manifest, where the dataset is). The job's input is a small HDFS file of
// chunk ranges, one line per map task (about --map-records records each, engine/streaming.h);
// each mapper reads its range's files from HDFS itself, only the columns the plan sums, at the
// address the dataset was given to `query` by: on a cluster of several machines that must be
// the NameNode's address as every node reaches it, not 127.0.0.1. The
// output goes to a temporary HDFS folder that is read back over WebHDFS and removed. Before
// anything is submitted every shipped file is checked: a keystore or a secret key among them
// stops the job (the secret key never leaves the owner's machine).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "query/plan.h"
#include "store/dataset.h"
#include "store/result_file.h"
#include "util/status.h"

namespace cipherstat {

struct HadoopConfig {
  std::string conf_dir;          // Hadoop client configuration (core-site.xml, ...)
  std::string jars_dir;          // Hadoop jars (hadoop-streaming among them)
  std::string resource_manager;  // yarn.resourcemanager.address override, or empty
  std::string default_fs;        // fs.defaultFS override (hdfs://NAMENODE:RPC_PORT), or empty
  std::string framework;         // mapreduce.framework.name override ("yarn", "local"), or empty
  std::string java = "java";
  std::string binary;  // the cipherstat executable to ship (default: /proc/self/exe)
  int reducers = 1;
  // Records a map task reads (whole chunks, store/dataset.h). A map task costs seconds to
  // start (a YARN container) and sums a million records a second or two: on the 2-core
  // single-node cluster 1M records ran fastest as two map tasks (bench/hadoop_e2e.sh).
  int records_per_map = 524288;
  std::vector<std::string> defines;  // extra -D KEY=VALUE
};

// Fills unset fields from the environment: CIPHERSTAT_HADOOP_CONF, CIPHERSTAT_HADOOP_JARS,
// CIPHERSTAT_YARN_RM, CIPHERSTAT_HDFS_DEFAULT_FS, CIPHERSTAT_HADOOP_FRAMEWORK, JAVA.
void HadoopConfigFromEnv(HadoopConfig* config);

// Fills unset fields from a config file of `key = value` lines (# comments): conf, jars,
// yarn_rm, default_fs, framework, java, and hdfs_user (returned in *hdfs_user). Unknown keys
// and malformed lines are InvalidArgument naming file and line. hadoop/start writes one.
Status HadoopConfigFromFile(const std::string& path, HadoopConfig* config, std::string* hdfs_user);

// Fails with InvalidArgument naming the file if it is a keystore or a secret key, or is not
// something a job may carry (an executable, a public key, a streaming plan).
Status CheckShippable(const std::string& path);

struct HadoopRun {
  EncryptedResult result;
  std::string job_id;
  std::vector<std::pair<std::string, uint64_t>> counters;  // group "cipherstat"
  std::string log_path;  // the Streaming client's log (kept on failure)
};

// Runs `plan` over `dataset`, which must be stored in HDFS (InvalidArgument otherwise).
// `log`, if set, receives a line announcing the job, then the Streaming client's progress
// lines (indented).
Result<HadoopRun> RunHadoop(const Dataset& dataset, const Plan& plan, const HadoopConfig& config,
                            const std::function<void(const std::string&)>& log);

// The registry entry of the `hadoop` engine: the options --hadoop-conf, --hadoop-jars,
// --yarn-rm, --hdfs-default-fs, --hadoop-framework, --hadoop-define, --hadoop-config and
// --reducers (with their environment variables), read in that order of precedence: flags,
// environment, then the --hadoop-config file.
EngineEntry HadoopStreamingEngineEntry();

}  // namespace cipherstat
