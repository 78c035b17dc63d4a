// Where datasets and result files live: a local path, or `hdfs://HOST:PORT/path` in HDFS.
//
// In an hdfs:// URI, HOST:PORT is the NameNode's HTTP (WebHDFS) address, e.g.
// hdfs://127.0.0.1:9870/cohorts/hiv (the RPC address is not needed: all I/O is WebHDFS).
// The HDFS user is CIPHERSTAT_HDFS_USER, else HADOOP_USER_NAME, else the login name.
//
// Writes are atomic in both worlds: a file or dataset folder is written under a temporary
// name and renamed into place, so a failed upload never looks complete. A dataset read from
// HDFS is checked the same way as a local one (manifest against key; segment sizes, line
// counts and column digests against the manifest when its records are read).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/dataset.h"
#include "store/webhdfs.h"
#include "util/status.h"

namespace cipherstat {

struct HdfsUri {
  std::string address;  // NameNode HTTP HOST:PORT
  std::string path;     // absolute, without a trailing slash
  std::string ToString() const { return "hdfs://" + address + path; }
};

bool IsHdfsUri(std::string_view path);
// InvalidArgument unless "hdfs://HOST:PORT/absolute/path".
Result<HdfsUri> ParseHdfsUri(const std::string& uri);
std::string DefaultHdfsUser();
// A client for the URI's NameNode as DefaultHdfsUser().
WebHdfs HdfsClient(const HdfsUri& uri);

// Reads a whole file from a local path or hdfs:// URI.
Result<std::string> ReadAnyFile(const std::string& path, size_t max_bytes = size_t{1} << 30);
// Writes a whole file atomically (local: temp + fsync + rename; HDFS: temp name + RENAME).
// Fails with AlreadyExists for an existing HDFS file unless `overwrite`.
Status WriteAnyFileAtomic(const std::string& path, std::string_view contents,
                          bool overwrite = true);

// Copies a complete local dataset folder to `uri` (which must not exist): uploaded under a
// temporary name beside it, then renamed into place.
Status UploadDataset(const std::string& local_dir, const HdfsUri& uri);

// A dataset in HDFS, opened from a local copy of its manifest and public key (and, with
// `with_segments`, its segments) in `local_dir`; the returned Dataset reads from that copy.
// The copy's manifest is byte-identical, so manifest_sha256 is the HDFS dataset's.
Result<Dataset> FetchDataset(const HdfsUri& uri, const std::string& local_dir, bool with_segments);

// Opens a local dataset or fetches an hdfs:// one (with segments) into a temporary folder
// that lives as long as the returned holder.
class OpenedDataset {
 public:
  OpenedDataset() = default;
  ~OpenedDataset();
  OpenedDataset(const OpenedDataset&) = delete;
  OpenedDataset& operator=(const OpenedDataset&) = delete;
  static Result<std::unique_ptr<OpenedDataset>> Open(const std::string& path, bool with_segments);
  const Dataset& dataset() const { return dataset_; }

 private:
  Dataset dataset_;
  std::string temp_dir_;
};

// A fresh local temporary folder (under TMPDIR or /tmp), removed by the caller.
Result<std::string> MakeLocalTempDir(const std::string& prefix);
// 16 random hex characters (libsodium), for temporary names.
std::string RandomSuffix();

}  // namespace cipherstat
