#include "audit/log.h"

#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "util/file.h"

namespace cipherstat::audit {

namespace {

using nlohmann::json;

constexpr std::string_view kEntryDomain = "cipherstat-audit-entry-v1\n";
constexpr std::string_view kAnchorDomain = "cipherstat-audit-anchor-v1\n";
const std::string kZeroHash(64, '0');
constexpr size_t kMaxLineBytes = size_t{16} << 20;

// Sorted keys (nlohmann's std::map), no spaces; invalid UTF-8 in user-supplied text (a query)
// becomes U+FFFD rather than an exception, and re-serialises to the same bytes.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// BLAKE2b-256 of domain || text, as 32 raw bytes.
std::string Blake2b(std::string_view domain, std::string_view text) {
  unsigned char out[32];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof out);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(text.data()),
                            text.size());
  crypto_generichash_final(&state, out, sizeof out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

bool IsHex(const std::string& s, size_t size) {
  return s.size() == size && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string NowUtc() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ts.tv_nsec / 1000000));
  return buf;
}

std::string CanonicalLogPath(const std::string& log_path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(log_path, ec);
  if (ec) p = std::filesystem::absolute(log_path, ec).lexically_normal();
  return p.string();
}

json EntryBody(const Entry& e) {
  json actor = {{"audit_key", e.audit_key}, {"user", e.user}};
  if (!e.event.key_fingerprint.empty()) actor["key"] = e.event.key_fingerprint;
  json j = {{"v", 1},
            {"seq", e.seq},
            {"time", e.time},
            {"actor", actor},
            {"action", e.event.action},
            {"prev", e.prev}};
  if (!e.event.dataset_digest.empty()) j["dataset"] = e.event.dataset_digest;
  if (!e.event.result_digest.empty()) j["result"] = e.event.result_digest;
  if (!e.event.query.empty()) j["query"] = e.event.query;
  if (!e.event.detail.empty()) j["detail"] = e.event.detail;
  return j;
}

// Reads an optional string field; false if present with another type.
bool OptionalString(const json& j, const char* name, std::string* out) {
  auto it = j.find(name);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

// A file descriptor closed on scope exit (which also drops its flock).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// The line `back` lines before the last one (0: the last) of a non-empty file, without its
// newline, read backwards from the end so that an append reads only the entries it checks.
// Corruption if the file does not end with a newline (a write cut short), has fewer lines, or
// the line is absurdly long.
Result<std::string> ReadLineFromEnd(int fd, off_t size, uint64_t back, const std::string& path) {
  char last = 0;
  if (::pread(fd, &last, 1, size - 1) != 1) return Errno(path);
  if (last != '\n') {
    return Status::Corruption(path +
                              ": the last line is incomplete (a write was cut short); "
                              "run `cipherstat audit verify`");
  }
  std::string line;      // the end of the wanted line, once `back` newlines have been passed
  off_t pos = size - 1;  // exclusive end of what is still unread, at the last line's newline
  while (pos > 0) {
    const off_t chunk = std::min<off_t>(4096, pos);
    std::string buf(static_cast<size_t>(chunk), '\0');
    if (::pread(fd, buf.data(), buf.size(), pos - chunk) != chunk) return Errno(path);
    pos -= chunk;
    size_t end = buf.size();  // exclusive end of the current line within buf
    for (size_t nl; end > 0 && (nl = buf.rfind('\n', end - 1)) != std::string::npos; end = nl) {
      if (back == 0) return buf.substr(nl + 1, end - nl - 1) + line;
      --back;
    }
    if (back == 0) line.insert(0, buf, 0, end);
    if (line.size() > kMaxLineBytes) return Status::Corruption(path + ": a line is too long");
  }
  if (back > 0) {
    return Status::Corruption(path +
                              ": fewer lines than its last entry's number; run "
                              "`cipherstat audit verify`");
  }
  return line;  // the file's first line
}

json AnchorBody(const Anchor& a) {
  return {{"format", "cipherstat-audit-anchor"},
          {"version", 1},
          {"log", a.log_path},
          {"entries", a.entries},
          {"head", a.head},
          {"audit_key", a.audit_key},
          {"time", a.time}};
}

Status WriteAnchor(const std::string& path, const Anchor& a, const Identity& identity) {
  json j = AnchorBody(a);
  j["sig"] = identity.Sign(Blake2b(kAnchorDomain, Dump(j)));
  const std::string dir = path.substr(0, path.find_last_of('/'));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno(dir);
  return WriteFileAtomic(path, Dump(j) + "\n", 0600);
}

// The short form of a key for messages.
std::string Short(const std::string& hex) { return hex.substr(0, 16); }

}  // namespace

