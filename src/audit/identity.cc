#include "audit/identity.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "crypto/hex.h"
#include "util/file.h"

namespace cipherstat::audit {

namespace {

constexpr const char* kKeyFile = "signing.key";
constexpr const char* kFormat = "cipherstat-audit-key";

std::string Hex(const unsigned char* bytes, size_t size) {
  return crypto::HexEncode(std::string_view(reinterpret_cast<const char*>(bytes), size));
}

// Decodes exactly `size` bytes of hex into `out`.
bool Unhex(std::string_view hex, unsigned char* out, size_t size) {
  size_t written = 0;
  const char* end = nullptr;
  return hex.size() == size * 2 &&
         sodium_hex2bin(out, size, hex.data(), hex.size(), nullptr, &written, &end) == 0 &&
         written == size && end == hex.data() + hex.size();
}

Status MakePrivateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return Status::OK();
  if (errno == ENOENT) {
    size_t slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
      CS_RETURN_IF_ERROR(MakePrivateDir(dir.substr(0, slash)));
      if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return Status::OK();
    }
  }
  return Status::IOError(dir + ": cannot create audit folder: " + std::strerror(errno));
}

// Writes a new key file without ever replacing one: the complete file is written under a
// temporary name and hard-linked into place, which fails with EEXIST if another process won.
Status CreateKeyFile(const std::string& path) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char seed[crypto_sign_SEEDBYTES];
  randombytes_buf(seed, sizeof seed);
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, seed);
  sodium_memzero(sk, sizeof sk);
  std::string text = std::string("{\"format\":\"") + kFormat +
                     "\",\"version\":1,\"algorithm\":\"ed25519\",\"public\":\"" +
                     Hex(pk, sizeof pk) + "\",\"seed\":\"" + Hex(seed, sizeof seed) + "\"}\n";
  sodium_memzero(seed, sizeof seed);
  std::string temp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    sodium_memzero(text.data(), text.size());
    return Status::IOError(temp + ": " + std::strerror(errno));
  }
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                 ::fsync(fd) == 0;
  sodium_memzero(text.data(), text.size());
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return Status::IOError(temp + ": cannot write the audit signing key");
  }
  int linked = ::link(temp.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(temp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    return Status::IOError(path + ": " + std::strerror(link_errno));
  }
  size_t slash = path.find_last_of('/');
  return SyncDirectory(slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace

Result<std::string> ResolveAuditDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("CIPHERSTAT_AUDIT_DIR"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.cipherstat/audit";
  }
  return Status::InvalidArgument(
      "no audit folder: set CIPHERSTAT_AUDIT_DIR or HOME, or pass --audit-dir");
}

Result<std::unique_ptr<Identity>> Identity::OpenOrCreate(const std::string& dir) {
  CS_RETURN_IF_ERROR(MakePrivateDir(dir));
  const std::string path = dir + "/" + kKeyFile;
  if (!PathExists(path)) CS_RETURN_IF_ERROR(CreateKeyFile(path));

  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::IOError(path + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    return Status::InvalidArgument(path +
                                   ": audit signing key is readable by others; chmod 600 it");
  }
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4096));
  std::unique_ptr<Identity> id(new Identity());
  id->dir_ = dir;
  id->secret_ = static_cast<unsigned char*>(sodium_malloc(crypto_sign_SECRETKEYBYTES));
  if (id->secret_ == nullptr) throw std::bad_alloc();
  const auto bad = [&](const std::string& why) {
    sodium_memzero(text.data(), text.size());
    return Status::Corruption(path + ": " + why);
  };
  // The file is ours and tiny; nlohmann is not used on it because it would leave copies of the
  // seed in freed memory (see crypto/flat_json.h). Fixed-position parsing is enough.
  auto field = [&](const std::string& name) -> std::string_view {
    const std::string needle = "\"" + name + "\":\"";
    size_t at = text.find(needle);
    if (at == std::string::npos) return {};
    at += needle.size();
    size_t end = text.find('"', at);
    if (end == std::string::npos) return {};
    return std::string_view(text).substr(at, end - at);
  };
  if (text.find(std::string("\"format\":\"") + kFormat + "\"") == std::string::npos ||
      text.find("\"algorithm\":\"ed25519\"") == std::string::npos) {
    return bad("not a cipherstat audit signing key");
  }
  unsigned char seed[crypto_sign_SEEDBYTES];
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  if (!Unhex(field("seed"), seed, sizeof seed)) return bad("bad seed");
  crypto_sign_seed_keypair(pk, id->secret_, seed);
  sodium_memzero(seed, sizeof seed);
  id->public_hex_ = Hex(pk, sizeof pk);
  if (field("public") != id->public_hex_) return bad("public key does not match the seed");
  sodium_memzero(text.data(), text.size());
  return id;
}

Identity::~Identity() { sodium_free(secret_); }

std::string Identity::Sign(std::string_view message) const {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_);
  return Hex(sig, sizeof sig);
}

bool VerifySignature(std::string_view public_key_hex, std::string_view message,
                     std::string_view signature_hex) {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sig[crypto_sign_BYTES];
  return Unhex(public_key_hex, pk, sizeof pk) && Unhex(signature_hex, sig, sizeof sig) &&
         crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), pk) == 0;
}

}  // namespace cipherstat::audit
