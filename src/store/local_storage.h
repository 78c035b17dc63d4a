// Storage on this machine's file system: plain paths (no scheme).
#pragma once

#include "store/storage.h"

namespace cipherstat {

class LocalStorage : public Storage {
 public:
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) const override;
  // temp + fsync + rename; always replaces an existing file.
  Status WriteFileAtomic(const std::string& path, std::string_view contents,
                         bool overwrite) const override;
  Status StreamFile(const std::string& path, const std::function<Status(uint64_t)>& size,
                    const std::function<Status(std::string_view)>& chunk) const override;
  Result<std::string> ReadRange(const std::string& path, uint64_t offset,
                                uint64_t length) const override;
  Result<uint64_t> FileSize(const std::string& path) const override;
  Result<bool> Exists(const std::string& path) const override;
  // In place: the dataset writer already writes under a temporary name and renames.
  Result<std::unique_ptr<StagedDataset>> StageDataset(const std::string& path) const override;
  Status PublishDataset(const std::string& local_dir, const std::string& path) const override;
};

}  // namespace cipherstat
