#include "cli/keys.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/audit.h"
#include "cli/passphrase.h"
#include "crypto/key_dir.h"
#include "crypto/keystore.h"
#include "crypto/threshold_files.h"
#include "pipeline/keys.h"
#include "pipeline/release.h"
#include "report/format.h"
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
  if (!info.combiner_key.empty()) {
    std::printf("  combiner key      %s (X25519; partial decryptions are sealed to it)\n",
                info.combiner_key.c_str());
  }
  std::printf("  kdf               argon2id13 opslimit %llu memlimit %zu (%zu MiB)\n",
              static_cast<unsigned long long>(info.limits.opslimit), info.limits.memlimit,
              info.limits.memlimit >> 20);
  std::printf("  aead              xchacha20poly1305-ietf\n");
}

// Custodian i's passphrase: line i of --share-passphrases, else CIPHERSTAT_SHARE_PASSPHRASE_<i>,
// else a prompt (asked twice).
Result<std::vector<std::unique_ptr<crypto::Passphrase>>> SharePassphrases(const std::string& file,
                                                                          int custodians) {
  std::vector<std::unique_ptr<crypto::Passphrase>> out;
  if (!file.empty()) {
    auto text = ReadFile(file, 1 << 16);
    if (!text.ok()) return text.status().WithContext("--share-passphrases");
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text->size()) {
      size_t end = text->find('\n', start);
      if (end == std::string::npos) end = text->size();
      std::string line = text->substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
      start = end + 1;
    }
    if (static_cast<int>(lines.size()) != custodians) {
      return Status::InvalidArgument(file + ": expected one passphrase per line for " +
                                     std::to_string(custodians) + " custodians, found " +
                                     std::to_string(lines.size()) + " lines");
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].empty()) {
        return Status::InvalidArgument(file + " line " + std::to_string(i + 1) +
                                       ": empty passphrase");
      }
      out.push_back(std::make_unique<crypto::Passphrase>(lines[i]));
      sodium_memzero(lines[i].data(), lines[i].size());
    }
    sodium_memzero(text->data(), text->size());
    return out;
  }
  for (int i = 1; i <= custodians; ++i) {
    const PassphraseOrigin origin{"--share-passphrases (line " + std::to_string(i) + ")",
                                  "CIPHERSTAT_SHARE_PASSPHRASE_" + std::to_string(i)};
    CS_ASSIGN_OR_RETURN(
        auto pass,
        GetPassphrase("", origin,
                      "Passphrase for custodian " + std::to_string(i) + "'s share: ", true));
    out.push_back(std::move(pass));
  }
  return out;
}

}  // namespace

void AddThresholdKeygenOptions(CLI::App* keygen, ThresholdKeygenOptions* options) {
  keygen->add_option("--custodians", options->custodians,
                     "Split the decryption key among N custodians (threshold Paillier; no whole "
                     "secret key is kept)");
  keygen->add_option("--threshold", options->threshold,
                     "Any T of the custodians can decrypt; fewer learn nothing");
  keygen->add_option("--share-passphrases", options->share_passphrases,
                     "File with custodian i's passphrase on line i (else "
                     "CIPHERSTAT_SHARE_PASSPHRASE_<i>, else prompts)");
}

