#include "report/format.h"

#include <ctime>

#include "report/html.h"
#include "report/render.h"

namespace cipherstat {

const std::vector<std::string>& TableFormats() {
  static const std::vector<std::string> kFormats = {"text", "json", "csv", "html"};
  return kFormats;
}

std::string RenderTable(const ResultTable& table, const std::string& format, const Schema* schema) {
  if (format == "json") return RenderJson(table);
  if (format == "csv") return RenderCsv(table);
  if (format == "html") {
    ReportContext context;
    context.generated_at = ReportTime();
    context.schema = schema;
    return RenderHtml(table, context);
  }
  return RenderText(table);
}

std::string ReportTime() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace cipherstat