Result<std::string> ResolveLogPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("CIPHERSTAT_AUDIT_LOG"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.cipherstat/audit.jsonl";
  }
  return Status::InvalidArgument(
      "no audit log: set CIPHERSTAT_AUDIT_LOG or HOME, or pass --audit-log");
}

std::string CurrentUserName() {
  const uid_t uid = ::geteuid();
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && *found->pw_name != '\0') {
    return found->pw_name;
  }
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  return "uid:" + std::to_string(uid);
}

Result<std::string> FileSha256(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Errno(path);
  Sha256 hash;
  std::string buf(1 << 16, '\0');
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) hash.Update({buf.data(), n});
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::IOError(path + ": read error");
  return hash.FinishHex();
}

Result<Entry> ParseEntry(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("not a JSON object");
  if (Dump(j) != line) {
    return Status::Corruption("not in canonical form (sorted keys, no spaces): edited by hand?");
  }
  Entry e;
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_unsigned() || v->get<uint64_t>() != 1) {
    return Status::Corruption("not a version 1 audit entry");
  }
  auto seq = j.find("seq");
  auto actor = j.find("actor");
  if (seq == j.end() || !seq->is_number_unsigned() || actor == j.end() || !actor->is_object()) {
    return Status::Corruption("missing seq or actor");
  }
  e.seq = seq->get<uint64_t>();
  auto required = [&](const json& obj, const char* name, std::string* out) {
    auto it = obj.find(name);
    if (it == obj.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  if (!required(j, "time", &e.time) || !required(j, "action", &e.event.action) ||
      !required(j, "prev", &e.prev) || !required(j, "hash", &e.hash) ||
      !required(j, "sig", &e.signature) || !required(*actor, "audit_key", &e.audit_key) ||
      !required(*actor, "user", &e.user) ||
      !OptionalString(*actor, "key", &e.event.key_fingerprint) ||
      !OptionalString(j, "dataset", &e.event.dataset_digest) ||
      !OptionalString(j, "result", &e.event.result_digest) ||
      !OptionalString(j, "query", &e.event.query) ||
      !OptionalString(j, "detail", &e.event.detail)) {
    return Status::Corruption("a required field is missing or not a string");
  }
  if (!IsHex(e.prev, 64) || !IsHex(e.hash, 64) || !IsHex(e.audit_key, kPublicKeyHexSize) ||
      !IsHex(e.signature, kSignatureHexSize)) {
    return Status::Corruption(
        "prev, hash, audit_key or sig is not lowercase hex of the right size");
  }
  json body = j;
  body.erase("hash");
  body.erase("sig");
  const std::string digest = Blake2b(kEntryDomain, Dump(body));
  if (crypto::HexEncode(digest) != e.hash) {
    return Status::Corruption("its hash does not match its contents: the entry was modified");
  }
  if (!VerifySignature(e.audit_key, digest, e.signature)) {
    return Status::Corruption("bad signature by audit key " + Short(e.audit_key) +
                              "…: the entry was modified or forged");
  }
  return e;
}

std::string AnchorPath(const std::string& audit_dir, const std::string& log_path) {
  const std::string id =
      crypto::HexEncode(Blake2b("cipherstat-audit-log-path\n", CanonicalLogPath(log_path)))
          .substr(0, 32);
  return audit_dir + "/anchors/" + id + ".json";
}

Result<Anchor> ReadAnchor(const std::string& path) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 16));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  json j = json::parse(text, nullptr, false);
  const auto bad = [&](const std::string& why) {
    return Status::Corruption(path + ": " + why + " (audit anchor)");
  };
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != "cipherstat-audit-anchor" ||
      j.value("version", 0) != 1) {
    return bad("not an audit anchor");
  }
  Anchor a;
  try {
    a.log_path = j.at("log").get<std::string>();
    if (!j.at("entries").is_number_unsigned()) return bad("bad entry count");
    a.entries = j.at("entries").get<uint64_t>();
    a.head = j.at("head").get<std::string>();
    a.audit_key = j.at("audit_key").get<std::string>();
    a.time = j.at("time").get<std::string>();
    const std::string sig = j.at("sig").get<std::string>();
    json body = j;
    body.erase("sig");
    if (Dump(body) != Dump(AnchorBody(a))) return bad("unexpected fields");
    if (!VerifySignature(a.audit_key, Blake2b(kAnchorDomain, Dump(body)), sig)) {
      return bad("bad signature: the anchor was modified");
    }
  } catch (const json::exception&) {
    return bad("a field is missing or has the wrong type");
  }
  return a;
}

