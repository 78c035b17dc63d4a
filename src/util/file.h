// Files written whole or not at all: write to a temporary sibling, fsync, rename.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cipherstat {

// Who may read a file written here. Private unless the caller says the file is meant for
// others (the dataset the compute party receives, public keys): clean CSVs, schemas, released
// tables and reports hold patient-level or released data, and must not depend on the umask.
inline constexpr unsigned kPrivateFile = 0600;
inline constexpr unsigned kSharedFile = 0644;

// Reads a whole file. Refuses files larger than `max_bytes` with InvalidArgument.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = size_t{1} << 30);

// The one refusal of a command's output that exists already (AlreadyExists, "PATH exists; pass
// --force to replace it"): every writer that honours `overwrite = false` returns it.
Status OutputExists(const std::string& path);

// Replaces `path` atomically with `contents` (temp file + fsync + rename + fsync of the folder).
// The temporary file has `mode` from its creation on (whatever the umask), so a private file is
// never readable by others. With !overwrite an existing `path` is left as it is and the call
// fails with OutputExists, atomically (AtomicFile::Commit).
Status WriteFileAtomic(const std::string& path, std::string_view contents,
                       unsigned mode = kPrivateFile, bool overwrite = true);

// A file being written under a temporary name; Commit() makes it appear at its final path.
// Destroying an uncommitted AtomicFile removes the temporary file. Non-copyable.
class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // With !overwrite, Commit refuses a final path that exists by then (OutputExists).
  Status Open(const std::string& path, unsigned mode = kPrivateFile, bool overwrite = true);
  Status Append(std::string_view data);
  // REQUIRES: Open() succeeded. fsyncs, renames to the final path, fsyncs the folder.
  Status Commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  bool overwrite_ = true;
};

// fsyncs a directory so that a rename inside it is durable.
Status SyncDirectory(const std::string& dir);

// Creates a fresh temporary directory next to `final_path` (e.g. "out.tmp-XXXXXX").
Result<std::string> MakeTempDirBeside(const std::string& final_path);

// Renames a finished directory into place; fails with AlreadyExists if `final_path` exists.
Status CommitDirectory(const std::string& temp_dir, const std::string& final_path);

// Removes a directory tree (best effort; used to clean up after failures).
void RemoveTree(const std::string& path);

bool PathExists(const std::string& path);

}  // namespace cipherstat
