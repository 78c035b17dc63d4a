#include "store/storage.h"

#include <dirent.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "crypto/hex.h"
#include "util/file.h"

namespace cipherstat {

bool IsHdfsUri(std::string_view path) { return path.substr(0, 7) == "hdfs://"; }

Result<HdfsUri> ParseHdfsUri(const std::string& uri) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(uri + ": " + why +
                                   " (expected hdfs://HOST:PORT/path, HOST:PORT being the "
                                   "NameNode's HTTP address, e.g. hdfs://127.0.0.1:9870/data/x)");
  };
  if (!IsHdfsUri(uri)) return bad("not an hdfs:// URI");
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

std::string DefaultHdfsUser() {
  for (const char* var : {"CIPHERSTAT_HDFS_USER", "HADOOP_USER_NAME"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != 0) return v;
  }
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  return "cipherstat";
}

WebHdfs HdfsClient(const HdfsUri& uri) {
  WebHdfsOptions options;
  options.address = uri.address;
  options.user = DefaultHdfsUser();
  return WebHdfs(options);
}

std::string RandomSuffix() {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

Result<std::string> ReadAnyFile(const std::string& path, size_t max_bytes) {
  if (!IsHdfsUri(path)) return ReadFile(path, max_bytes);
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  return HdfsClient(uri).Open(uri.path, max_bytes);
}

Status WriteAnyFileAtomic(const std::string& path, std::string_view contents, bool overwrite) {
  if (!IsHdfsUri(path)) return WriteFileAtomic(path, contents);
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  WebHdfs hdfs = HdfsClient(uri);
  auto existing = hdfs.GetFileStatus(uri.path);
  if (existing.ok()) {
    if (existing->directory) return Status::AlreadyExists(path + " is a folder");
    if (!overwrite) return Status::AlreadyExists(path + " exists");
  } else if (existing.status().code() != Status::Code::kNotFound) {
    return existing.status();
  }
  CS_RETURN_IF_ERROR(hdfs.Mkdirs(Parent(uri.path)));
  const std::string temp = Parent(uri.path) + "/." + Basename(uri.path) + ".tmp-" + RandomSuffix();
  Status s = hdfs.Create(temp, contents, false);
  if (s.ok() && existing.ok()) s = hdfs.Delete(uri.path, false);
  if (s.ok()) s = hdfs.Rename(temp, uri.path);
  if (!s.ok()) (void)hdfs.Delete(temp, false);
  return s;
}

Status UploadDataset(const std::string& local_dir, const HdfsUri& uri) {
  WebHdfs hdfs = HdfsClient(uri);
  auto existing = hdfs.GetFileStatus(uri.path);
  if (existing.ok()) return Status::AlreadyExists(uri.ToString() + " exists");
  if (existing.status().code() != Status::Code::kNotFound) return existing.status();
  const std::string temp = Parent(uri.path) + "/." + Basename(uri.path) + ".tmp-" + RandomSuffix();
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
      CS_RETURN_IF_ERROR(
          hdfs.CreateFromFile(temp + "/segments/" + name, local_dir + "/segments/" + name, false));
    }
    CS_RETURN_IF_ERROR(hdfs.CreateFromFile(temp + "/public.key", local_dir + "/public.key", false));
    if (PathExists(local_dir + "/manifest.sig")) {  // the owner's signature (unsigned: absent)
      CS_RETURN_IF_ERROR(
          hdfs.CreateFromFile(temp + "/manifest.sig", local_dir + "/manifest.sig", false));
    }
    // The manifest last: a folder without one is never taken for a dataset.
    CS_RETURN_IF_ERROR(
        hdfs.CreateFromFile(temp + "/manifest.json", local_dir + "/manifest.json", false));
    return hdfs.Rename(temp, uri.path);
  };
  Status s = upload();
  if (!s.ok()) (void)hdfs.Delete(temp, true);
  return s;
}

Result<Dataset> FetchDataset(const HdfsUri& uri, const std::string& local_dir, bool with_segments) {
  WebHdfs hdfs = HdfsClient(uri);
  auto manifest = hdfs.OpenToFile(uri.path + "/manifest.json", local_dir + "/manifest.json");
  if (!manifest.ok()) {
    return manifest.WithContext(uri.ToString() + " is not a complete cipherstat dataset");
  }
  CS_RETURN_IF_ERROR(hdfs.OpenToFile(uri.path + "/public.key", local_dir + "/public.key"));
  if (auto signature = hdfs.GetFileStatus(uri.path + "/manifest.sig"); signature.ok()) {
    CS_RETURN_IF_ERROR(hdfs.OpenToFile(uri.path + "/manifest.sig", local_dir + "/manifest.sig"));
  } else if (signature.status().code() != Status::Code::kNotFound) {
    return signature.status();
  }
  auto dataset = OpenDataset(local_dir);
  if (!dataset.ok()) return dataset.status();
  if (with_segments) {
    if (::mkdir((local_dir + "/segments").c_str(), 0700) != 0) {
      return Status::IOError(local_dir + "/segments: cannot create");
    }
    for (const SegmentInfo& s : dataset->manifest.segments) {
      CS_RETURN_IF_ERROR(
          hdfs.OpenToFile(uri.path + "/segments/" + s.name, local_dir + "/segments/" + s.name));
    }
  }
  return dataset;
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

OpenedDataset::~OpenedDataset() {
  if (!temp_dir_.empty()) RemoveTree(temp_dir_);
}

Result<std::unique_ptr<OpenedDataset>> OpenedDataset::Open(const std::string& path,
                                                           bool with_segments) {
  auto out = std::make_unique<OpenedDataset>();
  if (!IsHdfsUri(path)) {
    CS_ASSIGN_OR_RETURN(out->dataset_, OpenDataset(path));
    return out;
  }
  CS_ASSIGN_OR_RETURN(HdfsUri uri, ParseHdfsUri(path));
  CS_ASSIGN_OR_RETURN(out->temp_dir_, MakeLocalTempDir("cipherstat-hdfs"));
  auto dataset = FetchDataset(uri, out->temp_dir_, with_segments);
  if (!dataset.ok()) return dataset.status();
  out->dataset_ = std::move(dataset).value();
  return out;
}

}  // namespace cipherstat
