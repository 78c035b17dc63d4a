#include "pipeline/publish.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <system_error>

#include "audit/log.h"
#include "util/file.h"

namespace cipherstat::pipeline {

namespace {

namespace fs = std::filesystem;

// Files an output never replaces, by their "format"; `key` marks a key folder.
struct Protected {
  std::string_view format;
  std::string_view what;
  bool key;
};
constexpr Protected kProtected[] = {
    {"cipherstat-keystore", "a keystore", true},
    {"cipherstat-paillier-secret", "a secret key", true},
    {"cipherstat-threshold-share", "a custodian's key share", true},
    {"cipherstat-audit-key", "an audit signing key", true},
    {"cipherstat-paillier-public", "a public key", true},
    {"cipherstat-threshold-public", "a threshold key's public part", true},
    {"cipherstat-dataset", "a dataset manifest", false},
    {"cipherstat-manifest-signature", "a dataset manifest's signature", false},
    {"cipherstat-audit-anchor", "an audit anchor", false},
};
// Names that make a folder a key folder (crypto/key_dir.h, crypto/threshold_files.h,
// audit/identity.h), checked through any storage; locally the folder's files are also read.
constexpr std::string_view kKeyFiles[] = {"secret.key", "public.key", "threshold.json",
                                          "signing.key"};
constexpr std::string_view kManifest = "manifest.json";  // marks a dataset folder
constexpr size_t kHeadBytes = 64 << 10;  // key files, anchors and signatures are smaller

// What `head` (a file's first bytes; `whole` when that is all of it) is, if it is protected:
// the first line of an audit log, or a small JSON file with a protected "format".
const Protected* Classify(std::string_view head, bool whole) {
  static constexpr Protected kAuditLog = {"", "an audit log", false};
  const size_t first_line = head.find('\n');
  if ((first_line != std::string_view::npos || whole) &&
      audit::ParseEntry(head.substr(0, first_line)).ok()) {
    return &kAuditLog;
  }
  const size_t start = head.find_first_not_of(" \t\r\n");
  if (!whole || start == std::string_view::npos || head[start] != '{') return nullptr;
  const nlohmann::json j = nlohmann::json::parse(head, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format") || !j["format"].is_string()) {
    return nullptr;
  }
  const std::string format = j["format"].get<std::string>();
  for (const Protected& p : kProtected) {
    if (p.format == format) return &p;
  }
  return nullptr;
}

// A local file's first bytes, and whether they are all of it.
bool LocalHead(const fs::path& file, std::string* head) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  head->assign(kHeadBytes + 1, '\0');
  in.read(head->data(), static_cast<std::streamsize>(head->size()));
  head->resize(static_cast<size_t>(in.gcount()));
  const bool whole = head->size() <= kHeadBytes;
  if (!whole) head->resize(kHeadBytes);
  return whole;
}

// "hdfs://h:p/a/b" -> "hdfs://h:p/a"; a local path, made absolute and resolved as far as it
// exists (so "keys/../x" and symbolic links name the folder the file really lands in).
// "" above the root.
std::string ParentOf(const std::string& path) {
  if (!HasScheme(path)) {
    std::error_code ec;
    fs::path p = fs::absolute(path, ec);
    if (!p.has_filename()) p = p.parent_path();  // "dir/"
    // The file itself is not resolved: a symbolic link is replaced, not followed, by a write.
    if (p.filename() == "." || p.filename() == "..") p = fs::weakly_canonical(p, ec);
    if (ec || p == p.root_path()) return "";
    const fs::path parent = fs::weakly_canonical(p.parent_path(), ec);
    return ec ? p.parent_path().string() : parent.string();
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t authority = trimmed.find("://") + 3;
  const size_t slash = trimmed.rfind('/');
  if (slash == std::string::npos || slash < authority) return "";
  return trimmed.substr(0, slash);
}

std::string Join(const std::string& dir, std::string_view name) {
  return (dir.empty() || dir.back() != '/' ? dir + "/" : dir) + std::string(name);
}

Status RefuseFolder(const std::string& dir, const std::string& why) {
  return Status::InvalidArgument(dir + " is " + why +
                                 "; outputs never go into a key folder or a dataset folder, even "
                                 "with --force: write them elsewhere");
}

// OK unless `dir` is a key folder or a dataset folder, or lies in a dataset.
Status CheckFolder(const std::string& dir, const StorageConfig& storage_config) {
  if (dir.empty()) return Status::OK();
  CS_ASSIGN_OR_RETURN(auto storage, StorageFor(dir, storage_config));
  // A dataset folder, or its segments/ folder.
  const std::string above = ParentOf(dir);
  for (const std::string& folder : {dir, above}) {
    if (folder.empty()) continue;
    CS_ASSIGN_OR_RETURN(bool dataset, storage->Exists(Join(folder, kManifest)));
    if (dataset) {
      return RefuseFolder(dir, folder == dir ? "a dataset folder (it holds manifest.json)"
                                             : "inside the dataset folder " + folder);
    }
  }
  for (std::string_view name : kKeyFiles) {
    CS_ASSIGN_OR_RETURN(bool key, storage->Exists(Join(dir, name)));
    if (key) return RefuseFolder(dir, "a key folder (it holds " + std::string(name) + ")");
  }
  if (HasScheme(dir)) return Status::OK();
  // Locally, key material under any name (a share-I.key, a renamed keystore).
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec) || entry.file_size(entry_ec) > kHeadBytes) continue;
    std::string head;
    const bool whole = LocalHead(entry.path(), &head);
    const Protected* p = Classify(head, whole);
    if (p != nullptr && p->key) {
      return RefuseFolder(dir, "a key folder (" + entry.path().filename().string() + " is " +
                                   std::string(p->what) + ")");
    }
  }
  return Status::OK();
}

}  // namespace

