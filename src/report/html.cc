#include "report/html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "encoding/catalog.h"
#include "report/render.h"

namespace cipherstat {

namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// A chart label: few digits, but whole numbers in full ("12345", not "1.234e+04").
std::string Short(double v) {
  if (v == std::round(v) && std::fabs(v) < 1e15) return Format("%.0f", v);
  if (std::fabs(v) >= 1e4) return Format("%.0f", v);
  return Format("%.4g", v);
}

std::string Percent(double v) { return Format("%.1f", 100 * v) + "\u2009%"; }

// Why a suppressed cell is hidden: "fewer than 11 records" or "complementary: total of
// site=north".
std::string WhyHidden(const Cell& cell, uint64_t min_cell) {
  if (cell.hidden == Hidden::kPrimary) {
    return "fewer than " + std::to_string(min_cell) + " records";
  }
  return SuppressedWhy(cell);
}

// A released number as CellText writes it, its digits past the sixth significant one greyed
// (same characters, so the page's text equals the JSON's).
std::string NumberHtml(const std::string& text) {
  if (text.find_first_of("eE") != std::string::npos) return HtmlEscape(text);
  const size_t dot = text.find('.');
  if (dot == std::string::npos) return HtmlEscape(text);
  int significant = 0;
  size_t split = text.size();
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') continue;
    if (significant > 0 || c != '0') ++significant;
    if (significant >= 6 && i > dot) {
      split = i + 1;
      break;
    }
  }
  if (split >= text.size()) return HtmlEscape(text);
  return HtmlEscape(text.substr(0, split)) + "<span class=\"lo\">" +
         HtmlEscape(text.substr(split)) + "</span>";
}

bool NumericValue(const Cell& cell, double* out) {
  if (cell.kind == Cell::Kind::kInteger) {
    *out = static_cast<double>(cell.integer);
    return true;
  }
  if (cell.kind == Cell::Kind::kReal && std::isfinite(cell.real)) {
    *out = cell.real;
    return true;
  }
  return false;
}

// "histogram(cd4)[500,inf)" → "[500, ∞)"
std::string BinText(const std::string& column_label, const std::string& item_label) {
  std::string bin = column_label.substr(item_label.size());
  std::string out;
  for (size_t i = 0; i < bin.size(); ++i) {
    if (bin.compare(i, 3, "inf") == 0) {
      out += "\u221e";
      i += 2;
    } else if (bin[i] == ',') {
      out += ", ";
    } else {
      out += bin[i];
    }
  }
  return out;
}

// The table's column metadata when it is consistent with its columns and query; else empty,
// and the table renders without charts.
std::vector<ColumnInfo> ChartableColumns(const ResultTable& table) {
  if (table.column_info.size() != table.columns.size()) return {};
  for (const ColumnInfo& info : table.column_info) {
    if (info.item < 0 || static_cast<size_t>(info.item) >= table.query.items.size()) return {};
  }
  return table.column_info;
}

bool IsIndicator(const Schema* schema, const std::string& name) {
  if (schema == nullptr) return false;
  if (schema->FindDerived(name) != nullptr) return true;
  const Column* c = schema->FindColumn(name);
  return c != nullptr && c->numeric() && !c->date() && c->min == 0 && c->max == 1 &&
         c->decimals == 0;
}

// An average date is shown in the table; a bar of day numbers would mean nothing.
bool IsDate(const Schema* schema, const std::string& name) {
  const Column* c = schema == nullptr ? nullptr : schema->FindColumn(name);
  return c != nullptr && c->date();
}

// ---------------------------------------------------------------------------------------------
// Charts: small hand-written SVG, styled by the page's stylesheet.

struct Axis {
  double lo = 0, hi = 1, step = 0.2;
};