namespace {

// Where and how a log departs from what an anchor pinned; line 0 when it does not.
struct AnchorMismatch {
  uint64_t line = 0;
  std::string problem;
};

// The one rule Append and VerifyLog share: a log of `entries` entries agrees with `anchor`
// only if it still holds entry number anchor.entries with the anchored hash. `hash_there` is
// that entry's hash (unused when the log is shorter). A log merely as long as the anchor is
// not enough: whoever can write it could cut the tail and refill it.
AnchorMismatch CompareWithAnchor(const Anchor& anchor, uint64_t entries,
                                 std::string_view hash_there) {
  const std::string whose = "the anchor of " + Short(anchor.audit_key) + "… (" + anchor.time + ")";
  if (anchor.entries > entries) {
    return {entries + 1, "missing: the log ends at line " + std::to_string(entries) + " but " +
                             whose + " records " + std::to_string(anchor.entries) +
                             " entries: the tail was cut off"};
  }
  if (anchor.entries > 0 && hash_there != anchor.head) {
    return {anchor.entries, "does not have the head hash " + whose +
                                " records: the log was rewritten after the anchor (or replaced)"};
  }
  return {};
}

// Refuses to extend a log of `entries` entries (its file `size` bytes) that no longer holds
// the entry this actor's anchor pinned: cut short, or rewritten after the anchor.
Status CheckAnchorBeforeAppend(int fd, off_t size, uint64_t entries, const Anchor& anchor,
                               const std::string& log_path, const std::string& anchor_path) {
  std::string hash_there;
  if (anchor.entries > 0 && anchor.entries <= entries) {
    CS_ASSIGN_OR_RETURN(std::string line,
                        ReadLineFromEnd(fd, size, entries - anchor.entries, log_path));
    if (auto entry = ParseEntry(line); entry.ok()) hash_there = entry->hash;
  }
  const AnchorMismatch mismatch = CompareWithAnchor(anchor, entries, hash_there);
  if (mismatch.line == 0) return Status::OK();
  return Status::Corruption(log_path + " line " + std::to_string(mismatch.line) + ": " +
                            mismatch.problem + " (your anchor " + anchor_path +
                            "); refusing to append; run `cipherstat audit verify`");
}

}  // namespace

