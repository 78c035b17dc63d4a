// The subcommands: each parses its flags into options and calls the library.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace cipherstat::cli {

using Registry = std::vector<std::pair<CLI::App*, std::function<Status()>>>;
void RegisterCommands(CLI::App& app, Registry* registry);

// "warning: TEXT" on stderr: what the library reports without failing.
void Warn(const std::string& text);

// --force, with one name and help text on every command that writes a file
// (pipeline::CheckOutput says what it does and does not allow).
void AddForceFlag(CLI::App* cmd, bool* force);

}  // namespace cipherstat::cli