// Round ticks (1, 2 or 5 × 10^k) covering [lo, hi], which includes 0.
Axis NiceAxis(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (hi - lo <= 0) hi = lo + 1;
  const double raw = (hi - lo) / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double f = raw / mag;
  const double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

struct Bar {
  std::string label;
  const Cell* value = nullptr;
  const Cell* sd = nullptr;  // whisker half-length, when asked
};

std::string Svg(int width, int height, const std::string& id, const std::string& title,
                const std::string& desc, const std::string& body) {
  return "<svg viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
         "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" role=\"img\" aria-label=\"" + HtmlEscape(title) + "\" aria-labelledby=\"" + id +
         "-t " + id + "-d\"><title id=\"" + id + "-t\">" + HtmlEscape(title) +
         "</title><desc id=\"" + id + "-d\">" + HtmlEscape(desc) + "</desc>" + body + "</svg>";
}

std::string Text(double x, double y, const std::string& text, const std::string& attrs = "") {
  return "<text x=\"" + Format("%.1f", x) + "\" y=\"" + Format("%.1f", y) + "\"" +
         (attrs.empty() ? "" : " " + attrs) + ">" + HtmlEscape(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* cls) {
  return "<line class=\"" + std::string(cls) + "\" x1=\"" + Format("%.1f", x1) + "\" y1=\"" +
         Format("%.1f", y1) + "\" x2=\"" + Format("%.1f", x2) + "\" y2=\"" + Format("%.1f", y2) +
         "\"/>";
}

std::string Rect(double x, double y, double w, double h, const char* cls) {
  return "<rect class=\"" + std::string(cls) + "\" x=\"" + Format("%.1f", x) + "\" y=\"" +
         Format("%.1f", y) + "\" width=\"" + Format("%.1f", std::max(w, 0.0)) + "\" height=\"" +
         Format("%.1f", std::max(h, 0.0)) + "\"/>";
}

std::string Truncate(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return s.substr(0, cut) + "\u2026";
}

// Horizontal bars, one per group: means (with ± SD whiskers) or proportions (0-100 %).
std::string BarChart(const std::string& id, const std::string& title, const std::vector<Bar>& bars,
                     bool proportion, uint64_t min_cell) {
  constexpr int kWidth = 640, kLabel = 150, kRight = 130, kRow = 30, kTop = 8, kAxis = 26;
  const int plot = kWidth - kLabel - kRight;
  const int height = kTop + static_cast<int>(bars.size()) * kRow + kAxis;
  Axis axis{0, 1, 0.25};
  if (!proportion) {
    double lo = 0, hi = 0;
    for (const Bar& b : bars) {
      double v, sd = 0;
      if (!NumericValue(*b.value, &v)) continue;
      if (b.sd != nullptr && NumericValue(*b.sd, &sd)) sd = std::fabs(sd);
      lo = std::min(lo, v - sd);
      hi = std::max(hi, v + sd);
    }
    axis = NiceAxis(lo, hi);
  }
  auto x = [&](double v) { return kLabel + (v - axis.lo) / (axis.hi - axis.lo) * plot; };
  const double plot_bottom = kTop + static_cast<double>(bars.size()) * kRow;

  std::string body = "<g class=\"axis\">";
  for (double t = axis.lo; t <= axis.hi + axis.step / 2; t += axis.step) {
    body += Line(x(t), kTop, x(t), plot_bottom, std::fabs(t) < axis.step / 2 ? "zero" : "grid");
    body +=
        Text(x(t), plot_bottom + 16, proportion ? Format("%.0f", 100 * t) + "\u2009%" : Short(t),
             "text-anchor=\"middle\"");
  }
  body += "</g>";
  std::string desc;
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = kTop + static_cast<double>(i) * kRow;
    body += Text(kLabel - 8, y + 19, Truncate(b.label, 22), "text-anchor=\"end\"");
    desc += (i ? "; " : "") + b.label + ": ";
    double v;
    if (b.value->kind == Cell::Kind::kSuppressed) {
      const std::string note = "suppressed (" + WhyHidden(*b.value, min_cell) + ")";
      body += Text(x(0) + 6, y + 19, note, "class=\"supp-t\"");
      desc += note;
      continue;
    }
    if (!NumericValue(*b.value, &v)) {
      body += Text(x(0) + 6, y + 19, "no data", "class=\"supp-t\"");
      desc += "no data";
      continue;
    }
    body += Rect(std::min(x(0), x(v)), y + 6, std::fabs(x(v) - x(0)), kRow - 12,
                 proportion ? "bar prop" : "bar");
    double end = std::max(x(0), x(v));
    std::string label = proportion ? Percent(v) : Short(v);
    double sd;
    if (b.sd != nullptr && NumericValue(*b.sd, &sd)) {
      sd = std::fabs(sd);
      const double mid = y + kRow / 2.0;
      body += Line(x(v - sd), mid, x(v + sd), mid, "whisker");
      body += Line(x(v - sd), mid - 5, x(v - sd), mid + 5, "whisker");
      body += Line(x(v + sd), mid - 5, x(v + sd), mid + 5, "whisker");
      end = std::max(end, x(v + sd));
      label += " \u00b1 " + Short(sd);
    }
    body += Text(end + 6, y + 19, label);
    desc += label;
  }
  return Svg(kWidth, height, id, title, desc, body);
}

// Vertical bars, one per bin, for one row's HISTOGRAM.
std::string Histogram(const std::string& id, const std::string& title,
                      const std::vector<std::string>& bins, const std::vector<const Cell*>& counts,
                      uint64_t min_cell) {
  constexpr int kWidth = 640, kLeft = 56, kRight = 12, kTop = 22, kPlot = 170, kBottom = 30;
  const int height = kTop + kPlot + kBottom;
  const double slot =
      static_cast<double>(kWidth - kLeft - kRight) / static_cast<double>(bins.size());
  double hi = 0, v;
  for (const Cell* c : counts) {
    if (NumericValue(*c, &v)) hi = std::max(hi, v);
  }
  const Axis axis = NiceAxis(0, hi);
  auto y = [&](double value) { return kTop + kPlot - value / axis.hi * kPlot; };

  std::string body = "<g class=\"axis\">";
  for (double t = 0; t <= axis.hi + axis.step / 2; t += axis.step) {
    body += Line(kLeft, y(t), kWidth - kRight, y(t), t == 0 ? "zero" : "grid");
    body += Text(kLeft - 6, y(t) + 4, Short(t), "text-anchor=\"end\"");
  }
  body += "</g>";
  const std::string small = slot < 72 ? " style=\"font-size:9px\"" : "";
  std::string desc;
  for (size_t b = 0; b < bins.size(); ++b) {
    const double left = kLeft + static_cast<double>(b) * slot;
    const double mid = left + slot / 2;
    body += Text(mid, kTop + kPlot + 16, bins[b], "text-anchor=\"middle\"" + small);
    desc += (b ? "; " : "") + bins[b] + ": ";
    if (counts[b]->kind == Cell::Kind::kSuppressed) {
      body += Rect(left + 2, y(0) - 14, slot - 4, 14, "supp");
      const bool primary = counts[b]->hidden == Hidden::kPrimary;
      body += Text(mid, y(0) - 18, primary ? "< " + std::to_string(min_cell) : "hidden",
                   "class=\"supp-t\" text-anchor=\"middle\"");
      desc += "suppressed (" + WhyHidden(*counts[b], min_cell) + ")";
      continue;
    }
    if (!NumericValue(*counts[b], &v)) {
      desc += "no data";
      continue;
    }
    body += Rect(left + 1, y(v), slot - 2, y(0) - y(v), "hist");
    body += Text(mid, y(v) - 5, Short(v), "text-anchor=\"middle\"" + small);
    desc += Short(v);
  }
  return Svg(kWidth, height, id, title, desc, body);
}

// Kaplan–Meier curves, one per row: survival 1 at the first edge, dropping at the start of each
// bin to the released value at its end (the times are binned: the drop happens somewhere in
// the bin); a hidden or NULL value ends the row's curve. An infinite last edge is drawn one
// bin width after the edge before it.
struct Curve {
  std::string label;
  std::vector<const Cell*> values;  // per bin
};

std::string SurvivalSteps(const std::string& id, const std::string& title,
                          const std::vector<double>& edges, const std::vector<Curve>& curves) {
  constexpr int kWidth = 640, kLeft = 48, kRight = 150, kTop = 12, kPlot = 220, kBottom = 34;
  const int height = kTop + kPlot + kBottom;
  const double first = edges.front();
  double last = edges.back();
  if (std::isinf(last)) last = edges[edges.size() - 2] * 2 - edges[edges.size() - 3];
  auto x = [&](double t) {
    if (std::isinf(t)) t = last;
    return kLeft + (t - first) / (last - first) * (kWidth - kLeft - kRight);
  };
  auto y = [&](double s) { return kTop + (1 - s) * kPlot; };
  std::string body = "<g class=\"axis\">";
  for (double s = 0; s <= 1.0001; s += 0.25) {
    body += Line(kLeft, y(s), kWidth - kRight, y(s), s == 0 ? "zero" : "grid");
    body += Text(kLeft - 6, y(s) + 4, Format("%.0f", 100 * s) + "\u2009%", "text-anchor=\"end\"");
  }
  const Axis ticks = NiceAxis(first, last);
  for (double t = ticks.lo; t <= last + ticks.step * 1e-9; t += ticks.step) {
    if (t < first) continue;
    body += Text(x(t), kTop + kPlot + 16, Short(t), "text-anchor=\"middle\"");
  }
  body += "</g>";
  std::string desc;
  std::vector<std::pair<double, size_t>> labels;  // y, row
  for (size_t r = 0; r < curves.size(); ++r) {
    const Curve& curve = curves[r];
    std::string points = Format("%.1f", x(first)) + "," + Format("%.1f", y(1));
    double s = 1;
    desc += (r ? "; " : "") + curve.label + ":";
    for (size_t b = 0; b < curve.values.size(); ++b) {
      double v;
      if (!NumericValue(*curve.values[b], &v)) {
        desc += " ends at " + Short(edges[b]) +
                (curve.values[b]->kind == Cell::Kind::kSuppressed ? " (hidden)" : "");
        break;
      }
      points += " " + Format("%.1f", x(edges[b])) + "," + Format("%.1f", y(v)) + " " +
                Format("%.1f", x(edges[b + 1])) + "," + Format("%.1f", y(v));
      s = v;
      desc += " " + Short(edges[b + 1]) + ": " + Percent(v);
      if (b + 1 < curve.values.size()) desc += ",";
    }
    body += "<polyline class=\"km km" + std::to_string(r % 6) + "\" points=\"" + points + "\"/>";
    labels.push_back({y(s) + 4, r});
  }
  // Labels in the right margin, at their curve's last height, pushed apart to stay legible.
  std::sort(labels.begin(), labels.end());
  for (size_t i = 1; i < labels.size(); ++i)
    labels[i].first = std::max(labels[i].first, labels[i - 1].first + 14);
  for (const auto& [label_y, r] : labels) {
    body += Text(kWidth - kRight + 8, label_y, Truncate(curves[r].label, 20),
                 "class=\"km-t km" + std::to_string(r % 6) + "\"");
  }
  return Svg(kWidth, height, id, title, desc, body);
}

std::string Figure(const std::string& svg, const std::string& caption) {
  return "<figure class=\"chart\">" + svg + "<figcaption>" + HtmlEscape(caption) +
         "</figcaption></figure>\n";
}

// The standard deviation column for the same variable (sample preferred), and which kind it is.
std::string StddevFor(const std::string& column, const std::vector<ColumnInfo>& columns,
                      size_t* index) {
  for (ChartHint wanted : {ChartHint::kSampleSdWhiskers, ChartHint::kPopulationSdWhiskers}) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].chart == wanted && columns[c].argument == column) {
        *index = c;
        return wanted == ChartHint::kSampleSdWhiskers ? "sample" : "population";
      }
    }
  }
  return "";
}

