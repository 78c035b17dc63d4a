#include "cli/keys.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli/audit.h"
#include "cli/output.h"
#include "cli/passphrase.h"
#include "crypto/hash.h"
#include "crypto/key_dir.h"
#include "crypto/keystore.h"
#include "crypto/threshold.h"
#include "query/decode.h"
#include "store/dataset.h"
#include "store/result_file.h"
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

constexpr char kThresholdFile[] = "threshold.json";
constexpr char kPartialFormat[] = "cipherstat-partial-decryption";

std::string ShareFileName(int index) { return "share-" + std::to_string(index) + ".key"; }

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
    const std::string env = "CIPHERSTAT_SHARE_PASSPHRASE_" + std::to_string(i);
    CS_ASSIGN_OR_RETURN(
        auto pass,
        GetPassphrase("", env.c_str(),
                      "Passphrase for custodian " + std::to_string(i) + "'s share: ", true));
    out.push_back(std::move(pass));
  }
  return out;
}

// DIR/threshold.json: the threshold public key plus the owner's verify key.
struct ThresholdFolder {
  crypto::ThresholdPublic pub;
  crypto::VerifyKey owner;
};

Result<ThresholdFolder> ReadThresholdFolder(const std::string& dir) {
  const std::string path = dir + "/" + kThresholdFile;
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4u << 20));
  ThresholdFolder out;
  auto pub = crypto::ThresholdPublicFromJson(text);
  if (!pub.ok()) return pub.status().WithContext(path);
  out.pub = std::move(pub).value();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.contains("owner_verify_key") || !j["owner_verify_key"].is_string()) {
    return Status::Corruption(path + ": missing field 'owner_verify_key'");
  }
  CS_ASSIGN_OR_RETURN(out.owner,
                      crypto::VerifyKey::FromHex(j["owner_verify_key"].get<std::string>(), path));
  return out;
}

// The result file at `path`: its bytes' digest, header and ciphertexts under `pk`.
struct LoadedResult {
  std::string sha256;
  EncryptedResult result;
};

Result<LoadedResult> LoadResult(const std::string& path, const crypto::PublicKey& pk) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1u << 30));
  LoadedResult out;
  out.sha256 = Sha256Hex(text);
  auto header = EncryptedResultFromJson(text, nullptr);
  if (!header.ok()) return header.status().WithContext(path);
  if (header->key_fingerprint != pk.Fingerprint()) {
    return Status::InvalidArgument("wrong key: " + path + " was computed under key " +
                                   header->key_fingerprint.substr(0, 16) + "…, this key is " +
                                   pk.Fingerprint().substr(0, 16) + "…");
  }
  auto result = EncryptedResultFromJson(text, &pk);
  if (!result.ok()) return result.status().WithContext(path);
  out.result = std::move(result).value();
  return out;
}

// Every summed ciphertext of a result, group by group.
std::vector<const crypto::Ciphertext*> AllSums(const EncryptedResult& result) {
  std::vector<const crypto::Ciphertext*> out;
  for (const EncryptedGroup& g : result.groups) {
    for (const crypto::Ciphertext& c : g.sums) out.push_back(&c);
  }
  return out;
}

Result<crypto::BigInt> HexNumber(const nlohmann::json& j, const char* field,
                                 const std::string& what) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
    return Status::Corruption(what + ": missing field '" + field + "'");
  }
  auto v = crypto::BigInt::FromHex(j[field].get<std::string>());
  if (!v.ok()) return Status::Corruption(what + ": field '" + field + "' is not hexadecimal");
  return v;
}

// A partial-decryption file, checked against the result it claims to be for.
struct PartialFile {
  int custodian = 0;
  std::vector<crypto::PartialDecryption> partials;
};

