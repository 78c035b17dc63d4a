#include "pipeline/publish.h"

#include <cstdio>

namespace cipherstat::pipeline {

bool IsStdout(const std::string& path) { return path.empty() || path == "-"; }

Status Publish(const audit::Trail& trail, const audit::Event& event, const std::string& text,
               const std::string& out, const StorageConfig& storage_config) {
  CS_RETURN_IF_ERROR(trail.Record(event));
  Status written;
  if (IsStdout(out)) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    written = std::fflush(stdout) == 0 ? Status::OK() : Status::IOError("cannot write stdout");
  } else {
    auto storage = StorageFor(out, storage_config);
    written = storage.ok() ? (*storage)->WriteFileAtomic(out, text, /*overwrite=*/true)
                           : storage.status();
  }
  if (written.ok()) return written;
  audit::Event closing = event;
  closing.action = "output failed";
  return trail.RecordFailure(
      closing, written.WithContext("the '" + event.action + "' entry above released nothing"));
}

}  // namespace cipherstat::pipeline
