#include "crypto/roles.h"

#include <filesystem>
#include <fstream>
#include <system_error>

namespace cipherstat::crypto {

namespace {

// Keystores, secret keys, key shares and audit signing keys (stored unsealed: whoever holds
// one can sign audit entries as its actor) are small JSON files that name their format near
// the start.
bool LooksSecret(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.find("\"cipherstat-keystore\"") != std::string::npos ||
         head.find("\"cipherstat-paillier-secret\"") != std::string::npos ||
         head.find("\"cipherstat-threshold-share\"") != std::string::npos ||
         head.find("\"cipherstat-audit-key\"") != std::string::npos;
}

Status Refuse(const std::filesystem::path& file) {
  return Status::InvalidArgument(
      file.string() +
      " holds secret key material; compute-side commands work with public keys and datasets "
      "only and never open a keystore (give the dataset folder, not the key folder)");
}

}  // namespace

Status CheckNoSecretMaterial(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec) return Status::OK();
  if (fs::is_regular_file(st)) return LooksSecret(path) ? Refuse(path) : Status::OK();
  if (!fs::is_directory(st)) return Status::OK();
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec)) continue;
    if (LooksSecret(entry.path())) return Refuse(entry.path());
  }
  return Status::OK();
}

}  // namespace cipherstat::crypto