Status RunThresholdKeygen(const std::string& out, int bits, const std::string& owner_pass_file,
                          bool fast_kdf, const ThresholdKeygenOptions& options) {
  if (options.threshold < 1 || options.threshold > options.custodians) {
    return Status::InvalidArgument("--threshold must be between 1 and --custodians (" +
                                   std::to_string(options.custodians) + ")");
  }
  CS_ASSIGN_OR_RETURN(
      auto owner_pass,
      GetPassphrase(owner_pass_file, "New passphrase for the owner's signing key: ", true));
  CS_ASSIGN_OR_RETURN(auto share_passes,
                      SharePassphrases(options.share_passphrases, options.custodians));
  std::fprintf(stderr,
               "generating a %d-bit threshold Paillier key (two safe primes: a few seconds to a "
               "minute)...\n",
               bits);
  pipeline::ThresholdKeygen keygen;
  keygen.bits = bits;
  keygen.custodians = options.custodians;
  keygen.threshold = options.threshold;
  keygen.limits = fast_kdf ? crypto::FastKdfLimits() : crypto::DefaultKdfLimits();
  CS_ASSIGN_OR_RETURN(
      pipeline::CreatedThresholdKey key,
      pipeline::CreateThresholdKey(out, keygen, *owner_pass, share_passes, CommandTrail()));
  std::printf("threshold key %s: any %d of %d custodians decrypt\n", key.fingerprint.c_str(),
              options.threshold, options.custodians);
  std::printf("  public:     %s/public.key, %s/%s\n", out.c_str(), out.c_str(),
              crypto::kThresholdFile);
  std::printf("  owner:      %s/signing.key (signs datasets; %s)\n", out.c_str(),
              key.owner_verify_key.c_str());
  std::printf(
      "  combiner:   %s/%s (opens custodians' partial decryptions; %s; under the owner's "
      "passphrase: to designate someone else, give it a passphrase of theirs with `key passwd` "
      "and hand it over)\n",
      out.c_str(), crypto::kCombinerFile, key.combiner_key.c_str());
  for (int i = 1; i <= options.custodians; ++i) {
    std::printf("  custodian %d: %s/%s (give it to them; no copy should stay here)\n", i,
                out.c_str(), crypto::ShareFileName(i).c_str());
  }
  return Status::OK();
}

