// Storage in HDFS over WebHDFS: hdfs://HOST:PORT/path URIs.
//
// HOST:PORT is the NameNode's HTTP (WebHDFS) address, e.g. hdfs://127.0.0.1:9870/cohorts/hiv
// (the RPC address is not needed: all I/O is WebHDFS).
#pragma once

#include <string>

#include "store/storage.h"
#include "store/webhdfs.h"

namespace cipherstat {

struct HdfsUri {
  std::string address;  // NameNode HTTP HOST:PORT
  std::string path;     // absolute, without a trailing slash
  std::string ToString() const { return "hdfs://" + address + path; }
};

// InvalidArgument unless "hdfs://HOST:PORT/absolute/path".
Result<HdfsUri> ParseHdfsUri(const std::string& uri);

class HdfsStorage : public Storage {
 public:
  // The HDFS user: CIPHERSTAT_HDFS_USER, else config's hdfs_user, else HADOOP_USER_NAME, else
  // the login name.
  explicit HdfsStorage(const StorageConfig& config);

  const std::string& user() const { return user_; }
  // The NameNode and HDFS path of one of this backend's paths (ParseHdfsUri).
  Result<HdfsUri> Locate(const std::string& path) const { return ParseHdfsUri(path); }
  // A client for the URI's NameNode as user(), for what the Storage interface does not
  // cover (the Hadoop engine's job output folder).
  WebHdfs Client(const HdfsUri& uri) const;

  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const override;
  // Under a temporary name beside `path`, then RENAME.
  Status WriteFileAtomic(const std::string& path, std::string_view contents,
                         bool overwrite) const override;
  // The length from GETFILESTATUS, then OPEN streamed.
  Status StreamFile(const std::string& path, const std::function<Status(uint64_t)>& size,
                    const std::function<Status(std::string_view)>& chunk) const override;
  Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                uint64_t length) const override;
  Result<uint64_t> FileSize(const std::string& path) const override;
  Result<bool> Exists(const std::string& path) const override;
  // A local temporary folder, once `path` is known to be a valid URI (so that a typo fails
  // before the dataset is encrypted, not after).
  Result<std::unique_ptr<StagedDataset>> StageDataset(const std::string& path) const override;
  // Uploads under a temporary name beside `path`, then RENAME.
  Status PublishDataset(const std::string& local_dir, const std::string& path) const override;

 private:
  std::string user_;
};

}  // namespace cipherstat
