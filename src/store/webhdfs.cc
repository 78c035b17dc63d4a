#include "store/webhdfs.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

namespace cipherstat {

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Escape(const std::string& path) {
  // Escape each component, keep the slashes.
  std::string out;
  CURL* curl = curl_easy_init();
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    char* e = curl_easy_escape(curl, part.c_str(), static_cast<int>(part.size()));
    out += e;
    curl_free(e);
    if (slash == std::string::npos) break;
    out += '/';
    start = slash + 1;
  }
  curl_easy_cleanup(curl);
  return out;
}

struct CallbackState {
  std::string* body;
  const std::function<bool(std::string_view)>* sink;
  long* code;
  CURL* curl;
  bool sink_failed = false;
};

size_t WriteCallback(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<CallbackState*>(user);
  std::string_view chunk(data, size * n);
  long code = 0;
  curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
  // Only a successful final response streams into the sink; errors and redirects are kept.
  if (st->sink != nullptr && code == 200) {
    if (!(*st->sink)(chunk)) {
      st->sink_failed = true;
      return 0;
    }
    return chunk.size();
  }
  if (st->body->size() < (1u << 20)) st->body->append(chunk);
  return chunk.size();
}

size_t HeaderCallback(char* data, size_t size, size_t n, void* user) {
  auto* location = static_cast<std::string*>(user);
  std::string_view line(data, size * n);
  constexpr std::string_view kName = "location:";
  if (line.size() > kName.size()) {
    std::string lower(line.substr(0, kName.size()));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == kName) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
        v.remove_suffix(1);
      *location = std::string(v);
    }
  }
  return size * n;
}

struct MemoryUpload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadMemory(char* buffer, size_t size, size_t n, void* user) {
  auto* up = static_cast<MemoryUpload*>(user);
  size_t len = std::min(size * n, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, len);
  up->offset += len;
  return len;
}

}  // namespace

WebHdfs::WebHdfs(WebHdfsOptions options) : options_(std::move(options)) { GlobalInit(); }

std::string WebHdfs::Url(const std::string& path, const std::string& op,
                         const std::string& params) const {
  std::string p = path.empty() || path[0] != '/' ? "/" + path : path;
  CURL* curl = curl_easy_init();
  char* user =
      curl_easy_escape(curl, options_.user.c_str(), static_cast<int>(options_.user.size()));
  std::string url = "http://" + options_.address + "/webhdfs/v1" + Escape(p) + "?op=" + op +
                    "&user.name=" + user + params;
  curl_free(user);
  curl_easy_cleanup(curl);
  return url;
}

Status WebHdfs::Perform(const std::string& method, const std::string& url, const std::string& what,
                        bool data_transfer, std::FILE* upload, uint64_t upload_size,
                        std::string_view upload_data, bool follow, const Sink* sink,
                        Response* out) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::IOError("cannot initialize libcurl");
  CallbackState state{&out->body, sink, &out->code, curl};
  MemoryUpload memory{upload_data, 0};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  if (data_transfer) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_s);
  } else {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, options_.metadata_timeout_s);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteCallback);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, HeaderCallback);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out->location);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
  struct curl_slist* headers = nullptr;
  if (method == "PUT") {
    // No "Expect: 100-continue" round trip; the DataNode answers the data directly.
    headers = curl_slist_append(headers, "Expect:");
    if (upload != nullptr || !upload_data.empty() || upload_size > 0) {
      headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload_size));
      if (upload != nullptr) {
        curl_easy_setopt(curl, CURLOPT_READDATA, upload);  // default read callback: fread
      } else {
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadMemory);
        curl_easy_setopt(curl, CURLOPT_READDATA, &memory);
      }
    } else {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
    }
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (state.sink_failed) return Status::IOError(what + ": cannot write the downloaded data");
  if (rc != CURLE_OK) {
    std::string detail = error[0] != 0 ? error : curl_easy_strerror(rc);
    std::string hint;
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
        rc == CURLE_COULDNT_RESOLVE_HOST) {
      hint = " (is the NameNode running, and is " + options_.address +
             " its HTTP (WebHDFS) address, 9870 by default?)";
    }
    return Status::IOError(what + ": cannot reach WebHDFS at " + options_.address + ": " + detail +
                           hint);
  }
  return Status::OK();
}

