// Where command output goes: a released table in the chosen format, to a file or stdout.
#pragma once

#include <string>
#include <vector>

#include "query/table.h"
#include "report/html.h"
#include "util/status.h"

namespace cipherstat::cli {

// Writes `text` atomically to `path`, or to stdout when `path` is empty or "-".
Status WriteOutput(const std::string& path, const std::string& text);

// The formats WriteTable knows, for a command's --format check.
const std::vector<std::string>& TableFormats();

// Renders `table` as `format` (text, json, csv or html) and writes it with WriteOutput.
// `context` only matters for html; its release time defaults to now.
Status WriteTable(const ResultTable& table, const std::string& format, const std::string& path,
                  const ReportContext& context = {});

// The current time for a report: "2026-11-29 07:00 UTC".
std::string UtcNow();

}  // namespace cipherstat::cli
