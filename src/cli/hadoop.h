// The CLI side of the Hadoop engine and hdfs:// paths: hidden `mapreduce map|reduce` task
// commands, the --engine hadoop options of `query`, and validators that accept hdfs:// URIs.
#pragma once

#include <memory>
#include <string>

#include "cli/commands.h"
#include "engine/hadoop.h"

namespace cipherstat::cli {

// `cipherstat mapreduce map|reduce`: what Hadoop Streaming runs (hidden from --help).
void RegisterHadoop(CLI::App& app, Registry* registry);

// Adds --hadoop-conf, --hadoop-jars, --yarn-rm, --hdfs-default-fs, --hadoop-framework,
// --hadoop-define to `cmd`; the returned config is filled when the command line is parsed.
std::shared_ptr<HadoopConfig> AddHadoopOptions(CLI::App* cmd);

// `query --engine hadoop`: the dataset must be an hdfs:// URI; `out` may be local or hdfs://.
Status RunHadoopQuery(const std::string& data, const std::string& sql, const std::string& out,
                      const HadoopConfig& config);

// Like CLI::ExistingDirectory / ExistingFile, but any hdfs:// URI passes (checked on use).
CLI::Validator ExistingDirectoryOrHdfs();
CLI::Validator ExistingFileOrHdfs();

}  // namespace cipherstat::cli
