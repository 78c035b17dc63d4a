// The subcommands: each parses its flags into options and calls the library.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "query/decode.h"
#include "util/status.h"

namespace cipherstat::cli {

using Registry = std::vector<std::pair<CLI::App*, std::function<Status()>>>;
void RegisterCommands(CLI::App& app, Registry* registry);

// "warning: TEXT" on stderr: what the library reports without failing.
void Warn(const std::string& text);

// --force, with one name and help text on every command that writes a file
// (pipeline::CheckOutput says what it does and does not allow).
void AddForceFlag(CLI::App* cmd, bool* force);

// --dp-epsilon E on every release command (decrypt, combine, report): differential privacy
// (query/decode.h). The text goes to *text; ApplyEpsilon, first thing when the command runs,
// parses it (ParseEpsilon; "--dp-epsilon: privacy epsilon 0: must be greater than 0") into
// options->epsilon, and leaves it unset when the flag was not given.
void AddEpsilonOption(CLI::App* cmd, std::string* text);
Status ApplyEpsilon(const std::string& text, ReleaseOptions* options);

}  // namespace cipherstat::cli