Status WebHdfs::ErrorFrom(const Response& r, const std::string& what) const {
  std::string exception, message;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("RemoteException")) {
    const auto& e = j["RemoteException"];
    if (e.contains("exception") && e["exception"].is_string()) exception = e["exception"];
    if (e.contains("message") && e["message"].is_string()) message = e["message"];
  }
  if (exception.empty()) {
    // Not a WebHDFS answer: the address is some other server (or the NameNode's RPC port).
    std::string body = r.body.size() < 300 ? r.body : r.body.substr(0, 300) + "…";
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    return Status::IOError(what + ": " + options_.address + " answered HTTP " +
                           std::to_string(r.code) + (body.empty() ? "" : " (" + body + ")") +
                           ": is it the NameNode's HTTP (WebHDFS) address, 9870 by default?");
  }
  if (exception == "FileNotFoundException") return Status::NotFound(what + ": " + message);
  if (exception == "FileAlreadyExistsException")
    return Status::AlreadyExists(what + ": " + message);
  return Status::IOError(what + ": " + (exception.empty() ? "" : exception + ": ") + message);
}

Result<HdfsFileStatus> WebHdfs::GetFileStatus(const std::string& path) {
  const std::string what = "hdfs GETFILESTATUS " + path;
  Response r;
  CS_RETURN_IF_ERROR(Perform("GET", Url(path, "GETFILESTATUS", ""), what, false, nullptr, 0, {},
                             false, nullptr, &r));
  if (r.code != 200) return ErrorFrom(r, what);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("FileStatus")) {
    return Status::IOError(what + ": unexpected answer (not WebHDFS?)");
  }
  HdfsFileStatus s;
  s.directory = j["FileStatus"].value("type", "") == "DIRECTORY";
  s.length = j["FileStatus"].value("length", uint64_t{0});
  s.permission = j["FileStatus"].value("permission", "");
  return s;
}

Result<std::vector<HdfsFileStatus>> WebHdfs::ListStatus(const std::string& path) {
  const std::string what = "hdfs LISTSTATUS " + path;
  Response r;
  CS_RETURN_IF_ERROR(
      Perform("GET", Url(path, "LISTSTATUS", ""), what, false, nullptr, 0, {}, false, nullptr, &r));
  if (r.code != 200) return ErrorFrom(r, what);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.contains("FileStatuses") ||
      !j["FileStatuses"].contains("FileStatus")) {
    return Status::IOError(what + ": unexpected answer (not WebHDFS?)");
  }
  std::vector<HdfsFileStatus> out;
  for (const auto& f : j["FileStatuses"]["FileStatus"]) {
    HdfsFileStatus s;
    s.name = f.value("pathSuffix", "");
    s.directory = f.value("type", "") == "DIRECTORY";
    s.length = f.value("length", uint64_t{0});
    out.push_back(std::move(s));
  }
  return out;
}

Status WebHdfs::Mkdirs(const std::string& path) {
  const std::string what = "hdfs MKDIRS " + path;
  Response r;
  CS_RETURN_IF_ERROR(
      Perform("PUT", Url(path, "MKDIRS", ""), what, false, nullptr, 0, {}, false, nullptr, &r));
  if (r.code != 200) return ErrorFrom(r, what);
  if (r.body.find("true") == std::string::npos) return Status::IOError(what + ": refused");
  return Status::OK();
}

