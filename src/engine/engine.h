// Where a query runs, behind one interface: `cipherstat query --engine NAME` looks NAME up in
// the registry below and never learns the engine's own types.
//
//   local    every core of this machine (engine/local_engine.h)
//   hadoop   a Hadoop Streaming job on YARN or Hadoop's local runner (engine/hadoop.h)
//
// An engine declares the options it takes (flag, help, environment variable); the CLI adds
// them to `query` and hands the values over as a generic map, so an engine's settings, their
// defaults and any configuration file of its own stay inside the engine.
//
// Adding an engine: a class derived from Engine with a factory in its own file pair, and one
// line in the table of engines in engine.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "query/plan.h"
#include "store/dataset.h"
#include "store/result_file.h"
#include "store/storage.h"
#include "util/status.h"

namespace cipherstat {

struct EngineOption {
  std::string flag;  // "--hadoop-conf"
  std::string help;
  std::string env;          // read when the flag is absent; "" for none
  bool integer = false;     // the CLI refuses a value that is not an integer
  bool repeatable = false;  // every value is kept ("--hadoop-define A --hadoop-define B")
};

// Option values by flag, as given on the command line or, failing that, in the environment.
using EngineSettings = std::map<std::string, std::vector<std::string>>;

// How an engine reports while it runs; either may be empty.
struct EngineContext {
  std::function<void(uint64_t records_done, uint64_t records_total)> progress;
  std::function<void(const std::string& line)> log;  // a line for people (stderr)
};

// What a run yields: the encrypted result and facts about the run.
struct EngineRun {
  EncryptedResult result;
  std::string job_id;    // the cluster's job id; "" when there is no job
  std::string job_name;  // how people know the job ("Hadoop job job_..."); "" without one
  std::vector<std::pair<std::string, uint64_t>> counters;  // the engine's own, in order
};

class Engine {
 public:
  virtual ~Engine() = default;
  // Runs `plan` over `dataset` (opened with storage_config()), verifying what it reads
  // against the manifest.
  virtual Result<EngineRun> Run(const Dataset& dataset, const Plan& plan,
                                const EngineContext& context) = 0;
  // Storage settings that come with the engine's configuration (the Hadoop configuration
  // file names the HDFS user), for opening the dataset and writing the result.
  virtual StorageConfig storage_config() const { return {}; }
};

struct EngineEntry {
  std::string name;         // --engine NAME
  std::string description;  // for --engine's help
  std::string group;        // --help section of its options ("" for the general one)
  std::vector<EngineOption> options;
  Result<std::unique_ptr<Engine>> (*make)(const EngineSettings& settings);
};

// Every engine, in the order --help lists them.
const std::vector<EngineEntry>& Engines();

// The engine NAME, configured by `settings` (environment variables fill the options they
// lack). InvalidArgument for an unknown NAME, listing the registered engines.
Result<std::unique_ptr<Engine>> MakeEngine(const std::string& name, EngineSettings settings);

// For factories: the last value of `flag`, or `fallback` when it has none.
std::string Setting(const EngineSettings& settings, const std::string& flag,
                    const std::string& fallback = "");
// The value of an integer option; InvalidArgument naming the flag if it is not one.
Result<int> IntSetting(const EngineSettings& settings, const std::string& flag, int fallback);

}  // namespace cipherstat