bool IsStdout(const std::string& path) { return path.empty() || path == "-"; }

Status CheckNewFolder(const std::string& new_dir, const StorageConfig& storage_config) {
  if (Status s = CheckFolder(ParentOf(new_dir), storage_config); !s.ok()) {
    return s.WithContext(new_dir);
  }
  return Status::OK();
}

Status CheckOutput(const std::string& out, bool force, const StorageConfig& storage_config) {
  if (IsStdout(out)) return Status::OK();
  CS_ASSIGN_OR_RETURN(auto storage, StorageFor(out, storage_config));
  if (Status s = CheckFolder(ParentOf(out), storage_config); !s.ok()) return s.WithContext(out);
  CS_ASSIGN_OR_RETURN(bool exists, storage->Exists(out));
  if (!exists) return Status::OK();
  std::error_code ec;
  if (!HasScheme(out) && fs::is_directory(out, ec)) {
    return Status::InvalidArgument(out + " is a folder; give the name of a file to write");
  }
  // What is there, from its first bytes (a transfer stopped once they have arrived).
  std::string head;
  bool whole = true;
  const Status enough = Status::AlreadyExists("enough");
  Status read = storage->StreamFile(
      out,
      [&](uint64_t size) {
        whole = size <= kHeadBytes;
        return Status::OK();
      },
      [&](std::string_view chunk) {
        head.append(chunk.substr(0, kHeadBytes - head.size()));
        return head.size() < kHeadBytes ? Status::OK() : enough;
      });
  if (!read.ok() && read.message() != enough.message()) return read;
  if (const Protected* p = Classify(head, whole); p != nullptr) {
    return Status::InvalidArgument(out + " is " + std::string(p->what) +
                                   "; outputs never replace key material, datasets or audit "
                                   "logs, even with --force");
  }
  return force ? Status::OK() : OutputExists(out);
}

Status Publish(const audit::Trail& trail, const audit::Event& event, const std::string& text,
               const std::string& out, bool force, const StorageConfig& storage_config) {
  // Before the entry: a refused output is not a release.
  CS_RETURN_IF_ERROR(CheckOutput(out, force, storage_config));
  CS_RETURN_IF_ERROR(trail.Record(event));
  Status written;
  if (IsStdout(out)) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    written = std::fflush(stdout) == 0 ? Status::OK() : Status::IOError("cannot write stdout");
  } else {
    auto storage = StorageFor(out, storage_config);
    written = storage.ok() ? (*storage)->WriteFileAtomic(out, text, /*overwrite=*/force)
                           : storage.status();
  }
  if (written.ok()) return written;
  audit::Event closing = event;
  closing.action = "output failed";
  return trail.RecordFailure(
      closing, written.WithContext("the '" + event.action + "' entry above released nothing"));
}

}  // namespace cipherstat::pipeline
