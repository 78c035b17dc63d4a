#include "cli/output.h"

#include <cstdio>
#include <ctime>

#include "report/render.h"
#include "util/file.h"

namespace cipherstat::cli {

Status WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return Status::OK();
  }
  return WriteFileAtomic(path, text);
}

const std::vector<std::string>& TableFormats() {
  static const std::vector<std::string> kFormats = {"text", "json", "csv", "html"};
  return kFormats;
}

Status WriteTable(const ResultTable& table, const std::string& format, const std::string& path,
                  const ReportContext& context) {
  if (format == "json") return WriteOutput(path, RenderJson(table));
  if (format == "csv") return WriteOutput(path, RenderCsv(table));
  if (format == "html") {
    ReportContext c = context;
    if (c.generated_at.empty()) c.generated_at = UtcNow();
    return WriteOutput(path, RenderHtml(table, c));
  }
  return WriteOutput(path, RenderText(table));
}

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

}  // namespace cipherstat::cli
