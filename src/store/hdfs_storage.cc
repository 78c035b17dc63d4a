#include "store/hdfs_storage.h"

#include <dirent.h>
#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <vector>

#include "util/file.h"

namespace cipherstat {

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// A hidden name beside `path` for writing it before the rename.
std::string TempBeside(const std::string& path) {
  return Parent(path) + "/." + Basename(path) + ".tmp-" + RandomSuffix();
}

std::string UserFrom(const StorageConfig& config) {
  auto env = [](const char* var) -> std::string {
    const char* v = std::getenv(var);
    return v == nullptr ? "" : v;
  };
  if (std::string v = env("CIPHERSTAT_HDFS_USER"); !v.empty()) return v;
  if (auto it = config.find("hdfs_user"); it != config.end() && !it->second.empty()) {
    return it->second;
  }
  if (std::string v = env("HADOOP_USER_NAME"); !v.empty()) return v;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  return "cipherstat";
}

}  // namespace

Result<HdfsUri> ParseHdfsUri(const std::string& uri) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(uri + ": " + why +
                                   " (expected hdfs://HOST:PORT/path, HOST:PORT being the "
                                   "NameNode's HTTP address, e.g. hdfs://127.0.0.1:9870/data/x)");
  };
  if (uri.substr(0, 7) != "hdfs://") return bad("not an hdfs:// URI");
  std::string rest = uri.substr(7);
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return bad("no path");
  HdfsUri out;
  out.address = rest.substr(0, slash);
  out.path = rest.substr(slash);
  size_t colon = out.address.rfind(':');
  if (out.address.empty() || colon == std::string::npos || colon + 1 == out.address.size()) {
    return bad("no HOST:PORT");
  }
  for (size_t i = colon + 1; i < out.address.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(out.address[i]))) return bad("bad port");
  }
  while (out.path.size() > 1 && out.path.back() == '/') out.path.pop_back();
  if (out.path == "/") return bad("the root folder is not a dataset or file");
  if (out.path.find("/../") != std::string::npos || out.path.ends_with("/..")) {
    return bad("'..' in the path");
  }
  return out;
}

HdfsStorage::HdfsStorage(const StorageConfig& config) : user_(UserFrom(config)) {}

WebHdfs HdfsStorage::Client(const HdfsUri& uri) const {
  WebHdfsOptions options;
  options.address = uri.address;
  options.user = user_;
  return WebHdfs(options);
}

Result<std::string> HdfsStorage::ReadFile(const std::string& path, size_t max_bytes) const {
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  return Client(uri).Open(uri.path, max_bytes);
}

Status HdfsStorage::WriteFileAtomic(const std::string& path, std::string_view contents,
                                    bool overwrite) const {
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  WebHdfs hdfs = Client(uri);
  auto existing = hdfs.GetFileStatus(uri.path);
  if (existing.ok()) {
    if (existing->directory) return Status::AlreadyExists(path + " is a folder");
    if (!overwrite) return OutputExists(path);
  } else if (existing.status().code() != Status::Code::kNotFound) {
    return existing.status();
  }
  CS_RETURN_IF_ERROR(hdfs.Mkdirs(Parent(uri.path)));
  const std::string temp = TempBeside(uri.path);
  // Results and released tables: private to the writer, like local files (util/file.h).
  Status s = hdfs.Create(temp, contents, false, kPrivateFile);
  if (s.ok() && existing.ok()) s = hdfs.Delete(uri.path, false);
  // RENAME never replaces its destination: a file that appeared since the check above stays.
  if (s.ok()) s = hdfs.Rename(temp, uri.path);
  if (!s.ok()) {
    (void)hdfs.Delete(temp, false);
    if (!overwrite && hdfs.GetFileStatus(uri.path).ok()) return OutputExists(path);
  }
  return s;
}

