// How every step's output leaves the pipeline: recorded first, then written atomically.
#pragma once

#include <string>

#include "audit/trail.h"
#include "store/storage.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// "" and "-" mean standard output.
bool IsStdout(const std::string& path);

// Records `event` in `trail`, then writes `text` atomically to `out` through its storage (or
// to stdout). If the write fails after the entry was recorded, a closing "output failed"
// entry names the output that never appeared, so the log never claims a release that did not
// happen without saying so.
Status Publish(const audit::Trail& trail, const audit::Event& event, const std::string& text,
               const std::string& out, const StorageConfig& storage_config = {});

}  // namespace cipherstat::pipeline
