#include "util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace cipherstat {

namespace fs = std::filesystem;

namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(path + ": " + what + ": " + std::strerror(errno));
}

std::string ParentDir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Moves the finished temporary file to `to` only if nothing is there, in one step: the check
// and the move cannot be separated, so a file that appears meanwhile is never replaced. An
// existence check followed by rename(2) would be a race, and O_EXCL on the final name would
// make it visible half-written. renameat2(RENAME_NOREPLACE) is that step; on a file system
// that lacks it (EINVAL), link(2) is the same step, since it never replaces an existing name,
// and the temporary name is unlinked after (a crash between the two leaves a stray temporary
// file beside a complete output, never a partial output).
Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::OK();
  }
  if (errno == EEXIST) return OutputExists(to);
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return Errno("rename failed", to);
  if (::link(from.c_str(), to.c_str()) != 0) {
    return errno == EEXIST ? OutputExists(to) : Errno("link failed", to);
  }
  ::unlink(from.c_str());
  return Status::OK();
}

}  // namespace

Status OutputExists(const std::string& path) {
  return Status::AlreadyExists(path + " exists; pass --force to replace it");
}

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  // read(2) straight into the string, sized from fstat: no stdio buffer and no intermediate
  // copy is left behind in freed memory, because callers read passphrase files and keys here
  // and wipe only the string they get.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Errno("cannot open", path);
  }
  struct stat st {};
  const size_t expected =
      ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
  auto too_large = [&] {
    return Status::InvalidArgument(path + ": file larger than " + std::to_string(max_bytes) +
                                   " bytes");
  };
  if (expected > max_bytes) {  // refused before a byte is allocated or read
    ::close(fd);
    return too_large();
  }
  std::string out(expected + 1, '\0');  // +1: EOF without growing
  size_t length = 0;
  auto fail = [&](Status s) {
    ::explicit_bzero(out.data(), out.size());
    ::close(fd);
    return s;
  };
  while (true) {
    if (length == out.size()) {  // a file that grew, or a pipe: grow, wiping the old copy
      if (length > max_bytes) return fail(too_large());
      std::string bigger(std::max<size_t>(2 * out.size(), 4096), '\0');
      std::memcpy(bigger.data(), out.data(), length);
      ::explicit_bzero(out.data(), out.size());
      out.swap(bigger);
    }
    const ssize_t n = ::read(fd, out.data() + length, out.size() - length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errno("read failed", path));
    if (n == 0) break;
    length += static_cast<size_t>(n);
  }
  if (length > max_bytes) return fail(too_large());
  ::close(fd);
  out.resize(length);  // shrinking keeps the same buffer
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view contents, unsigned mode,
                       bool overwrite) {
  AtomicFile file;
  CS_RETURN_IF_ERROR(file.Open(path, mode, overwrite));
  CS_RETURN_IF_ERROR(file.Append(contents));
  return file.Commit();
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    ::unlink(temp_path_.c_str());
  }
}

Status AtomicFile::Open(const std::string& path, unsigned mode, bool overwrite) {
  path_ = path;
  overwrite_ = overwrite;
  std::string templ = path + ".tmp-XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());  // created 0600
  if (fd < 0) return Errno("cannot create temporary file", path);
  temp_path_ = name.data();
  if (mode != kPrivateFile && ::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    Status s = Errno("fchmod failed", temp_path_);
    ::close(fd);
    ::unlink(temp_path_.c_str());
    return s;
  }
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    ::close(fd);
    ::unlink(temp_path_.c_str());
    return Errno("fdopen", temp_path_);
  }
  return Status::OK();
}

Status AtomicFile::Append(std::string_view data) {
  if (data.empty()) return Status::OK();
  if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
    return Errno("write failed", temp_path_);
  }
  return Status::OK();
}

Status AtomicFile::Commit() {
  if (std::fflush(file_) != 0) return Errno("flush failed", temp_path_);
  if (::fsync(::fileno(file_)) != 0) return Errno("fsync failed", temp_path_);
  std::fclose(file_);
  file_ = nullptr;
  if (!overwrite_) {
    Status s = RenameNoReplace(temp_path_, path_);
    if (!s.ok()) {
      ::unlink(temp_path_.c_str());
      return s;
    }
  } else if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    Status s = Errno("rename failed", path_);
    ::unlink(temp_path_.c_str());
    return s;
  }
  return SyncDirectory(ParentDir(path_));
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("cannot open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync failed", dir);
  return Status::OK();
}

Result<std::string> MakeTempDirBeside(const std::string& final_path) {
  std::string templ = final_path;
  while (templ.size() > 1 && templ.back() == '/') templ.pop_back();
  templ += ".tmp-XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) return Errno("cannot create temporary folder", final_path);
  return std::string(name.data());
}

Status CommitDirectory(const std::string& temp_dir, const std::string& final_path) {
  if (PathExists(final_path)) {
    return Status::AlreadyExists(final_path + ": already exists; choose another path or remove it");
  }
  CS_RETURN_IF_ERROR(SyncDirectory(temp_dir));
  if (::rename(temp_dir.c_str(), final_path.c_str()) != 0)
    return Errno("rename failed", final_path);
  return SyncDirectory(ParentDir(final_path));
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace cipherstat
