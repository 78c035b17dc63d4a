// A released table in the format a user asked for.
#pragma once

#include <string>
#include <vector>

#include "encoding/schema.h"
#include "query/table.h"

namespace cipherstat {

// The formats RenderTable knows, for a command's --format check: text, json, csv, html.
const std::vector<std::string>& TableFormats();

// `table` as `format`. html is a self-contained page stamped with ReportTime() and told about
// `schema` (0/1 columns, public columns); the other formats ignore it.
std::string RenderTable(const ResultTable& table, const std::string& format,
                        const Schema* schema = nullptr);

// The current time as a report states it: "2026-11-29 07:00 UTC".
std::string ReportTime();

}  // namespace cipherstat