Status HdfsStorage::StreamFile(const std::string& path, const std::function<Status(uint64_t)>& size,
                               const std::function<Status(std::string_view)>& chunk) const {
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  WebHdfs hdfs = Client(uri);
  CS_ASSIGN_OR_RETURN(HdfsFileStatus status, hdfs.GetFileStatus(uri.path));
  if (status.directory) return Status::IOError(path + ": a folder, not a file");
  CS_RETURN_IF_ERROR(size(status.length));
  Status stopped;  // why `chunk` stopped the transfer, which beats the transfer's own error
  Status s = hdfs.Read(uri.path, [&](std::string_view data) {
    stopped = chunk(data);
    return stopped.ok();
  });
  CS_RETURN_IF_ERROR(stopped);
  return s;
}

Result<std::string> HdfsStorage::ReadRange(const std::string& path, uint64_t offset,
                                           uint64_t length) const {
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  std::string out;
  out.reserve(length);
  WebHdfs hdfs = Client(uri);
  Status read = hdfs.ReadRange(uri.path, offset, length, [&](std::string_view data) {
    if (out.size() + data.size() > length) return false;
    out.append(data);
    return true;
  });
  if (!read.ok()) {
    // HDFS refuses an offset past the end outright: say "truncated", as for a short answer,
    // rather than pass on a refusal that looks like an unreachable server.
    auto status = hdfs.GetFileStatus(uri.path);
    if (!status.ok() || status->length >= offset + length) return read;
  }
  if (out.size() != length) {
    return Status::Corruption(path + ": ends before byte " + std::to_string(offset + length) +
                              ": truncated");
  }
  return out;
}

Result<uint64_t> HdfsStorage::FileSize(const std::string& path) const {
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  CS_ASSIGN_OR_RETURN(HdfsFileStatus status, Client(uri).GetFileStatus(uri.path));
  if (status.directory) return Status::IOError(path + ": a folder, not a file");
  return status.length;
}

Result<bool> HdfsStorage::Exists(const std::string& path) const {
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  auto status = Client(uri).GetFileStatus(uri.path);
  if (status.ok()) return true;
  if (status.status().code() == Status::Code::kNotFound) return false;
  return status.status();
}

Result<std::unique_ptr<StagedDataset>> HdfsStorage::StageDataset(const std::string& path) const {
  CS_RETURN_IF_ERROR(ParseHdfsUri(path).status());
  return Storage::StageDataset(path);
}

Status HdfsStorage::PublishDataset(const std::string& local_dir, const std::string& path) const {
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  WebHdfs hdfs = Client(uri);
  auto existing = hdfs.GetFileStatus(uri.path);
  if (existing.ok()) return Status::AlreadyExists(uri.ToString() + " exists");
  if (existing.status().code() != Status::Code::kNotFound) return existing.status();
  const std::string temp = TempBeside(uri.path);
  auto upload = [&]() -> Status {
    CS_RETURN_IF_ERROR(hdfs.Mkdirs(temp + "/segments"));
    DIR* dir = ::opendir((local_dir + "/segments").c_str());
    if (dir == nullptr) return Status::IOError(local_dir + "/segments: cannot list");
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    ::closedir(dir);
    for (const std::string& name : names) {
      CS_RETURN_IF_ERROR(hdfs.CreateFromFile(temp + "/segments/" + name,
                                             local_dir + "/segments/" + name, false, kSharedFile));
    }
    CS_RETURN_IF_ERROR(
        hdfs.CreateFromFile(temp + "/public.key", local_dir + "/public.key", false, kSharedFile));
    if (PathExists(local_dir + "/manifest.sig")) {  // the owner's signature (unsigned: absent)
      CS_RETURN_IF_ERROR(hdfs.CreateFromFile(temp + "/manifest.sig", local_dir + "/manifest.sig",
                                             false, kSharedFile));
    }
    // The manifest last: a folder without one is never taken for a dataset.
    CS_RETURN_IF_ERROR(hdfs.CreateFromFile(temp + "/manifest.json", local_dir + "/manifest.json",
                                           false, kSharedFile));
    return hdfs.Rename(temp, uri.path);
  };
  Status s = upload();
  if (!s.ok()) (void)hdfs.Delete(temp, true);
  return s;
}

}  // namespace cipherstat
