// Renderers for released tables. Suppressed cells show with why (query/cell.h) as
// "suppressed (primary)" or "suppressed (complementary: total of site=north)" (text, CSV), or
// as null listed in "suppressed" with the why in "suppressed_why" (JSON); NULL as empty (CSV),
// "NULL" (text), null (JSON). With differential privacy each noisy cell carries its noise
// (query/cell.h): text writes it beside the value ("1004 ±6 (scale 3)") and explains it below
// the table; CSV adds "NAME noise" and "NAME ci95" columns after each noisy column; JSON adds
// "noise" (below). Without it every format is as before.
//
// Text values (group keys are public column values, so whoever wrote the data chose them) are
// made harmless for where each format goes:
//   - text, for a terminal: every header and cell through EscapeControls (util/status.h): C0
//     controls, DEL and bytes that are not UTF-8 as \xNN (ESC as "\x1b"), C1 controls as
//     \u00NN, so no escape sequence reaches the terminal. Display only: JSON and CSV keep the
//     exact value.
//   - CSV, for a spreadsheet (OWASP "CSV injection"): a header or text cell that begins with
//     '=', '+', '-', '@', TAB or CR is prefixed with a single quote, so that no spreadsheet runs
//     it as a formula ("=cmd|' /C calc'!A0" is written "'=cmd|' /C calc'!A0"), unless the
//     whole text is a decimal number (optional sign, digits with an optional fraction, an
//     optional exponent: "-3.5", "+2", "-1e-3"), which a spreadsheet reads as that number.
//     Numeric cells (integers, reals) are numbers and never prefixed: -3.5 stays -3.5.
//   - JSON escapes what JSON needs; HTML (report/html.h) escapes for HTML.
#pragma once

#include <string>

#include "query/table.h"

namespace cipherstat {

// {"columns": [...], "rows": [[...], ...], "suppressed": [[row, col], ...],
//  "suppressed_why": ["primary", "complementary: total of site=north", ...], "query": ...,
//  "min_cell": K, with differential privacy also "epsilon": "1/2", "records": null (withheld)
//  and "noise": parallel to "rows", per cell null or {"scale": b, "ci95": k} (exact) or
//  {"sd": s, "ci95": h, "approximate": true}} — aggregates as JSON numbers at full double
//  precision; "suppressed_why" is parallel to "suppressed".
std::string RenderJson(const ResultTable& table);
std::string RenderCsv(const ResultTable& table);
std::string RenderText(const ResultTable& table);
// A cell as text ("12", "350.501168770458", "NULL", "suppressed (primary)").
std::string CellText(const Cell& cell);
// With differential privacy (ResultTable::epsilon): a noisy cell's noise as every text format
// writes it beside the value, "±6 (scale 3)" (exact: the 95% half-width and the Laplace
// scale) or "±1.1 (sd≈0.56)" (a derived value: approximate); and the note that explains it,
// "" without DP.
std::string NoiseText(const CellNoise& noise);
std::string PrivacyNote(const ResultTable& table);
// "dataset cohort, id 3f…, encrypted 2026-11-30T09:00:00Z": which signed dataset a table
// comes from (its random identity and creation time), under every text table.
std::string DatasetNote(const ResultTable& table);
// A header or text cell as RenderCsv writes it (before CSV quoting): see above.
std::string CsvSafeText(const std::string& text);

}  // namespace cipherstat
