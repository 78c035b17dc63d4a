// The CLI side of engines and storage: the engines' options on `query`, the hidden
// `mapreduce map|reduce` task commands that Hadoop Streaming runs, and validators that let
// paths with a scheme (hdfs://...) through to the storage layer.
#pragma once

#include <memory>
#include <string>

#include "cli/commands.h"
#include "engine/engine.h"

namespace cipherstat::cli {

// `cipherstat mapreduce map|reduce`: what Hadoop Streaming runs (hidden from --help).
void RegisterHadoop(CLI::App& app, Registry* registry);

// The values of every registered engine's options on one command.
class EngineFlags {
 public:
  // The options given on the command line, by flag (see engine/engine.h).
  EngineSettings Settings() const;

 private:
  friend std::shared_ptr<EngineFlags> AddEngineOptions(CLI::App* cmd);
  struct Flag {
    CLI::Option* option = nullptr;
    std::vector<std::string> values;
  };
  std::vector<std::unique_ptr<Flag>> flags_;
};

// Adds every registered engine's options to `cmd` (an option two engines share is added
// once); the returned flags are filled when the command line is parsed.
std::shared_ptr<EngineFlags> AddEngineOptions(CLI::App* cmd);
// "local (this machine's cores), hadoop (Streaming on YARN)", for --engine's help.
std::string EngineHelp();

// Like CLI::ExistingDirectory / ExistingFile, but a path with a scheme (hdfs://...) passes:
// its storage checks it on use.
CLI::Validator ExistingDirectoryOrHdfs();
CLI::Validator ExistingFileOrHdfs();

}  // namespace cipherstat::cli
