#include "cli/hadoop.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "engine/streaming.h"
#include "store/storage.h"

namespace cipherstat::cli {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// Test-only switch: fail the first attempt of the first map task, so a test can prove that
// Hadoop's retry gives the same result. Only a job that sets it (the test passes
// --hadoop-define CIPHERSTAT_TEST_FAIL_FIRST_MAP_ATTEMPT=1, which Streaming turns into the
// tasks' environment) ever sees it; the engine knows nothing of it.
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
        mode, mode == "map" ? "Streaming mapper: chunk ranges on stdin, partial sums on stdout"
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
      return RunStreamingMap(context, std::cin, std::cout, std::cerr);
    });
  }
}

EngineSettings EngineFlags::Settings() const {
  EngineSettings settings;
  for (const auto& flag : flags_) {
    if (flag->option->count() > 0) settings[flag->option->get_name()] = flag->values;
  }
  return settings;
}

std::shared_ptr<EngineFlags> AddEngineOptions(CLI::App* cmd) {
  auto flags = std::make_shared<EngineFlags>();
  for (const EngineEntry& engine : Engines()) {
    for (const EngineOption& option : engine.options) {
      if (cmd->get_option_no_throw(option.flag) != nullptr) continue;
      auto flag = std::make_unique<EngineFlags::Flag>();
      const std::string help =
          option.env.empty() ? option.help : option.help + " (else " + option.env + ")";
      CLI::Option* o = cmd->add_option(option.flag, flag->values, help);
      if (!engine.group.empty()) o->group(engine.group);
      if (!option.repeatable) o->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      if (option.integer) o->type_name("INT")->check(CLI::TypeValidator<int>(""));
      flag->option = o;
      flags->flags_.push_back(std::move(flag));
    }
  }
  return flags;
}

std::string EngineHelp() {
  std::string help;
  for (const EngineEntry& engine : Engines()) {
    help += (help.empty() ? "" : ", ") + engine.name + " (" + engine.description + ")";
  }
  return help;
}

CLI::Validator ExistingDirectoryOrHdfs() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        if (HasScheme(path)) return "";
        return CLI::ExistingDirectory(path);
      },
      "DIR|hdfs://HOST:PORT/path");
}

CLI::Validator ExistingFileOrHdfs() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        if (HasScheme(path)) return "";
        return CLI::ExistingFile(path);
      },
      "FILE|hdfs://HOST:PORT/path");
}

}  // namespace cipherstat::cli