Result<Entry> Append(const std::string& log_path, const Identity& identity, const Event& event) {
  if (event.action.empty()) return Status::InvalidArgument("audit entry without an action");
  Fd fd(::open(log_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0660));
  if (fd.get() < 0) return Errno("cannot open audit log " + log_path);
  int locked;
  while ((locked = ::flock(fd.get(), LOCK_EX)) != 0 && errno == EINTR) {
  }
  if (locked != 0) return Errno("cannot lock audit log " + log_path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Errno(log_path);

  Entry e;
  e.seq = 1;
  e.prev = kZeroHash;
  if (st.st_size > 0) {
    CS_ASSIGN_OR_RETURN(std::string last, ReadLineFromEnd(fd.get(), st.st_size, 0, log_path));
    auto tail = ParseEntry(last);
    if (!tail.ok()) {
      return Status::Corruption(log_path + ": the last entry does not verify (" +
                                tail.status().message() +
                                "); refusing to append; run `cipherstat audit verify`");
    }
    e.seq = tail->seq + 1;
    e.prev = tail->hash;
  }
  const std::string anchor_path = AnchorPath(identity.dir(), log_path);
  if (PathExists(anchor_path)) {
    CS_ASSIGN_OR_RETURN(Anchor anchor, ReadAnchor(anchor_path));
    if (anchor.audit_key != identity.public_key_hex()) {
      return Status::Corruption(anchor_path + ": anchor signed by another audit key");
    }
    CS_RETURN_IF_ERROR(
        CheckAnchorBeforeAppend(fd.get(), st.st_size, e.seq - 1, anchor, log_path, anchor_path));
  }
  e.time = NowUtc();
  e.audit_key = identity.public_key_hex();
  e.user = CurrentUserName();
  e.event = event;
  json j = EntryBody(e);
  const std::string digest = Blake2b(kEntryDomain, Dump(j));
  e.hash = crypto::HexEncode(digest);
  e.signature = identity.Sign(digest);
  j["hash"] = e.hash;
  j["sig"] = e.signature;
  const std::string line = Dump(j) + "\n";

  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd.get(), line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = Errno("cannot write audit log " + log_path);
      // Leave no partial line behind: it would make the log unverifiable.
      (void)!::ftruncate(fd.get(), st.st_size);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return Errno("cannot fsync audit log " + log_path);
  if (st.st_size == 0) {
    const std::string canonical = CanonicalLogPath(log_path);
    CS_RETURN_IF_ERROR(SyncDirectory(canonical.substr(0, canonical.find_last_of('/'))));
  }
  Anchor anchor;
  anchor.log_path = CanonicalLogPath(log_path);
  anchor.entries = e.seq;
  anchor.head = e.hash;
  anchor.audit_key = e.audit_key;
  anchor.time = e.time;
  Status s = WriteAnchor(anchor_path, anchor, identity);
  if (!s.ok())
    return s.WithContext("audit entry " + std::to_string(e.seq) + " written, but anchor");
  return e;
}

namespace {

struct SplitLines {
  std::vector<std::string_view> lines;
  bool last_is_partial = false;
};

SplitLines Split(std::string_view text) {
  SplitLines out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.lines.push_back(text.substr(start));
      out.last_is_partial = true;
      break;
    }
    out.lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

Result<std::vector<Entry>> ReadLog(const std::string& log_path) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(log_path));
  SplitLines split = Split(text);
  std::vector<Entry> entries;
  for (size_t i = 0; i < split.lines.size(); ++i) {
    auto e = ParseEntry(split.lines[i]);
    if (!e.ok()) return e.status().WithContext(log_path + " line " + std::to_string(i + 1));
    entries.push_back(std::move(e).value());
  }
  return entries;
}

