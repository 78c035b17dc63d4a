// `cipherstat demo`: the whole pipeline on a generated cohort (or --data FILE.csv), each
// encrypted result printed beside the same figures computed on the plaintext.
#pragma once

#include "cli/commands.h"

namespace cipherstat::cli {

void RegisterDemo(CLI::App& app, Registry* registry);

}  // namespace cipherstat::cli