Result<PartialFile> ReadPartialFile(const std::string& path, const LoadedResult& loaded,
                                    size_t sums) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1u << 30));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kPartialFormat) {
    return Status::Corruption(path + ": not a cipherstat partial decryption");
  }
  try {
    if (j.at("result_sha256").get<std::string>() != loaded.sha256) {
      return Status::InvalidArgument(path + ": made for a different result (digest " +
                                     j.at("result_sha256").get<std::string>().substr(0, 16) +
                                     "…, this result is " + loaded.sha256.substr(0, 16) + "…)");
    }
    if (j.at("key_fingerprint").get<std::string>() != loaded.result.key_fingerprint) {
      return Status::InvalidArgument(path + ": made with a share of another key");
    }
    PartialFile out;
    out.custodian = j.at("custodian").get<int>();
    const auto& list = j.at("partials");
    if (!list.is_array() || list.size() != sums) {
      return Status::Corruption(path + ": holds " + std::to_string(list.size()) +
                                " partial decryptions, the result has " + std::to_string(sums) +
                                " sums");
    }
    for (size_t k = 0; k < list.size(); ++k) {
      const std::string what = path + ": sum " + std::to_string(k);
      crypto::PartialDecryption p;
      p.index = out.custodian;
      CS_ASSIGN_OR_RETURN(p.value, HexNumber(list[k], "c", what));
      CS_ASSIGN_OR_RETURN(p.challenge, HexNumber(list[k], "e", what));
      CS_ASSIGN_OR_RETURN(p.response, HexNumber(list[k], "z", what));
      out.partials.push_back(std::move(p));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(path + ": " + e.what());
  }
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
  if (PathExists(out)) {
    return Status::AlreadyExists(out + ": already exists; refusing to overwrite a key");
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
  Result<crypto::ThresholdKey> key =
      crypto::GenerateThresholdKey(bits, options.custodians, options.threshold);
  CS_RETURN_IF_ERROR(key.status());
  const crypto::SigningKey signing = crypto::SigningKey::Generate();
  CS_RETURN_IF_ERROR(AuditEvent("keygen")
                         .Key(key->pub.pk.Fingerprint())
                         .Detail("threshold key folder " + out + ": any " +
                                 std::to_string(options.threshold) + " of " +
                                 std::to_string(options.custodians) + " custodians decrypt")
                         .Record());
  const auto limits = fast_kdf ? crypto::FastKdfLimits() : crypto::DefaultKdfLimits();

  // Everything is written into a temporary folder and renamed into place when complete.
  CS_ASSIGN_OR_RETURN(std::string temp, MakeTempDirBeside(out));
  ::chmod(temp.c_str(), 0700);
  auto write_all = [&]() -> Status {
    const crypto::PublicKey& pk = key->pub.pk;
    nlohmann::ordered_json pub = nlohmann::ordered_json::parse(crypto::PublicKeyToJson(pk));
    pub["owner_verify_key"] = signing.verify_key().Hex();
    CS_RETURN_IF_ERROR(WriteFileAtomic(temp + "/public.key", pub.dump() + "\n"));
    nlohmann::ordered_json thr =
        nlohmann::ordered_json::parse(crypto::ThresholdPublicToJson(key->pub));
    thr["key_fingerprint"] = pk.Fingerprint();
    thr["owner_verify_key"] = signing.verify_key().Hex();
    CS_RETURN_IF_ERROR(WriteFileAtomic(temp + "/" + kThresholdFile, thr.dump(1) + "\n"));
    CS_RETURN_IF_ERROR(crypto::WriteSigningKeystore(temp + "/signing.key", signing,
                                                    pk.Fingerprint(), *owner_pass, limits));
    for (const crypto::KeyShare& share : key->shares) {
      CS_RETURN_IF_ERROR(crypto::WriteShareKeystore(
          temp + "/" + ShareFileName(share.index), share, signing.verify_key(),
          *share_passes[static_cast<size_t>(share.index - 1)], limits));
    }
    return CommitDirectory(temp, out);
  };
  Status s = write_all();
  if (!s.ok()) {
    RemoveTree(temp);
    return s;
  }
  std::printf("threshold key %s: any %d of %d custodians decrypt\n",
              key->pub.pk.Fingerprint().c_str(), options.threshold, options.custodians);
  std::printf("  public:     %s/public.key, %s/%s\n", out.c_str(), out.c_str(), kThresholdFile);
  std::printf("  owner:      %s/signing.key (signs datasets; %s)\n", out.c_str(),
              signing.verify_key().Hex().c_str());
  for (int i = 1; i <= options.custodians; ++i) {
    std::printf("  custodian %d: %s/%s (give it to them; no copy should stay here)\n", i,
                out.c_str(), ShareFileName(i).c_str());
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
      CS_ASSIGN_OR_RETURN(crypto::KeystoreInfo info, crypto::ReadKeystoreInfo(store));
      CS_ASSIGN_OR_RETURN(
          auto old_pass,
          GetPassphrase(*pass_file, "Current passphrase for " + store + ": ", false));
      CS_ASSIGN_OR_RETURN(auto new_pass, GetPassphrase(*new_pass_file, "CIPHERSTAT_NEW_PASSPHRASE",
                                                       "New passphrase for " + store + ": ", true));
      Status changed = crypto::ChangeKeystorePassphrase(store, *old_pass, *new_pass);
      if (!changed.ok()) {
        return AuditEvent("failed passphrase")
            .Key(info.fingerprint)
            .Detail("key passwd " + store)
            .RecordFailure(changed);
      }
      CS_RETURN_IF_ERROR(AuditEvent("key passwd")
                             .Key(info.fingerprint)
                             .Detail(info.kind + " keystore " + store)
                             .Record());
      std::printf("passphrase of %s changed (%s keystore, key %.16s…)\n", store.c_str(),
                  info.kind.c_str(), info.fingerprint.c_str());
      return Status::OK();
    });
  }
  // decrypt-share
  {
    auto* cmd = app.add_subcommand(
        "decrypt-share",
        "Custodian: partially decrypt a result with your key share (with proofs of correctness)");
    auto key = std::make_shared<std::string>();
    auto in = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto pass_file = std::make_shared<std::string>();
    auto allow_unsigned = std::make_shared<bool>(false);
    cmd->add_option("--key", *key, "Your share keystore (share-i.key)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--in", *in, "Encrypted result file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--out", *out, "Partial decryption file to write")->required();
    cmd->add_option("--passphrase-file", *pass_file,
                    "Passphrase file for the share (else CIPHERSTAT_PASSPHRASE, else a prompt)");
    cmd->add_flag("--allow-unsigned", *allow_unsigned,
                  "Help decrypt a result from a dataset the owner did not sign");
    registry->emplace_back(cmd, [=]() -> Status {
      CS_ASSIGN_OR_RETURN(crypto::KeystoreInfo info, crypto::ReadKeystoreInfo(*key));
      if (info.kind != "share") {
        return Status::InvalidArgument(*key + ": not a custodian's key share (kind '" + info.kind +
                                       "')");
      }
      CS_ASSIGN_OR_RETURN(auto pass,
                          GetPassphrase(*pass_file, "Passphrase for " + *key + ": ", false));
      auto share = crypto::ReadShareKeystore(*key, *pass);
      if (!share.ok()) {
        return AuditEvent("failed passphrase")
            .Key(info.fingerprint)
            .Detail("decrypt-share with " + *key)
            .RecordFailure(share.status());
      }
      const crypto::OpenedShare& opened = *share;
      CS_ASSIGN_OR_RETURN(LoadedResult loaded, LoadResult(*in, opened.share.pk));
      // A custodian helps only with results over datasets its owner signed.
      CS_RETURN_IF_ERROR(ResultFacts(loaded.result, opened.owner, *allow_unsigned).status());
      const auto sums = AllSums(loaded.result);
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      size_t done = 0;
      for (const crypto::Ciphertext* c : sums) {
        crypto::PartialDecryption p = crypto::PartialDecrypt(opened.share, *c);
        nlohmann::ordered_json e;
        e["c"] = p.value.ToHex();
        e["e"] = p.challenge.ToHex();
        e["z"] = p.response.ToHex();
        list.push_back(std::move(e));
        if (::isatty(2))
          std::fprintf(stderr, "\rpartial decryption: %zu / %zu", ++done, sums.size());
      }
      if (::isatty(2) && !sums.empty()) std::fprintf(stderr, "\n");
      nlohmann::ordered_json j;
      j["format"] = kPartialFormat;
      j["version"] = 1;
      j["result_sha256"] = loaded.sha256;
      j["key_fingerprint"] = loaded.result.key_fingerprint;
      j["custodian"] = opened.share.index;
      j["partials"] = std::move(list);
      const std::string partial_text = j.dump(1) + "\n";
      CS_RETURN_IF_ERROR(AuditEvent("decrypt-share")
                             .Key(loaded.result.key_fingerprint)
                             .Dataset(loaded.result.manifest_sha256)
                             .ResultDigest(loaded.sha256)
                             .Query(loaded.result.sql)
                             .Detail("custodian " + std::to_string(opened.share.index) +
                                     " partial decryption to " + *out + " (sha256 " +
                                     Sha256Hex(partial_text) + ")")
                             .Record());
      CS_RETURN_IF_ERROR(WriteFileAtomic(*out, partial_text));
      std::printf("custodian %d: %zu partial decryptions with proofs in %s\n", opened.share.index,
                  sums.size(), out->c_str());
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
    auto release = std::make_shared<ReleaseOptions>();
    auto allow_unsigned = std::make_shared<bool>(false);
    cmd->add_option("--key", *key, "Threshold key folder (its public.key and threshold.json)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--in", *in, "Encrypted result file")->required()->check(CLI::ExistingFile);
    cmd->add_option("partials", *partial_paths, "Partial decryption files (one per custodian)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--format", *format, "Output format (html: a self-contained page with charts)")
        ->check(CLI::IsMember(TableFormats()));
    cmd->add_option("--out", *out, "Write here instead of standard output");
    cmd->add_option("--min-cell", release->min_cell, "Suppress cells from fewer records than this");
    cmd->add_flag("--allow-unsigned", *allow_unsigned,
                  "Accept a result from a dataset the owner did not sign (unauthenticated schema "
                  "and record count)");
    registry->emplace_back(cmd, [=]() -> Status {
      // Only the folder's public files are read; its share keystores are never opened here.
      CS_ASSIGN_OR_RETURN(ThresholdFolder folder, ReadThresholdFolder(*key));
      const crypto::ThresholdPublic& pub = folder.pub;
      CS_ASSIGN_OR_RETURN(LoadedResult loaded, LoadResult(*in, pub.pk));
      CS_ASSIGN_OR_RETURN(DatasetFacts facts,
                          ResultFacts(loaded.result, folder.owner, *allow_unsigned));
      const auto sums = AllSums(loaded.result);
      std::vector<PartialFile> files;
      std::set<int> custodians;
      for (const std::string& path : *partial_paths) {
        CS_ASSIGN_OR_RETURN(PartialFile file, ReadPartialFile(path, loaded, sums.size()));
        if (!custodians.insert(file.custodian).second) {
          return Status::InvalidArgument(path + ": a second partial from custodian " +
                                         std::to_string(file.custodian));
        }
        for (size_t k = 0; k < sums.size(); ++k) {
          Status s = crypto::VerifyPartial(pub, *sums[k], file.partials[k]);
          if (!s.ok()) return s.WithContext(path + " (sum " + std::to_string(k) + ")");
        }
        files.push_back(std::move(file));
      }
      if (static_cast<int>(files.size()) < pub.threshold) {
        return Status::InvalidArgument(
            "not enough partial decryptions: " + std::to_string(pub.threshold) + " of " +
            std::to_string(pub.parties) + " custodians are needed, " +
            std::to_string(files.size()) + " given; nothing was decrypted");
      }
      std::map<std::string, crypto::BigInt> plain;  // ciphertext hex → plaintext
      for (size_t k = 0; k < sums.size(); ++k) {
        std::vector<const crypto::PartialDecryption*> ps;
        for (const PartialFile& f : files) ps.push_back(&f.partials[k]);
        CS_ASSIGN_OR_RETURN(crypto::BigInt m, crypto::CombinePartials(pub, ps));
        plain[sums[k]->value.ToHex()] = std::move(m);
      }
      auto lookup = [&plain](const crypto::Ciphertext& c) -> Result<crypto::BigInt> {
        auto it = plain.find(c.value.ToHex());
        if (it == plain.end()) return Status::Corruption("result: a sum was not combined");
        return it->second;
      };
      CS_ASSIGN_OR_RETURN(ResultTable table,
                          DecodeResult(pub.pk, facts, loaded.result, lookup, *release));
      if (!facts.signed_by_owner) {
        std::fprintf(stderr, "warning: %s comes from a dataset the owner did not sign\n",
                     in->c_str());
      }
      std::string custodian_list;
      for (int c : custodians)
        custodian_list += (custodian_list.empty() ? "" : ",") + std::to_string(c);
      CS_RETURN_IF_ERROR(AuditEvent("combine")
                             .Key(pub.pk.Fingerprint())
                             .Dataset(loaded.result.manifest_sha256)
                             .ResultDigest(loaded.sha256)
                             .Query(loaded.result.sql)
                             .Detail("custodians " + custodian_list + "; released as " + *format +
                                     " to " + (out->empty() || *out == "-" ? "stdout" : *out) +
                                     ", cells under " + std::to_string(release->min_cell) +
                                     " records suppressed")
                             .Record());
      ReportContext context;
      context.schema = &facts.schema;
      return WriteTable(table, *format, *out, context);
    });
  }
}

}  // namespace cipherstat::cli
