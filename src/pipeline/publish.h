// How every step's output leaves the pipeline: checked, recorded, then written atomically.
#pragma once

#include <string>

#include "audit/trail.h"
#include "store/storage.h"
#include "util/status.h"

namespace cipherstat::pipeline {

// "" and "-" mean standard output.
bool IsStdout(const std::string& path);

// Whether a command may write the file `out` (any storage; stdout always may). Every command
// that writes a file asks here first, before any work or audit entry, so that a refused output
// leaves nothing behind:
//  * never, even with `force`, into a key folder (one holding a keystore, secret or public key,
//    threshold.json or an audit signing key, recognised by name and, locally, by content) or
//    into a dataset folder or its segments/ folder (one holding manifest.json);
//  * never over a file that is key material, a dataset manifest or signature, an audit anchor
//    or an audit log, recognised by content wherever it lies;
//  * over any other existing file only with `force`: else OutputExists (util/file.h),
//    "OUT exists; pass --force to replace it".
// The check is repeated by the write itself (Storage::WriteFileAtomic with overwrite = force),
// which refuses atomically a file that appeared in between.
Status CheckOutput(const std::string& out, bool force, const StorageConfig& storage_config = {});

// The folder half of CheckOutput, for commands that create a folder `new_dir` of their own
// (encrypt, keygen, demo): OK unless the folder it goes into is a key folder or a dataset
// folder, or lies in a dataset.
Status CheckNewFolder(const std::string& new_dir, const StorageConfig& storage_config = {});

// CheckOutput, then records `event` in `trail`, then writes `text` atomically to `out` through
// its storage (or to stdout), replacing an existing file only with `force`. If the write fails
// after the entry was recorded, a closing "output failed" entry names the output that never
// appeared, so the log never claims a release that did not happen without saying so.
Status Publish(const audit::Trail& trail, const audit::Event& event, const std::string& text,
               const std::string& out, bool force, const StorageConfig& storage_config = {});

}  // namespace cipherstat::pipeline
