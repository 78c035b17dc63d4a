// `cipherstat report`: several queries from a file, run end to end on the local engine, into
// one HTML page with a table of contents.
#pragma once

#include "cli/commands.h"

namespace cipherstat::cli {

void RegisterReport(CLI::App& app, Registry* registry);

}  // namespace cipherstat::cli
