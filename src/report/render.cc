#include "report/render.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "data/csv.h"
#include "util/status.h"

namespace cipherstat {

std::string CellText(const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::kNull:
      return "NULL";
    case Cell::Kind::kInteger:
      return std::to_string(cell.integer);
    case Cell::Kind::kReal: {
      // Shortest text that reads back as the same double.
      return nlohmann::json(cell.real).dump();
    }
    case Cell::Kind::kText:
      return cell.text;
    case Cell::Kind::kSuppressed:
      return "suppressed (" + SuppressedWhy(cell) + ")";
  }
  return "";
}

namespace {

// A noise figure: up to 4 significant digits.
std::string NoiseNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::string NoiseText(const CellNoise& noise) {
  return "\u00b1" + NoiseNumber(noise.half_width95) +
         (noise.approximate ? " (sd\u2248" : " (scale ") + NoiseNumber(noise.scale) + ")";
}

std::string DatasetNote(const ResultTable& table) {
  return "dataset " + EscapeControls(table.dataset_name) + ", id " + table.dataset_id +
         ", encrypted " + table.dataset_created_utc;
}

std::string PrivacyNote(const ResultTable& table) {
  if (!table.epsilon) return "";
  return "differential privacy: this table spends \u03b5 = " + table.epsilon->ToString() +
         "; every count and sum carries discrete Laplace noise, \u00b1 is the 95% interval of "
         "a cell's noise (scale: its Laplace scale, exact; sd\u2248: a derived value's "
         "propagated standard deviation, interval approximate), and the record count is "
         "withheld";
}

std::string RenderJson(const ResultTable& table) {
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json suppressed = nlohmann::json::array();
  nlohmann::json why = nlohmann::json::array();
  nlohmann::json noise = nlohmann::json::array();
  for (size_t r = 0; r < table.rows.size(); ++r) {
    nlohmann::json row = nlohmann::json::array();
    nlohmann::json row_noise = nlohmann::json::array();
    for (size_t c = 0; c < table.rows[r].size(); ++c) {
      const Cell& cell = table.rows[r][c];
      if (!cell.noise) {
        row_noise.push_back(nullptr);
      } else if (cell.noise->approximate) {
        row_noise.push_back(
            {{"sd", cell.noise->scale}, {"ci95", cell.noise->half_width95}, {"approximate", true}});
      } else {
        row_noise.push_back({{"scale", cell.noise->scale}, {"ci95", cell.noise->half_width95}});
      }
      switch (cell.kind) {
        case Cell::Kind::kInteger:
          row.push_back(cell.integer);
          break;
        case Cell::Kind::kReal:
          row.push_back(cell.real);
          break;
        case Cell::Kind::kText:
          row.push_back(cell.text);
          break;
        case Cell::Kind::kSuppressed:
          suppressed.push_back({r, c});
          why.push_back(SuppressedWhy(cell));
          row.push_back(nullptr);
          break;
        case Cell::Kind::kNull:
          row.push_back(nullptr);
          break;
      }
    }
    rows.push_back(std::move(row));
    noise.push_back(std::move(row_noise));
  }
  nlohmann::json j = {{"query", table.sql},
                      {"dataset", table.dataset_name},
                      {"records", table.dataset_records},
                      {"dataset_id", table.dataset_id},
                      {"dataset_created", table.dataset_created_utc},
                      {"key_fingerprint", table.key_fingerprint},
                      {"min_cell", table.min_cell},
                      {"columns", table.columns},
                      {"rows", std::move(rows)},
                      {"suppressed", std::move(suppressed)},
                      {"suppressed_why", std::move(why)}};
  if (table.dataset_rows_read) j["rows_read"] = *table.dataset_rows_read;
  if (table.epsilon) {
    j["records"] = nullptr;  // withheld
    j["epsilon"] = table.epsilon->ToString();
    j["noise"] = std::move(noise);
  }
  return j.dump(1) + "\n";
}

namespace {

// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, the whole text.
bool IsDecimalNumber(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - start;
  };
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  size_t mantissa = digits();
  if (i < t.size() && t[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

}  // namespace

std::string CsvSafeText(const std::string& text) {
  if (text.empty() || std::string_view("=+-@\t\r").find(text[0]) == std::string_view::npos ||
      IsDecimalNumber(text)) {
    return text;
  }
  return "'" + text;
}

std::string RenderCsv(const ResultTable& table) {
  // With differential privacy, a column with noisy cells is followed by "NAME noise" ("scale
  // 3", or "sd 0.56" for a derived value) and "NAME ci95" (the half-width).
  std::vector<bool> noisy(table.columns.size(), false);
  for (const auto& row : table.rows) {
    for (size_t c = 0; c < row.size() && c < noisy.size(); ++c) noisy[c] = noisy[c] || row[c].noise;
  }
  std::string out;
  std::vector<std::string> header;
  for (size_t c = 0; c < table.columns.size(); ++c) {
    header.push_back(CsvSafeText(table.columns[c]));
    if (!noisy[c]) continue;
    header.push_back(CsvSafeText(table.columns[c] + " noise"));
    header.push_back(CsvSafeText(table.columns[c] + " ci95"));
  }
  AppendCsvRecord(header, &out);
  for (const auto& row : table.rows) {
    std::vector<std::string> fields;
    for (size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      if (cell.kind == Cell::Kind::kNull) {
        fields.emplace_back();
      } else if (cell.kind == Cell::Kind::kText) {
        fields.push_back(CsvSafeText(cell.text));
      } else {
        fields.push_back(CellText(cell));
      }
      if (c >= noisy.size() || !noisy[c]) continue;
      if (!cell.noise) {
        fields.emplace_back();
        fields.emplace_back();
        continue;
      }
      fields.push_back((cell.noise->approximate ? "sd " : "scale ") +
                       NoiseNumber(cell.noise->scale));
      fields.push_back(NoiseNumber(cell.noise->half_width95));
    }
    AppendCsvRecord(fields, &out);
  }
  return out;
}

std::string RenderText(const ResultTable& table) {
  std::vector<std::vector<std::string>> cells(1);
  for (const std::string& name : table.columns) cells[0].push_back(EscapeControls(name));
  for (const auto& row : table.rows) {
    std::vector<std::string> line;
    for (const Cell& cell : row) {
      std::string t = EscapeControls(CellText(cell));
      if (cell.kind == Cell::Kind::kReal) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", cell.real);
        t = buf;
      }
      if (cell.noise) t += " " + NoiseText(*cell.noise);
      line.push_back(t);
    }
    cells.push_back(std::move(line));
  }
  // Widths in characters (every cell is valid UTF-8 after EscapeControls): "±" and "≈" of
  // differential privacy and of Table 1 (report/table1.h) take more than one byte.
  auto length = [](const std::string& t) {
    return static_cast<size_t>(
        std::count_if(t.begin(), t.end(), [](char ch) { return (ch & 0xC0) != 0x80; }));
  };
  std::vector<size_t> width(table.columns.size(), 0);
  for (const auto& line : cells) {
    for (size_t c = 0; c < line.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], length(line[c]));
  }
  std::string out;
  for (size_t r = 0; r < cells.size(); ++r) {
    for (size_t c = 0; c < cells[r].size(); ++c) {
      std::string t = cells[r][c];
      out += (c == 0 ? "" : "  ");
      out += t + std::string(width[c] - length(t), ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
    if (r == 0) {
      for (size_t c = 0; c < width.size(); ++c)
        out += (c == 0 ? "" : "  ") + std::string(width[c], '-');
      out += '\n';
    }
  }
  bool primary = false, complementary = false, earlier = false;
  for (const auto& row : table.rows) {
    for (const Cell& cell : row) {
      if (cell.kind != Cell::Kind::kSuppressed) continue;
      (cell.hidden == Hidden::kPrimary         ? primary
       : cell.hidden == Hidden::kComplementary ? complementary
                                               : earlier) = true;
    }
  }
  if (primary) {
    out += "(primary: cells from fewer than " + std::to_string(table.min_cell) +
           " records are suppressed)\n";
  }
  if (complementary) {
    out +=
        "(complementary: further cells are suppressed so that no suppressed count can be "
        "recomputed from the total each names)\n";
  }
  if (earlier) {
    out +=
        "(combines with release N: suppressed because, subtracted from the row of an earlier "
        "release it names, it would describe fewer than " +
        std::to_string(table.min_cell) + " records)\n";
  }
  if (table.epsilon) out += "(" + PrivacyNote(table) + ")\n";
  if (!table.dataset_id.empty()) out += "(" + DatasetNote(table) + ")\n";
  if (table.dataset_rows_read) {
    out += "(" + std::to_string(table.dataset_records) +
           " records, kept by the owner's clean step of " +
           std::to_string(*table.dataset_rows_read) + " rows read)\n";
  }
  return out;
}

}  // namespace cipherstat
