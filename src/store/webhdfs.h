// A WebHDFS client (REST over libcurl): the HDFS operations cipherstat needs, with timeouts so
// an unreachable NameNode is a clear error within seconds rather than a hang.
//
// `address` is the NameNode's HTTP address (HOST:PORT, 9870 by default), not its RPC port.
// Every request names the user with `user.name=` (simple authentication; no Kerberos).
// Errors: NotFound for a missing path, AlreadyExists, IOError naming the operation, path and
// what the server or the network said.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cipherstat {

struct WebHdfsOptions {
  std::string address;  // NameNode HTTP HOST:PORT
  std::string user;
  long connect_timeout_ms = 3000;  // per connection (NameNode and DataNode)
  long metadata_timeout_s = 30;    // whole request, for operations without a body
  long stall_timeout_s = 60;       // data transfers fail after this long below 1 byte/s
};

struct HdfsFileStatus {
  std::string name;  // the last path component ("" for GETFILESTATUS)
  bool directory = false;
  uint64_t length = 0;
  std::string permission;  // octal, as WebHDFS gives it: "600"
};

class WebHdfs {
 public:
  explicit WebHdfs(WebHdfsOptions options);

  const WebHdfsOptions& options() const { return options_; }

  Result<HdfsFileStatus> GetFileStatus(const std::string& path);
  Result<std::vector<HdfsFileStatus>> ListStatus(const std::string& path);
  Status Mkdirs(const std::string& path);
  // CREATE in two steps: the NameNode answers 307 with a DataNode address; the data goes there.
  // `permission` (0600, 0644: util/file.h) is set as the file is created, not after.
  Status Create(const std::string& path, std::string_view data, bool overwrite,
                unsigned permission);
  Status CreateFromFile(const std::string& path, const std::string& local_file, bool overwrite,
                        unsigned permission);
  // OPEN, following the redirect to a DataNode. Fails past max_bytes.
  Result<std::string> Open(const std::string& path, size_t max_bytes = size_t{1} << 30);
  // OPEN streamed to `sink` chunk by chunk; a false return stops the transfer (IOError).
  using Sink = std::function<bool(std::string_view)>;
  Status Read(const std::string& path, const Sink& sink);
  // OPEN of `length` bytes from `offset` (fewer if the file ends sooner).
  Status ReadRange(const std::string& path, uint64_t offset, uint64_t length, const Sink& sink);
  // Fails (IOError) if HDFS refuses, e.g. when `to` exists.
  Status Rename(const std::string& from, const std::string& to);
  // Deleting a missing path is not an error.
  Status Delete(const std::string& path, bool recursive);

 private:
  struct Response {
    long code = 0;
    std::string body;
    std::string location;
  };
  std::string Url(const std::string& path, const std::string& op, const std::string& params) const;
  Status Perform(const std::string& method, const std::string& url, const std::string& what,
                 bool data_transfer, std::FILE* upload, uint64_t upload_size,
                 std::string_view upload_data, bool follow, const Sink* sink, Response* out);
  Status ErrorFrom(const Response& r, const std::string& what) const;
  // OPEN with extra query parameters ("&offset=...&length=..."), streamed to `sink`.
  Status OpenTo(const std::string& path, const std::string& params, const Sink& sink);
  Status PutData(const std::string& path, bool overwrite, unsigned permission, std::FILE* file,
                 uint64_t size, std::string_view data);

  WebHdfsOptions options_;
};

}  // namespace cipherstat
