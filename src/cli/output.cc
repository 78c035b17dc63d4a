#include "cli/output.h"

#include <cstdio>

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

Status WriteTable(const ResultTable& table, const std::string& format, const std::string& path) {
  if (format == "json") return WriteOutput(path, RenderJson(table));
  if (format == "csv") return WriteOutput(path, RenderCsv(table));
  return WriteOutput(path, RenderText(table));
}

}  // namespace cipherstat::cli