// The charts for one result: see the header for which aggregates get one.
std::string Charts(const std::string& section_id, const ResultTable& table,
                   const std::vector<ColumnInfo>& columns, const Schema* schema) {
  std::vector<size_t> key_columns;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].aggregate == Aggregate::kNone) key_columns.push_back(c);
  }
  const std::vector<std::string>& group_by = table.query.group_by;
  std::string by;
  for (const std::string& g : group_by) by += (by.empty() ? "" : ", ") + g;
  auto row_label = [&](size_t r) {
    if (key_columns.empty()) return std::string("all records");
    std::string label;
    for (size_t c : key_columns)
      label += (label.empty() ? "" : " \u00b7 ") + CellText(table.rows[r][c]);
    return label;
  };

  std::string out;
  int chart = 0;
  for (size_t c = 0; c < columns.size(); ++c) {
    const ColumnInfo& column = columns[c];
    const std::string& x = column.argument;
    const std::string id = section_id + "-chart" + std::to_string(++chart);
    if (column.chart == ChartHint::kMeanBars) {
      if (IsDate(schema, x)) continue;
      const bool proportion = IsIndicator(schema, x);
      if (!proportion && group_by.empty()) continue;  // one mean: the table says it
      size_t sd_index = 0;
      const std::string sd_kind = proportion ? "" : StddevFor(x, columns, &sd_index);
      std::vector<Bar> bars;
      for (size_t r = 0; r < table.rows.size(); ++r) {
        bars.push_back({row_label(r), &table.rows[r][c],
                        sd_kind.empty() ? nullptr : &table.rows[r][sd_index]});
      }
      if (bars.empty()) continue;
      std::string title = (proportion ? "Proportion with " : "Mean of ") + x;
      if (!by.empty()) title += " by " + by;
      std::string caption = title + ".";
      if (!sd_kind.empty()) {
        title += " (\u00b1 1 SD)";
        caption += " Whiskers: \u00b1 one " + sd_kind + " standard deviation (" +
                   table.columns[sd_index] + ").";
      }
      out += Figure(BarChart(id, title, bars, proportion, table.min_cell), caption);
    } else if (column.chart == ChartHint::kSurvivalSteps) {
      if (c > 0 && columns[c - 1].item == column.item) continue;  // one chart per item
      const Column* time = schema == nullptr ? nullptr : schema->FindColumn(x);
      if (time == nullptr || time->bins.size() < 3 || std::isinf(time->bins.front())) continue;
      std::vector<Curve> curves;
      for (size_t r = 0; r < table.rows.size(); ++r) {
        Curve curve{row_label(r), {}};
        for (size_t b = c; b < columns.size() && columns[b].item == column.item; ++b)
          curve.values.push_back(&table.rows[r][b]);
        curves.push_back(std::move(curve));
      }
      std::string title = "Kaplan\u2013Meier estimate over " + x;
      if (!by.empty()) title += " by " + by;
      out += Figure(SurvivalSteps(id, title, time->bins, curves),
                    title + ": the share still free of the event at the end of each bin of " + x +
                        " (times are binned: each drop lies within its bin). A curve ends where "
                        "no one is at risk, or where it is hidden: fewer than " +
                        std::to_string(table.min_cell) +
                        " still at risk, or after a bin with fewer events or exits.");
    } else if (column.chart == ChartHint::kHistogram) {
      if (c > 0 && columns[c - 1].item == column.item) continue;  // one chart per item, not bin
      const std::string& item_label = table.query.items[static_cast<size_t>(column.item)].label;
      size_t end = c;
      std::vector<std::string> bins;
      while (end < columns.size() && columns[end].item == column.item) {
        bins.push_back(BinText(table.columns[end], item_label));
        ++end;
      }
      for (size_t r = 0; r < table.rows.size(); ++r) {
        std::vector<const Cell*> counts;
        for (size_t b = c; b < end; ++b) counts.push_back(&table.rows[r][b]);
        std::string title = "Histogram of " + x;
        if (!key_columns.empty()) title += ", " + row_label(r);
        out +=
            Figure(Histogram(id + "-" + std::to_string(r + 1), title, bins, counts, table.min_cell),
                   title + ": records per bin; a bin [a, b) holds a \u2264 " + x + " < b.");
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The page

constexpr const char* kStyle = R"css(
:root{color-scheme:light}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1b1f24;background:#fff;margin:0}
main{max-width:980px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:1.6em;margin:0 0 .4em}
h2{font-size:1.25em;margin:1.8em 0 .4em;padding-top:.8em;border-top:1px solid #d8dde3}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1.2em;margin:0 0 1em}
dl.facts dt{font-weight:600;color:#4a5561}
dl.facts dd{margin:0}
code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
.fp{word-break:break-all}
pre.sql{background:#f3f5f7;border-left:3px solid #3b6ea8;padding:.5em .8em;margin:.4em 0 .8em;white-space:pre-wrap;overflow-wrap:anywhere}
.rule{background:#fff8ec;border:1px solid #f0d9b5;padding:.5em .8em;border-radius:4px}
.scroll{overflow-x:auto}
table.result{border-collapse:collapse;margin:.4em 0 .6em;font-variant-numeric:tabular-nums}
table.result caption{text-align:left;font-weight:600;padding-bottom:.3em;color:#4a5561}
th,td{border-bottom:1px solid #d8dde3;padding:.3em .7em;text-align:right;white-space:nowrap}
thead th{border-bottom:2px solid #4a5561;vertical-align:bottom;font-weight:600}
th[scope=row],td.text{text-align:left}
td.suppressed{color:#8a4b00;font-style:italic;background:repeating-linear-gradient(135deg,#fff4e5 0 6px,#ffe6c4 6px 12px)}
td.null{color:#7a8590}
.lo{color:#8c96a0}
.note{color:#4a5561;font-size:.92em}
figure.chart{margin:1em 0 1.4em;break-inside:avoid}
figure.chart svg{width:100%;max-width:640px;height:auto;display:block}
figcaption{font-size:.88em;color:#4a5561;max-width:640px}
svg text{font-size:12px;fill:#1b1f24}
svg .axis text{fill:#5b6670;font-size:11px}
.grid{stroke:#e6e9ed}
.zero{stroke:#5b6670}
.bar{fill:#4a78b0}
.bar.prop{fill:#2f8f6b}
.hist{fill:#7465b5}
.km{fill:none;stroke-width:2}
.km0{stroke:#3b6ea8;fill:#3b6ea8}.km1{stroke:#c0504d;fill:#c0504d}.km2{stroke:#2f8f6b;fill:#2f8f6b}
.km3{stroke:#7465b5;fill:#7465b5}.km4{stroke:#b8860b;fill:#b8860b}.km5{stroke:#5b6670;fill:#5b6670}
polyline.km{fill:none}
.whisker{stroke:#1b1f24;stroke-width:1.5}
.supp{fill:#fff4e5;stroke:#8a4b00;stroke-dasharray:3 2}
svg text.supp-t{fill:#8a4b00;font-style:italic}
nav.toc ol{padding-left:1.4em;margin:.3em 0}
nav.toc h2{border:0;margin:1em 0 .2em;padding:0;font-size:1.05em}
footer{margin-top:2.4em;border-top:2px solid #4a5561;padding-top:.6em;font-size:.92em}
footer h2{border:0;margin:.4em 0;padding:0;font-size:1.05em}
footer ul{margin:.2em 0 .8em;padding-left:1.3em}
@media print{
 body{font-size:10pt}
 main{max-width:none;padding:0}
 .scroll{overflow:visible}
 h2{break-after:avoid}
 table,figure{break-inside:avoid}
 a{color:inherit;text-decoration:none}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)css";

std::string RuleText(uint64_t min_cell) {
  if (min_cell <= 1) return "No small-cell suppression: every cell is released.";
  return "Small-cell rule: a cell computed from at least 1 and fewer than " +
         std::to_string(min_cell) +
         " records is suppressed \u2014 it shows as \u201csuppressed\u201d and no number for it "
         "is released. Further cells are suppressed (complementary) so that no suppressed count "
         "can be recomputed from the totals of the table or those published beside it.";
}

// `tables`: how many tables the page releases (a report's sections), each spending ε.
std::string Facts(const ResultTable& t, const ReportContext& context, size_t tables) {
  std::string out = "<dl class=\"facts\">";
  out += "<dt>Dataset</dt><dd>" + HtmlEscape(t.dataset_name) + "</dd>";
  if (!t.dataset_id.empty()) {
    out += "<dt>Dataset identity</dt><dd><code class=\"fp\">" + HtmlEscape(t.dataset_id) +
           "</code>, encrypted " + HtmlEscape(t.dataset_created_utc) + "</dd>";
  }
  if (t.epsilon) {
    out += "<dt>Records</dt><dd>withheld (differential privacy)</dd>";
    out += "<dt>Differential privacy</dt><dd>\u03b5 = " + HtmlEscape(t.epsilon->ToString());
    if (tables > 1) {
      const Rational total = Rational::Make(t.epsilon->numerator() *
                                                crypto::BigInt(static_cast<unsigned long>(tables)),
                                            t.epsilon->denominator())
                                 .value();
      out += " per table, " + std::to_string(tables) + " tables: " + HtmlEscape(total.ToString()) +
             " in all";
    }
    out += "</dd>";
  } else {
    out += "<dt>Records</dt><dd>" + std::to_string(t.dataset_records);
    if (t.dataset_rows_read) out += " (of " + std::to_string(*t.dataset_rows_read) + " rows read)";
    out += "</dd>";
  }
  if (!t.key_fingerprint.empty()) {
    out += "<dt>Key fingerprint</dt><dd><code class=\"fp\">" + HtmlEscape(t.key_fingerprint) +
           "</code></dd>";
  }
  if (!context.generated_at.empty())
    out += "<dt>Released</dt><dd>" + HtmlEscape(context.generated_at) + "</dd>";
  out += "<dt>Minimum cell size</dt><dd>" + std::to_string(t.min_cell) + " records</dd>";
  out += "</dl>\n<p class=\"rule\">" + HtmlEscape(RuleText(t.min_cell)) + "</p>\n";
  if (t.epsilon) {
    std::string note = PrivacyNote(t);
    note[0] = 'D';
    out += "<p class=\"rule\">" + HtmlEscape(note) + ".</p>\n";
  }
  return out;
}

std::string TableHtml(const std::string& id, const std::string& caption, const ResultTable& t,
                      const std::vector<ColumnInfo>& columns) {
  std::string out = "<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-label=\"" +
                    HtmlEscape(caption) + "\"><table class=\"result\" id=\"" + id + "\"><caption>" +
                    HtmlEscape(caption) + "</caption>\n<thead><tr>";
  for (const std::string& col : t.columns) out += "<th scope=\"col\">" + HtmlEscape(col) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      const bool key = !columns.empty() && columns[c].aggregate == Aggregate::kNone;
      const std::string text = CellText(cell);
      const char* tag = key ? "th" : "td";
      std::string attrs = key ? " scope=\"row\"" : "";
      std::string content;
      switch (cell.kind) {
        case Cell::Kind::kSuppressed:
          attrs +=
              " class=\"suppressed\" title=\"" + HtmlEscape(WhyHidden(cell, t.min_cell)) + "\"";
          content = cell.hidden == Hidden::kPrimary
                        ? "suppressed"
                        : "suppressed <small class=\"why\">(" + HtmlEscape(SuppressedWhy(cell)) +
                              ")</small>";
          break;
        case Cell::Kind::kNull:
          attrs += " class=\"null\"";
          content = "NULL";
          break;
        case Cell::Kind::kText:
          if (!key) attrs += " class=\"text\"";
          content = HtmlEscape(text);
          break;
        case Cell::Kind::kReal:
          content = NumberHtml(text);
          break;
        case Cell::Kind::kInteger:
          content = HtmlEscape(text);
          break;
      }
      if (cell.noise) {
        const std::string noise = NoiseText(*cell.noise);
        attrs += " title=\"noise: " + HtmlEscape(noise) + "\"";
        content += " <small class=\"noise\">" + HtmlEscape(noise) + "</small>";
      }
      out += std::string("<") + tag + attrs + ">" + content + "</" + tag + ">";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  size_t primary = 0, complementary = 0, earlier = 0;
  for (const auto& row : t.rows) {
    for (const Cell& cell : row) {
      if (cell.kind != Cell::Kind::kSuppressed) continue;
      ++(cell.hidden == Hidden::kPrimary         ? primary
         : cell.hidden == Hidden::kComplementary ? complementary
                                                 : earlier);
    }
  }
  const size_t suppressed = primary + complementary + earlier;
  if (suppressed > 0) {
    // "N cells are suppressed: " and each reason, counted when there are several.
    const bool several = (primary > 0) + (complementary > 0) + (earlier > 0) > 1;
    auto counted = [several](size_t n) { return several ? std::to_string(n) + " " : ""; };
    std::vector<std::string> reasons;
    if (primary > 0) {
      reasons.push_back(counted(primary) + "computed from fewer than " +
                        std::to_string(t.min_cell) + " records");
    }
    if (complementary > 0) {
      reasons.push_back(counted(complementary) +
                        "complementary, so that no suppressed count can be recomputed from the "
                        "total each names");
    }
    if (earlier > 0) {
      reasons.push_back(counted(earlier) +
                        "combining with the earlier release each names: subtracted from it, "
                        "they would describe fewer than " +
                        std::to_string(t.min_cell) + " records");
    }
    out += "<p class=\"note\">" + std::to_string(suppressed) +
           (suppressed == 1 ? " cell is" : " cells are") + " suppressed: ";
    for (size_t i = 0; i < reasons.size(); ++i) out += (i > 0 ? "; " : "") + reasons[i];
    out += ".</p>\n";
  }
  if (t.rows.empty()) out += "<p class=\"note\">No records matched: the result has no rows.</p>\n";
  return out;
}

std::string SectionHtml(int index, const ReportSection& section, const ReportContext& context,
                        bool numbered) {
  const std::string id = "q" + std::to_string(index);
  const ResultTable& t = section.table;
  const std::string title = section.title.empty() ? DescribeQuery(t) : section.title;
  std::string out = "<section id=\"" + id + "\" aria-labelledby=\"" + id + "-h\">\n<h2 id=\"" + id +
                    "-h\">" + (numbered ? std::to_string(index) + ". " : "") + HtmlEscape(title) +
                    "</h2>\n";
  out += "<pre class=\"sql\"><code>" + HtmlEscape(t.sql) + "</code></pre>\n";
  const std::vector<ColumnInfo> columns = ChartableColumns(t);
  out += TableHtml(id + "-table", "Result: " + title, t, columns);
  if (!columns.empty()) out += Charts(id, t, columns, context.schema);
  out += "</section>\n";
  return out;
}

// What the compute side held, told from CatalogOf: the function that decides what a dataset's
// manifest and every result carry (encoding/catalog.h), so the page cannot claim less than
// what was shipped.
std::string Footer(const ResultTable& first, const Schema* schema) {
  std::string out =
      "<footer>\n<h2>What the compute side could and could not see</h2>\n"
      "<p>The records were encrypted by the data owner with Paillier; the compute side summed "
      "ciphertexts and returned encrypted sums. Only the holders of the secret key decrypted "
      "them.</p>\n"
      "<p><strong>Could see:</strong></p><ul>"
      "<li>the public key (fingerprint above) and the encrypted records</li>"
      "<li>the number of records (" +
      (first.epsilon ? std::string("withheld from this page")
                     : std::to_string(first.dataset_records)) +
      ") and how they are split into files, with their sizes and digests</li>"
      "<li>which encrypted slot holds what, by number, and how wide each is</li>";
  if (schema != nullptr) {
    out += "<li>the dataset's catalog, and nothing else about its columns:<ul>";
    for (const std::string& line : DescribeCatalog(CatalogOf(*schema))) {
      out += "<li>" + HtmlEscape(line) + "</li>";
    }
    out += "</ul></li>";
  } else {
    out +=
        "<li>the dataset's catalog: column names and kinds, which columns are public, and "
        "how many levels and histogram bins each private column has</li>";
  }
  out +=
      "<li>the plain-text values of the public columns, so the number of records in each "
      "group of a GROUP BY on them \u2014 including groups suppressed on this page</li>"
      "<li>the text of each query and which encrypted slots it summed</li></ul>\n"
      "<p><strong>Could not see:</strong></p><ul>"
      "<li>the secret key</li>"
      "<li>any value of the encrypted columns</li>"
      "<li>the owner's schema: value ranges, decimals, the names of private columns' levels, "
      "histogram bin edges and the rules of derived indicators; it travels sealed under the "
      "dataset's key and only the key holders opened it</li>"
      "<li>the results on this page, beyond the record counts listed above: they were "
      "decrypted, and small cells suppressed, by the data owner after the compute side had "
      "finished</li></ul>\n</footer>\n";
  return out;
}

std::string Page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'\">\n<title>" +
         HtmlEscape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n" +
         body + "</main>\n</body>\n</html>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string DescribeQuery(const ResultTable& table) {
  const Query& query = table.query;
  if (query.items.empty()) return table.sql;
  std::string out;
  for (const SelectItem& item : query.items) {
    if (item.aggregate == Aggregate::kNone) continue;  // the GROUP BY says it
    out += (out.empty() ? "" : ", ") + item.label;
  }
  if (!query.group_by.empty()) {
    out += " by ";
    for (size_t i = 0; i < query.group_by.size(); ++i) out += (i ? ", " : "") + query.group_by[i];
  }
  for (size_t i = 0; i < query.where.size(); ++i) {
    const Condition& c = query.where[i];
    out += (i ? " and " : " where ") + c.column + " " + c.op + " " + c.literal;
  }
  return out;
}

std::string RenderHtmlReport(const std::vector<ReportSection>& sections,
                             const ReportContext& context) {
  const std::string title = context.title.empty() ? "cipherstat report" : context.title;
  std::string body = "<header>\n<h1>" + HtmlEscape(title) + "</h1>\n";
  static const ResultTable kEmpty;
  const ResultTable& first = sections.empty() ? kEmpty : sections.front().table;
  body += Facts(first, context, sections.size()) + "</header>\n";
  const bool toc = sections.size() > 1;
  if (toc) {
    body += "<nav class=\"toc\" aria-labelledby=\"toc-h\">\n<h2 id=\"toc-h\">Contents</h2>\n<ol>";
    for (size_t i = 0; i < sections.size(); ++i) {
      const ReportSection& s = sections[i];
      body += "<li><a href=\"#q" + std::to_string(i + 1) + "\">" +
              HtmlEscape(s.title.empty() ? DescribeQuery(s.table) : s.title) + "</a></li>";
    }
    body += "</ol>\n</nav>\n";
  }
  for (size_t i = 0; i < sections.size(); ++i)
    body += SectionHtml(static_cast<int>(i + 1), sections[i], context, toc);
  body += Footer(first, context.schema);
  return Page(title, body);
}

std::string RenderHtmlTable1(const Table1& table, const ReportContext& context) {
  const std::string title = context.title.empty() ? Table1Title(table) : context.title;
  std::string body = "<header>\n<h1>" + HtmlEscape(title) + "</h1>\n";
  body += Facts(table.facts, context, 1) + "</header>\n";
  body += "<section id=\"table1\" aria-labelledby=\"table1-h\">\n<h2 id=\"table1-h\">" +
          HtmlEscape(Table1Title(table)) + "</h2>\n";
  // The label column is a row header; every other column holds figures.
  const ResultTable t = Table1AsTable(table, "\u00a0\u00a0\u00a0\u00a0");
  std::vector<ColumnInfo> columns(t.columns.size());
  for (size_t c = 1; c < columns.size(); ++c) columns[c].aggregate = Aggregate::kCountStar;
  body += TableHtml("table1-table", Table1Title(table), t, columns);
  for (const std::string& note : table.notes) {
    body += "<p class=\"note\">" + HtmlEscape(note) + "</p>\n";
  }
  if (!table.queries.empty()) {
    body += "<p class=\"note\">Released from " + std::to_string(table.queries.size()) +
            " queries:</p>\n<ol class=\"note\">";
    for (const std::string& q : table.queries)
      body += "<li><code>" + HtmlEscape(q) + "</code></li>";
    body += "</ol>\n";
  }
  body += "</section>\n";
  body += Footer(table.facts, context.schema);
  return Page(title, body);
}

std::string RenderHtml(const ResultTable& table, const ReportContext& context) {
  return RenderHtmlReport({ReportSection{"", table}}, context);
}

}  // namespace cipherstat
