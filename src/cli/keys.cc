#include "cli/keys.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/passphrase.h"
#include "crypto/key_dir.h"
#include "crypto/keystore.h"
#include "util/file.h"

namespace cipherstat::cli {

namespace {

namespace fs = std::filesystem;

// The keystores a --key argument names: the file itself, or every keystore in the folder.
std::vector<std::string> KeystoresAt(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  for (const auto& e : fs::directory_iterator(path, ec)) {
    if (e.path().extension() == ".key" && e.path().filename() != "public.key" &&
        crypto::ReadKeystoreInfo(e.path().string()).ok()) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The modulus size, from the public.key beside a keystore when it is the same key.
std::string BitsBeside(const std::string& keystore, const std::string& fingerprint) {
  const std::string dir = fs::path(keystore).parent_path().string();
  auto pk = crypto::ReadPublicKey(dir.empty() ? "." : dir);
  if (!pk.ok() || pk->Fingerprint() != fingerprint) return "unknown (no matching public.key)";
  return std::to_string(pk->bits());
}

void PrintInfo(const std::string& path, const crypto::KeystoreInfo& info) {
  std::printf("%s\n", path.c_str());
  std::printf("  kind              %s\n", info.kind.c_str());
  std::printf("  format            cipherstat-keystore version %llu\n",
              static_cast<unsigned long long>(info.version));
  std::printf("  key fingerprint   %s\n", info.fingerprint.c_str());
  std::printf("  key bits          %s\n", BitsBeside(path, info.fingerprint).c_str());
  if (!info.verify_key.empty()) {
    std::printf("  owner verify key  %s (Ed25519)\n", info.verify_key.c_str());
  }
  if (info.kind == "share") {
    std::printf("  share             %u of %u (any %u combine)\n", info.share_index,
                info.share_parties, info.share_threshold);
  }
  std::printf("  kdf               argon2id13 opslimit %llu memlimit %zu (%zu MiB)\n",
              static_cast<unsigned long long>(info.limits.opslimit), info.limits.memlimit,
              info.limits.memlimit >> 20);
  std::printf("  aead              xchacha20poly1305-ietf\n");
}

}  // namespace

void RegisterKeys(CLI::App& app, Registry* registry) {
  auto* key = app.add_subcommand("key", "Inspect keys and change keystore passphrases");
  key->require_subcommand(1);
  // key show
  {
    auto* cmd = key->add_subcommand(
        "show",
        "Print a keystore's public parameters (fingerprint, bits, KDF, share); never a secret");
    auto path = std::make_shared<std::string>();
    cmd->add_option("--key", *path, "Key folder or keystore file")
        ->required()
        ->check(CLI::ExistingPath);
    registry->emplace_back(cmd, [=]() -> Status {
      std::vector<std::string> stores = KeystoresAt(*path);
      if (stores.empty()) return Status::NotFound(*path + ": no keystore here");
      for (const std::string& store : stores) {
        CS_ASSIGN_OR_RETURN(crypto::KeystoreInfo info, crypto::ReadKeystoreInfo(store));
        PrintInfo(store, info);
      }
      return Status::OK();
    });
  }
  // key passwd
  {
    auto* cmd = key->add_subcommand(
        "passwd",
        "Change a keystore's passphrase (old one verified first; atomic: temp file, fsync, "
        "rename)");
    auto path = std::make_shared<std::string>();
    auto pass_file = std::make_shared<std::string>();
    auto new_pass_file = std::make_shared<std::string>();
    cmd->add_option("--key", *path, "Key folder (its secret.key) or keystore file")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option(
        "--passphrase-file", *pass_file,
        "Current passphrase from this file (else CIPHERSTAT_PASSPHRASE, else a prompt)");
    cmd->add_option(
        "--new-passphrase-file", *new_pass_file,
        "New passphrase from this file (else CIPHERSTAT_NEW_PASSPHRASE, else asked twice)");
    registry->emplace_back(cmd, [=]() -> Status {
      std::string store = *path;
      std::error_code ec;
      if (fs::is_directory(store, ec)) {
        std::vector<std::string> stores = KeystoresAt(store);
        if (stores.size() != 1) {
          return Status::InvalidArgument(*path + ": holds " + std::to_string(stores.size()) +
                                         " keystores; name the file with --key");
        }
        store = stores.front();
      }
      CS_ASSIGN_OR_RETURN(crypto::KeystoreInfo info, crypto::ReadKeystoreInfo(store));
      CS_ASSIGN_OR_RETURN(
          auto old_pass,
          GetPassphrase(*pass_file, "Current passphrase for " + store + ": ", false));
      CS_ASSIGN_OR_RETURN(auto new_pass, GetPassphrase(*new_pass_file, "CIPHERSTAT_NEW_PASSPHRASE",
                                                       "New passphrase for " + store + ": ", true));
      CS_RETURN_IF_ERROR(crypto::ChangeKeystorePassphrase(store, *old_pass, *new_pass));
      std::printf("passphrase of %s changed (%s keystore, key %.16s…)\n", store.c_str(),
                  info.kind.c_str(), info.fingerprint.c_str());
      return Status::OK();
    });
  }
}

}  // namespace cipherstat::cli
