#include "store/local_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "util/file.h"

namespace cipherstat {

Result<std::string> LocalStorage::ReadFile(const std::string& path, size_t max_bytes) const {
  return cipherstat::ReadFile(path, max_bytes);
}

Status LocalStorage::WriteFileAtomic(const std::string& path, std::string_view contents,
                                     bool overwrite) const {
  return cipherstat::WriteFileAtomic(path, contents, kPrivateFile, overwrite);
}

Status LocalStorage::StreamFile(const std::string& path,
                                const std::function<Status(uint64_t)>& size,
                                const std::function<Status(std::string_view)>& chunk) const {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IOError(path + ": cannot open");
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  struct stat st;
  if (::fstat(::fileno(f), &st) != 0) return Status::IOError(path + ": cannot stat");
  CS_RETURN_IF_ERROR(size(static_cast<uint64_t>(st.st_size)));
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    CS_RETURN_IF_ERROR(chunk(std::string_view(buf.data(), n)));
  }
  if (std::ferror(f) != 0) return Status::IOError(path + ": read error");
  return Status::OK();
}

Result<std::string> LocalStorage::ReadRange(const std::string& path, uint64_t offset,
                                            uint64_t length) const {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": cannot open");
  std::string out(length, '\0');
  uint64_t got = 0;
  bool failed = false;
  while (got < length) {
    const ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    failed = n < 0;
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  if (failed) return Status::IOError(path + ": read error");
  if (got < length) {
    return Status::Corruption(path + ": ends before byte " + std::to_string(offset + length) +
                              ": truncated");
  }
  return out;
}

Result<uint64_t> LocalStorage::FileSize(const std::string& path) const {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::IOError(path + ": cannot stat");
  return static_cast<uint64_t>(st.st_size);
}

Result<bool> LocalStorage::Exists(const std::string& path) const { return PathExists(path); }

Result<std::unique_ptr<StagedDataset>> LocalStorage::StageDataset(const std::string& path) const {
  return std::make_unique<StagedDataset>(this, path, path, "");
}

Status LocalStorage::PublishDataset(const std::string& local_dir, const std::string& path) const {
  if (local_dir == path) return Status::OK();  // written in place (StageDataset)
  if (PathExists(path)) return Status::AlreadyExists(path + " exists");
  if (std::rename(local_dir.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot move " + local_dir + " to " + path);
  }
  return Status::OK();
}

}  // namespace cipherstat
