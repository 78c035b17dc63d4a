#include "cli/hadoop.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/audit.h"
#include "crypto/hash.h"
#include "engine/streaming.h"
#include "query/plan.h"
#include "store/storage.h"

namespace cipherstat::cli {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Test-only switch: fail the first attempt of the first map task, so a test can prove that
// Hadoop's retry gives the same result. Never set outside tests.
bool ShouldFailThisAttempt() {
  if (Env("CIPHERSTAT_TEST_FAIL_FIRST_MAP_ATTEMPT") != "1") return false;
  const std::string attempt = Env("mapreduce_task_attempt_id");
  return attempt.find("_m_000000_") != std::string::npos && attempt.ends_with("_0");
}

}  // namespace

void RegisterHadoop(CLI::App& app, Registry* registry) {
  auto* group = app.add_subcommand("mapreduce", "Hadoop Streaming task entry points (internal)");
  group->group("");  // hidden: Hadoop runs these, people do not
  group->require_subcommand(1);
  for (const std::string mode : {"map", "reduce"}) {
    auto* cmd = group->add_subcommand(
        mode, mode == "map" ? "Streaming mapper: segment lines on stdin, partial sums on stdout"
                            : "Streaming combiner/reducer: merges partial sums");
    auto plan = std::make_shared<std::string>();
    auto key = std::make_shared<std::string>();
    cmd->add_option("--plan", *plan, "Streaming plan file (shipped with -files)")->required();
    cmd->add_option("--key", *key, "Public key file (shipped with -files)")->required();
    registry->emplace_back(cmd, [=]() -> Status {
      std::ios::sync_with_stdio(false);
      if (mode == "map" && ShouldFailThisAttempt()) {
        return Status::IOError("test-only failure of attempt " + Env("mapreduce_task_attempt_id"));
      }
      CS_ASSIGN_OR_RETURN(StreamingContext context, LoadStreamingContext(*plan, *key));
      if (mode == "reduce") return RunStreamingReduce(context, std::cin, std::cout);
      MapTaskInput task;
      task.input_file = Env("mapreduce_map_input_file");
      if (task.input_file.empty()) task.input_file = Env("map_input_file");
      task.split_start = std::strtoull(Env("mapreduce_map_input_start").c_str(), nullptr, 10);
      const std::string length = Env("mapreduce_map_input_length");
      task.split_length = length.empty() ? -1 : std::strtoll(length.c_str(), nullptr, 10);
      return RunStreamingMap(context, task, std::cin, std::cout, std::cerr);
    });
  }
}

std::shared_ptr<HadoopConfig> AddHadoopOptions(CLI::App* cmd) {
  auto c = std::make_shared<HadoopConfig>();
  const std::string g = "Hadoop engine";
  cmd->add_option("--hadoop-conf", c->conf_dir,
                  "Hadoop client conf folder (else CIPHERSTAT_HADOOP_CONF)")
      ->group(g);
  cmd->add_option("--hadoop-jars", c->jars_dir,
                  "Folder of Hadoop jars incl. hadoop-streaming (else CIPHERSTAT_HADOOP_JARS)")
      ->group(g);
  cmd->add_option("--yarn-rm", c->resource_manager,
                  "ResourceManager HOST:PORT, overriding the conf (else CIPHERSTAT_YARN_RM)")
      ->group(g);
  cmd->add_option("--hdfs-default-fs", c->default_fs,
                  "fs.defaultFS (hdfs://NAMENODE:RPC_PORT), overriding the conf (else "
                  "CIPHERSTAT_HDFS_DEFAULT_FS)")
      ->group(g);
  cmd->add_option("--hadoop-framework", c->framework,
                  "mapreduce.framework.name: yarn, or local to run in one JVM (else "
                  "CIPHERSTAT_HADOOP_FRAMEWORK)")
      ->group(g);
  cmd->add_option("--hadoop-define", c->defines, "Extra -D KEY=VALUE for the job")->group(g);
  cmd->add_option("--hadoop-config", c->config_file,
                  "File of key = value lines: conf, jars, yarn_rm, default_fs, framework, java, "
                  "hdfs_user (else CIPHERSTAT_HADOOP_CONFIG; flags and env win)")
      ->group(g);
  cmd->add_option("--reducers", c->reducers, "Reduce tasks")->group(g);
  return c;
}

Status RunHadoopQuery(const std::string& data, const std::string& sql, const std::string& out,
                      const HadoopConfig& config_in) {
  HadoopConfig config = config_in;
  HadoopConfigFromEnv(&config);
  if (config.config_file.empty()) config.config_file = Env("CIPHERSTAT_HADOOP_CONFIG");
  if (!config.config_file.empty()) {
    std::string hdfs_user;
    CS_RETURN_IF_ERROR(HadoopConfigFromFile(config.config_file, &config, &hdfs_user));
    // The HDFS user is read from the environment by the storage layer; the env var wins.
    if (!hdfs_user.empty()) ::setenv("CIPHERSTAT_HDFS_USER", hdfs_user.c_str(), 0);
  }
  if (!IsHdfsUri(data)) {
    return Status::InvalidArgument(
        "--engine hadoop reads the dataset from HDFS: --data must be "
        "hdfs://HOST:PORT/path, not " +
        data);
  }
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(data));
  CS_ASSIGN_OR_RETURN(auto opened, OpenedDataset::Open(data, /*with_segments=*/false));
  const Dataset& dataset = opened->dataset();
  CS_ASSIGN_OR_RETURN(Plan plan, MakePlan(sql, dataset.manifest.schema, dataset.layout));
  config.fail_first_map_attempt = Env("CIPHERSTAT_TEST_FAIL_FIRST_MAP_ATTEMPT") == "1";
  std::fprintf(stderr, "submitting a Hadoop Streaming job over %s (%zu segments)\n", data.c_str(),
               dataset.manifest.segments.size());
  CS_ASSIGN_OR_RETURN(HadoopRun run,
                      RunHadoop(uri, dataset, plan, config, [](const std::string& line) {
                        std::fprintf(stderr, "  %s\n", line.c_str());
                      }));
  const std::string json = EncryptedResultToJson(dataset.public_key, run.result);
  CS_RETURN_IF_ERROR(AuditEvent("query")
                         .Key(dataset.public_key.Fingerprint())
                         .Dataset(dataset.manifest_sha256)
                         .ResultDigest(Sha256Hex(json))
                         .Query(sql)
                         .Detail("Hadoop job " + run.job_id + ", encrypted result " + out)
                         .Record());
  CS_RETURN_IF_ERROR(WriteAnyFileAtomic(out, json));
  std::printf("job %s: %llu records read, %llu matched, %zu groups; encrypted result in %s\n",
              run.job_id.c_str(), static_cast<unsigned long long>(run.result.records_read),
              static_cast<unsigned long long>(run.result.records_matched), run.result.groups.size(),
              out.c_str());
  if (!run.counters.empty()) {
    std::printf("counters (cipherstat):");
    for (const auto& [name, value] : run.counters) {
      std::printf(" %s=%llu", name.c_str(), static_cast<unsigned long long>(value));
    }
    std::printf("\n");
  }
  return Status::OK();
}

CLI::Validator ExistingDirectoryOrHdfs() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        if (IsHdfsUri(path)) return "";
        return CLI::ExistingDirectory(path);
      },
      "DIR|hdfs://HOST:PORT/path");
}

CLI::Validator ExistingFileOrHdfs() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        if (IsHdfsUri(path)) return "";
        return CLI::ExistingFile(path);
      },
      "FILE|hdfs://HOST:PORT/path");
}

}  // namespace cipherstat::cli
