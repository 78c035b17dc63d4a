// Key management and custodian commands: `key show`, `key passwd`, `decrypt-share`, `combine`.
#pragma once

#include "cli/commands.h"

namespace cipherstat::cli {

void RegisterKeys(CLI::App& app, Registry* registry);

}  // namespace cipherstat::cli
