#include "store/storage.h"

#include <sodium.h>

#include <cctype>
#include <cstdlib>

#include "crypto/hex.h"
#include "store/hdfs_storage.h"
#include "store/local_storage.h"
#include "util/file.h"

namespace cipherstat {

namespace {

struct Backend {
  std::string_view scheme;  // "" serves paths without a scheme
  std::shared_ptr<const Storage> (*make)(const StorageConfig& config);
};

// Every backend, one line each.
constexpr Backend kBackends[] = {
    {"",
     [](const StorageConfig&) -> std::shared_ptr<const Storage> {
       return std::make_shared<LocalStorage>();
     }},
    {"hdfs",
     [](const StorageConfig& config) -> std::shared_ptr<const Storage> {
       return std::make_shared<HdfsStorage>(config);
     }},
};

// "hdfs" for "hdfs://...", "" for a path without a scheme.
std::string_view SchemeOf(std::string_view path) {
  const size_t colon = path.find("://");
  if (colon == std::string_view::npos || colon == 0) return "";
  for (char c : path.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return "";  // a local path that happens to hold "://"
    }
  }
  return path.substr(0, colon);
}

}  // namespace

bool HasScheme(std::string_view path) { return !SchemeOf(path).empty(); }

Result<std::shared_ptr<const Storage>> StorageFor(const std::string& path,
                                                  const StorageConfig& config) {
  const std::string_view scheme = SchemeOf(path);
  std::string known;
  for (const Backend& backend : kBackends) {
    if (backend.scheme == scheme) return backend.make(config);
    if (!backend.scheme.empty()) known += " " + std::string(backend.scheme) + "://";
  }
  return Status::InvalidArgument(path + ": no storage for " + std::string(scheme) +
                                 ":// paths (local paths and" + known + " are supported)");
}

Result<std::unique_ptr<StagedDataset>> Storage::StageDataset(const std::string& path) const {
  CS_ASSIGN_OR_RETURN(std::string temp, MakeLocalTempDir("cipherstat-upload"));
  return std::make_unique<StagedDataset>(this, path, temp + "/dataset", temp);
}

StagedDataset::StagedDataset(const Storage* storage, std::string destination, std::string local_dir,
                             std::string temp_root)
    : storage_(storage),
      destination_(std::move(destination)),
      local_dir_(std::move(local_dir)),
      temp_root_(std::move(temp_root)) {}

StagedDataset::~StagedDataset() {
  if (!temp_root_.empty()) RemoveTree(temp_root_);
}

Result<std::string> ReadAnyFile(const std::string& path, size_t max_bytes) {
  CS_ASSIGN_OR_RETURN(auto storage, StorageFor(path));
  return storage->ReadFile(path, max_bytes);
}

std::string RandomSuffix() {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

Result<std::string> MakeLocalTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status::IOError(pattern + ": cannot create a temporary folder");
  }
  return pattern;
}

}  // namespace cipherstat
