// Where datasets and result files live, behind one interface (in the spirit of LevelDB's Env
// and SQLite's VFS): a path's scheme picks the backend, and callers never ask which one it is.
//
//   /local/path, relative/path     LocalStorage (store/local_storage.h)
//   hdfs://HOST:PORT/path          HdfsStorage over WebHDFS (store/hdfs_storage.h)
//
// Writes are atomic on every backend: a file or dataset folder is written under a temporary
// name and renamed into place, so a failed write never looks complete. A dataset is read
// through its backend as a stream, and checked the same way wherever it lives (store/dataset.h).
//
// Adding a backend: a class derived from Storage in its own file pair, and one line in the
// table of backends in storage.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cipherstat {

// Settings for backends, by name; a backend ignores the names it does not use.
//   hdfs_user   the HDFS user (HdfsStorage; CIPHERSTAT_HDFS_USER still wins)
using StorageConfig = std::map<std::string, std::string>;

class StagedDataset;

// Paths given to a backend are whole: "hdfs://HOST:PORT/a/b", not "/a/b".
class Storage {
 public:
  virtual ~Storage() = default;

  // A whole file; fails past max_bytes.
  virtual Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const = 0;

  // Writes a whole file atomically, readable by its writer alone (0600 locally, permission
  // 600 in HDFS): results and released tables. With !overwrite, an existing file is left as
  // it is and the call fails with OutputExists (util/file.h), atomically: a local file is
  // moved into place with renameat2(RENAME_NOREPLACE) or link(2), an HDFS one with RENAME,
  // which never replaces its destination.
  virtual Status WriteFileAtomic(const std::string& path, std::string_view contents,
                                 bool overwrite) const = 0;

  // Streams a file: `size` gets its length before any data (so a reader can refuse a file of
  // the wrong size unread), then `chunk` its bytes in order. The first error from either
  // stops the transfer and is returned as is.
  virtual Status StreamFile(const std::string& path, const std::function<Status(uint64_t)>& size,
                            const std::function<Status(std::string_view)>& chunk) const = 0;

  // Exactly `length` bytes from `offset`; Corruption naming the file if it ends sooner.
  virtual Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                        uint64_t length) const = 0;

  // A file's length in bytes.
  virtual Result<uint64_t> FileSize(const std::string& path) const = 0;

  virtual Result<bool> Exists(const std::string& path) const = 0;

  // Where to write a new dataset bound for `path` on this machine. By default a folder in a
  // fresh local temporary folder, published by uploading it; a local backend writes in place.
  virtual Result<std::unique_ptr<StagedDataset>> StageDataset(const std::string& path) const;

  // Makes the complete dataset folder `local_dir` appear at `path`, which must not exist
  // (AlreadyExists), atomically: the manifest is what marks a folder as a dataset, so it goes
  // last, and the folder is renamed into place only when whole.
  virtual Status PublishDataset(const std::string& local_dir, const std::string& path) const = 0;
};

// A dataset folder being written on this machine (Storage::StageDataset). Destroying it
// removes the temporary copy, published or not.
class StagedDataset {
 public:
  StagedDataset(const Storage* storage, std::string destination, std::string local_dir,
                std::string temp_root);
  ~StagedDataset();
  StagedDataset(const StagedDataset&) = delete;
  StagedDataset& operator=(const StagedDataset&) = delete;

  // The folder the dataset writer creates.
  const std::string& local_dir() const { return local_dir_; }
  Status Publish() const { return storage_->PublishDataset(local_dir_, destination_); }

 private:
  const Storage* storage_;
  std::string destination_, local_dir_, temp_root_;
};

// The backend for `path`, chosen by its scheme ("hdfs://..."; none: local). InvalidArgument
// for a scheme no backend serves, listing the ones that exist.
Result<std::shared_ptr<const Storage>> StorageFor(const std::string& path,
                                                  const StorageConfig& config = {});

// True for a path with a scheme ("hdfs://..."): a remote path, checked when used rather
// than by command-line validators that look at the local file system.
bool HasScheme(std::string_view path);

// A whole file from any storage, with the default configuration (StorageFor).
Result<std::string> ReadAnyFile(const std::string& path, size_t max_bytes = size_t{1} << 30);

// A fresh local temporary folder (under TMPDIR or /tmp), removed by the caller.
Result<std::string> MakeLocalTempDir(const std::string& prefix);
// 16 random hex characters (libsodium), for temporary names.
std::string RandomSuffix();

}  // namespace cipherstat
