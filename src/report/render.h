// Renderers for released tables. Suppressed cells show as "suppressed" (text, CSV) or null
// with a note (JSON); NULL as empty (CSV), "NULL" (text), null (JSON).
#pragma once

#include <string>

#include "query/table.h"

namespace cipherstat {

// {"columns": [...], "rows": [[...], ...], "suppressed": [[row, col], ...], "query": ...,
//  "min_cell": K} — aggregates as JSON numbers at full double precision.
std::string RenderJson(const ResultTable& table);
std::string RenderCsv(const ResultTable& table);
std::string RenderText(const ResultTable& table);
// A cell as text ("12", "350.501168770458", "NULL", "suppressed").
std::string CellText(const Cell& cell);

}  // namespace cipherstat