void RegisterKeys(CLI::App& app, Registry* registry) {
  auto* key_cmd = app.add_subcommand("key", "Inspect keys and change keystore passphrases");
  key_cmd->require_subcommand(1);
  // key show
  {
    auto* cmd = key_cmd->add_subcommand(
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
    auto* cmd = key_cmd->add_subcommand(
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
      auto read_info = crypto::ReadKeystoreInfo(store);
      if (!read_info.ok()) {
        return pipeline::RecordKeystoreFailure(CommandTrail(), audit::EventOf("key passwd"),
                                               read_info.status());
      }
      const crypto::KeystoreInfo& info = *read_info;
      CS_ASSIGN_OR_RETURN(
          auto old_pass,
          GetPassphrase(*pass_file, "Current passphrase for " + store + ": ", false));
      CS_ASSIGN_OR_RETURN(
          auto new_pass,
          GetPassphrase(*new_pass_file, {"--new-passphrase-file", "CIPHERSTAT_NEW_PASSPHRASE"},
                        "New passphrase for " + store + ": ", true));
      Status changed = crypto::ChangeKeystorePassphrase(store, *old_pass, *new_pass);
      if (!changed.ok()) {
        return pipeline::RecordKeystoreFailure(
            CommandTrail(), audit::EventOf("key passwd").Key(info.fingerprint), changed);
      }
      CS_RETURN_IF_ERROR(CommandTrail().Record(audit::EventOf("key passwd")
                                                   .Key(info.fingerprint)
                                                   .Detail(info.kind + " keystore " + store)));
      std::printf("passphrase of %s changed (%s keystore, key %.16s…)\n", store.c_str(),
                  info.kind.c_str(), info.fingerprint.c_str());
      return Status::OK();
    });
  }
  // decrypt-share
  {
    auto* cmd = app.add_subcommand(
        "decrypt-share",
        "Custodian: partially decrypt a result with your key share (with proofs of correctness), "
        "sealed to the combiner the owner designated");
    auto key = std::make_shared<std::string>();
    auto in = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto pass_file = std::make_shared<std::string>();
    auto allow_unsigned = std::make_shared<bool>(false);
    cmd->add_option("--key", *key, "Your share keystore (share-i.key)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--in", *in, "Encrypted result file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", *out,
                    "Partial decryption file to write (only the combiner can open it)")
        ->required();
    auto force = std::make_shared<bool>(false);
    AddForceFlag(cmd, force.get());
    cmd->add_option("--passphrase-file", *pass_file,
                    "Passphrase file for the share (else CIPHERSTAT_PASSPHRASE, else a prompt)");
    cmd->add_flag("--allow-unsigned", *allow_unsigned,
                  "Help decrypt a result from a dataset the owner did not sign");
    registry->emplace_back(cmd, [=]() -> Status {
      const bool tty = ::isatty(2) != 0;
      CS_ASSIGN_OR_RETURN(pipeline::SharedDecryption done,
                          pipeline::DecryptShare(
                              *key, *in, *out, *force, *allow_unsigned, PassphraseFrom(*pass_file),
                              CommandTrail(), [tty](size_t k, size_t total) {
                                if (tty)
                                  std::fprintf(stderr, "\rpartial decryption: %zu / %zu", k, total);
                              }));
      if (tty && done.partials > 0) std::fprintf(stderr, "\n");
      std::printf(
          "custodian %d: %zu partial decryptions with proofs in %s (sealed to the "
          "combiner)\n",
          done.custodian, done.partials, out->c_str());
      return Status::OK();
    });
  }
  // combine
  {
    auto* cmd = app.add_subcommand(
        "combine",
        "Combine T custodians' partial decryptions into the released table (proofs checked)");
    auto key = std::make_shared<std::string>();
    auto in = std::make_shared<std::string>();
    auto partial_paths = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>("text");
    auto out = std::make_shared<std::string>();
    auto min_cell = std::make_shared<std::optional<uint64_t>>();
    auto allow_unsigned = std::make_shared<bool>(false);
    auto pass_file = std::make_shared<std::string>();
    cmd->add_option("--key", *key,
                    "Threshold key folder (its threshold.json, and combiner.key: the partials "
                    "are sealed to the combiner)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--passphrase-file", *pass_file,
                    "Passphrase file for combiner.key (else CIPHERSTAT_PASSPHRASE, else a prompt)");
    cmd->add_option("--in", *in, "Encrypted result file")->required()->check(CLI::ExistingFile);
    cmd->add_option("partials", *partial_paths, "Partial decryption files (one per custodian)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--format", *format, "Output format (html: a self-contained page with charts)")
        ->check(CLI::IsMember(TableFormats()));
    cmd->add_option("--out", *out, "Write here instead of standard output");
    auto force = std::make_shared<bool>(false);
    AddForceFlag(cmd, force.get());
    AddMinCellOption(cmd, min_cell.get());
    auto level = std::make_shared<double>(0.95);
    AddLevelOption(cmd, level.get());
    auto privacy = std::make_shared<PrivacyFlags>();
    AddPrivacyOptions(cmd, privacy.get());
    cmd->add_flag("--allow-unsigned", *allow_unsigned,
                  "Accept a result from a dataset the owner did not sign (unauthenticated schema "
                  "and record count)");
    registry->emplace_back(cmd, [=]() -> Status {
      pipeline::ReleaseRules rules{ReleaseOptions(), *min_cell, *allow_unsigned, std::nullopt};
      rules.cells.level = *level;
      CS_RETURN_IF_ERROR(ApplyPrivacy(*privacy, &rules));
      // The folder's public files and combiner.key; its share keystores are never opened here.
      CS_ASSIGN_OR_RETURN(crypto::ThresholdFolder folder, crypto::ReadThresholdFolder(*key));
      CS_ASSIGN_OR_RETURN(pipeline::LoadedResult loaded, pipeline::ReadResult(*in, folder.pub.pk));
      CS_ASSIGN_OR_RETURN(
          crypto::CombinerKey combiner,
          pipeline::OpenCombinerKey(*key, folder, PassphraseFrom(*pass_file), CommandTrail()));
      pipeline::CustodianDecryptor custodians(std::move(folder), std::move(combiner),
                                              *partial_paths);
      return pipeline::ReleaseResult(loaded, custodians, rules, {*format, *out, *force},
                                     CommandTrail(), Warn);
    });
  }
}

}  // namespace cipherstat::cli
