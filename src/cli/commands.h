// The subcommands: each parses its flags into options and calls the library.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/release.h"
#include "util/status.h"

namespace cipherstat::cli {

using Registry = std::vector<std::pair<CLI::App*, std::function<Status()>>>;
void RegisterCommands(CLI::App& app, Registry* registry);

// "warning: TEXT" on stderr: what the library reports without failing.
void Warn(const std::string& text);

// --force, with one name and help text on every command that writes a file
// (pipeline::CheckOutput says what it does and does not allow).
void AddForceFlag(CLI::App* cmd, bool* force);

// --dp-epsilon E and --dp-budget B on every release command (decrypt, combine, report):
// differential privacy (query/decode.h) and the dataset's privacy budget (pipeline/ledger.h).
// ApplyPrivacy, first thing when the command runs, parses them (ParseEpsilon; "--dp-epsilon:
// privacy epsilon 0: must be greater than 0") into rules->cells.epsilon and rules->dp_budget,
// leaving each unset when its flag was not given.
struct PrivacyFlags {
  std::string epsilon, budget;
};
void AddPrivacyOptions(CLI::App* cmd, PrivacyFlags* flags);
Status ApplyPrivacy(const PrivacyFlags& flags, pipeline::ReleaseRules* rules);
// --min-cell for the commands that release (pipeline::ReleaseRules::min_cell).
void AddMinCellOption(CLI::App* cmd, std::optional<uint64_t>* min_cell);
// --level: the confidence level of the released intervals (ReleaseOptions::level).
void AddLevelOption(CLI::App* cmd, double* level);

}  // namespace cipherstat::cli
