// Where command output goes: a released table in the chosen format, to a file or stdout.
#pragma once

#include <string>

#include "query/table.h"
#include "util/status.h"

namespace cipherstat::cli {

// Writes `text` atomically to `path`, or to stdout when `path` is empty or "-".
Status WriteOutput(const std::string& path, const std::string& text);

// Renders `table` as `format` (text, json or csv) and writes it with WriteOutput.
Status WriteTable(const ResultTable& table, const std::string& format, const std::string& path);

}  // namespace cipherstat::cli