Status WebHdfs::PutData(const std::string& path, bool overwrite, unsigned permission,
                        std::FILE* file, uint64_t size, std::string_view data) {
  const std::string what = "hdfs CREATE " + path;
  char mode[16];
  std::snprintf(mode, sizeof mode, "%o", permission & 0777u);
  Response step1;
  CS_RETURN_IF_ERROR(Perform(
      "PUT",
      Url(path, "CREATE",
          std::string(overwrite ? "&overwrite=true" : "&overwrite=false") + "&permission=" + mode),
      what, false, nullptr, 0, {}, false, nullptr, &step1));
  if (step1.code != 307 || step1.location.empty()) {
    if (step1.code == 307) return Status::IOError(what + ": redirect without a Location");
    return ErrorFrom(step1, what);
  }
  Response step2;
  CS_RETURN_IF_ERROR(Perform("PUT", step1.location, what + " (DataNode)", true, file, size, data,
                             false, nullptr, &step2));
  if (step2.code != 201) return ErrorFrom(step2, what + " (DataNode)");
  return Status::OK();
}

Status WebHdfs::Create(const std::string& path, std::string_view data, bool overwrite,
                       unsigned permission) {
  return PutData(path, overwrite, permission, nullptr, data.size(), data);
}

Status WebHdfs::CreateFromFile(const std::string& path, const std::string& local_file,
                               bool overwrite, unsigned permission) {
  std::FILE* f = std::fopen(local_file.c_str(), "rb");
  if (f == nullptr) return Status::IOError(local_file + ": cannot open for upload");
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  Status s = PutData(path, overwrite, permission, f, static_cast<uint64_t>(size), {});
  std::fclose(f);
  return s;
}

Status WebHdfs::OpenTo(const std::string& path, const std::string& params, const Sink& sink) {
  const std::string what = "hdfs OPEN " + path;
  Response r;
  CS_RETURN_IF_ERROR(
      Perform("GET", Url(path, "OPEN", params), what, true, nullptr, 0, {}, true, &sink, &r));
  if (r.code != 200) return ErrorFrom(r, what);
  return Status::OK();
}

Status WebHdfs::Read(const std::string& path, const Sink& sink) { return OpenTo(path, "", sink); }

Status WebHdfs::ReadRange(const std::string& path, uint64_t offset, uint64_t length,
                          const Sink& sink) {
  return OpenTo(path, "&offset=" + std::to_string(offset) + "&length=" + std::to_string(length),
                sink);
}

Result<std::string> WebHdfs::Open(const std::string& path, size_t max_bytes) {
  std::string out;
  bool too_big = false;
  Sink sink = [&](std::string_view chunk) {
    if (out.size() + chunk.size() > max_bytes) {
      too_big = true;
      return false;
    }
    out.append(chunk);
    return true;
  };
  Status s = Read(path, sink);
  if (too_big) {
    return Status::InvalidArgument("hdfs " + path + ": larger than " + std::to_string(max_bytes) +
                                   " bytes");
  }
  CS_RETURN_IF_ERROR(s);
  return out;
}

Status WebHdfs::Rename(const std::string& from, const std::string& to) {
  const std::string what = "hdfs RENAME " + from + " -> " + to;
  CURL* curl = curl_easy_init();
  std::string dest = to.empty() || to[0] != '/' ? "/" + to : to;
  char* e = curl_easy_escape(curl, dest.c_str(), static_cast<int>(dest.size()));
  std::string param = std::string("&destination=") + e;
  curl_free(e);
  curl_easy_cleanup(curl);
  Response r;
  CS_RETURN_IF_ERROR(
      Perform("PUT", Url(from, "RENAME", param), what, false, nullptr, 0, {}, false, nullptr, &r));
  if (r.code != 200) return ErrorFrom(r, what);
  if (r.body.find("true") == std::string::npos) {
    return Status::IOError(what + ": refused (does the destination exist?)");
  }
  return Status::OK();
}

Status WebHdfs::Delete(const std::string& path, bool recursive) {
  const std::string what = "hdfs DELETE " + path;
  Response r;
  CS_RETURN_IF_ERROR(
      Perform("DELETE", Url(path, "DELETE", recursive ? "&recursive=true" : "&recursive=false"),
              what, false, nullptr, 0, {}, false, nullptr, &r));
  if (r.code != 200) return ErrorFrom(r, what);
  return Status::OK();
}

}  // namespace cipherstat