Result<VerifyReport> VerifyLog(const std::string& log_path, const VerifyOptions& options) {
  if (!PathExists(log_path)) return Status::NotFound(log_path + ": no such audit log");
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(log_path));
  SplitLines split = Split(text);
  VerifyReport report;
  report.entries = split.lines.size();
  std::vector<Anchor> anchors;
  for (const std::string& path : options.anchor_files) {
    CS_ASSIGN_OR_RETURN(Anchor a, ReadAnchor(path));
    anchors.push_back(std::move(a));
  }
  report.anchors = anchors;
  const auto bad = [&](uint64_t line, const std::string& problem) {
    report.bad_line = line;
    report.problem = problem;
    return report;
  };
  std::vector<std::string> hashes;  // hashes[i] = hash of line i + 1
  const auto hash_of_line = [&](uint64_t line) -> const std::string& {
    return line == 0 ? kZeroHash : hashes[line - 1];
  };
  for (uint64_t i = 1; i <= split.lines.size(); ++i) {
    if (split.last_is_partial && i == split.lines.size()) {
      return bad(i,
                 "incomplete last line (no newline): a write was cut short or the line was "
                 "edited");
    }
    auto parsed = ParseEntry(split.lines[i - 1]);
    if (!parsed.ok()) return bad(i, parsed.status().message());
    const Entry& e = *parsed;
    if (!options.trusted_keys.empty() &&
        std::find(options.trusted_keys.begin(), options.trusted_keys.end(), e.audit_key) ==
            options.trusted_keys.end()) {
      return bad(i, "signed by audit key " + Short(e.audit_key) + "… (user " + e.user +
                        "), which is not among the trusted keys");
    }
    if (e.seq != i || e.prev != hash_of_line(i - 1)) {
      // Line i carrying number i-1 and chained to line i-2: line i-1 does not belong.
      if (i >= 2 && e.seq == i - 1 && e.prev == hash_of_line(i - 2)) {
        return bad(i - 1, "this entry was inserted: line " + std::to_string(i) +
                              " is chained directly to line " + std::to_string(i - 2));
      }
      if (e.seq != i) {
        return bad(i, "holds entry number " + std::to_string(e.seq) + " where " +
                          std::to_string(i) +
                          " belongs: an entry was deleted, inserted or moved here");
      }
      if (i == 1) return bad(1, "the first entry does not start a chain (prev is not zero)");
      return bad(i - 1, "line " + std::to_string(i) +
                            " was chained to a different entry: this one was replaced or "
                            "re-signed");
    }
    hashes.push_back(e.hash);
    auto signer = std::find_if(report.signers.begin(), report.signers.end(),
                               [&](const SignerSummary& s) { return s.audit_key == e.audit_key; });
    if (signer == report.signers.end()) {
      report.signers.push_back({e.audit_key, e.user, i, 1});
    } else {
      ++signer->entries;
    }
  }
  const uint64_t n = hashes.size();
  for (const Anchor& a : anchors) {
    if (!options.trusted_keys.empty() &&
        std::find(options.trusted_keys.begin(), options.trusted_keys.end(), a.audit_key) ==
            options.trusted_keys.end()) {
      return Status::InvalidArgument("anchor by audit key " + Short(a.audit_key) +
                                     "… is not among the trusted keys");
    }
    const AnchorMismatch mismatch =
        CompareWithAnchor(a, n, a.entries <= n ? hash_of_line(a.entries) : "");
    if (mismatch.line != 0) return bad(mismatch.line, mismatch.problem);
  }
  return report;
}

Result<std::vector<std::string>> ReadTrustedKeys(const std::string& path) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1 << 20));
  std::vector<std::string> keys;
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    line = line.substr(0, line.find('#'));
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    std::string key = line.substr(b, line.find_first_of(" \t\r", b) - b);
    if (key.size() != kPublicKeyHexSize ||
        key.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return Status::InvalidArgument(path + " line " + std::to_string(line_no) +
                                     ": not a 64-digit lowercase hex audit key");
    }
    keys.push_back(key);
  }
  if (keys.empty()) return Status::InvalidArgument(path + ": no keys");
  return keys;
}

}  // namespace cipherstat::audit
