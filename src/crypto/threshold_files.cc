#include "crypto/threshold_files.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "crypto/hex.h"
#include "util/file.h"
#include "util/json.h"

namespace cipherstat::crypto {

namespace {

constexpr char kPartialFormat[] = "cipherstat-partial-decryption";
constexpr int kPartialVersion = 2;
constexpr int kUnsealedPartialVersion = 1;
constexpr char kContentFormat[] = "cipherstat-partial-decryption-content";
constexpr int kContentVersion = 1;

Result<BigInt> HexField(const nlohmann::json& j, const char* field, const std::string& what) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
    return Status::Corruption(what + ": missing field '" + field + "'");
  }
  auto v = BigInt::FromHex(j[field].get<std::string>());
  if (!v.ok()) return Status::Corruption(what + ": field '" + field + "' is not hexadecimal");
  return v;
}

// The sealed file's fields, checked for form; an unsealed version 1 file is named as such.
Result<nlohmann::json> ParseSealedPartial(const std::string& text, const std::string& source) {
  auto parsed = ParseFormat(text, kPartialFormat, "cipherstat partial decryption", kPartialVersion);
  if (parsed.ok()) return parsed;
  if (parsed.status().code() == Status::Code::kNotSupported &&
      ParseFormat(text, kPartialFormat, "", kUnsealedPartialVersion).ok()) {
    return Status::InvalidArgument(
        source +
        ": an unsealed partial decryption (version 1), usable by anyone who holds it, which "
        "combine no longer accepts; the custodian must run decrypt-share again to seal it to "
        "the combiner");
  }
  return parsed.status().WithContext(source);
}

}  // namespace

std::string ShareFileName(int index) { return "share-" + std::to_string(index) + ".key"; }

std::string ThresholdFolderToJson(const ThresholdPublic& pub, const VerifyKey& owner,
                                  const CombinerPublicKey& combiner) {
  nlohmann::ordered_json thr = nlohmann::ordered_json::parse(ThresholdPublicToJson(pub));
  thr["key_fingerprint"] = pub.pk.Fingerprint();
  thr["owner_verify_key"] = owner.Hex();
  thr["combiner_key"] = combiner.Hex();
  return thr.dump(1) + "\n";
}

Result<ThresholdFolder> ThresholdFolderFromJson(const std::string& text,
                                                const std::string& source) {
  auto pub = ThresholdPublicFromJson(text);
  if (!pub.ok()) return pub.status().WithContext(source);
  CS_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonObject(text));  // parsed above: it is valid
  if (!j.contains("owner_verify_key") || !j["owner_verify_key"].is_string()) {
    return Status::Corruption(source + ": missing field 'owner_verify_key'");
  }
  CS_ASSIGN_OR_RETURN(VerifyKey owner,
                      VerifyKey::FromHex(j["owner_verify_key"].get<std::string>(), source));
  return ThresholdFolder{std::move(pub).value(), std::move(owner)};
}

Result<ThresholdFolder> ReadThresholdFolder(const std::string& dir) {
  const std::string path = dir + "/" + kThresholdFile;
  CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4u << 20));
  return ThresholdFolderFromJson(text, path);
}

Status WriteThresholdKeyDir(const std::string& dir, const ThresholdKey& key,
                            const SigningKey& signing, const CombinerKey& combiner,
                            const Passphrase& owner_passphrase,
                            const std::vector<const Passphrase*>& share_passphrases,
                            KdfLimits limits) {
  if (PathExists(dir)) {
    return Status::AlreadyExists(dir + ": already exists; refusing to overwrite a key");
  }
  if (share_passphrases.size() != key.shares.size()) {
    return Status::InvalidArgument("one passphrase per custodian is needed");
  }
  CS_ASSIGN_OR_RETURN(std::string temp, MakeTempDirBeside(dir));
  ::chmod(temp.c_str(), 0700);
  auto write_all = [&]() -> Status {
    const PublicKey& pk = key.pub.pk;
    nlohmann::ordered_json pub = nlohmann::ordered_json::parse(PublicKeyToJson(pk));
    pub["owner_verify_key"] = signing.verify_key().Hex();
    CS_RETURN_IF_ERROR(WriteFileAtomic(temp + "/public.key", pub.dump() + "\n", kSharedFile));
    CS_RETURN_IF_ERROR(WriteFileAtomic(
        temp + "/" + kThresholdFile,
        ThresholdFolderToJson(key.pub, signing.verify_key(), combiner.public_key()), kSharedFile));
    CS_RETURN_IF_ERROR(WriteSigningKeystore(temp + "/signing.key", signing, pk.Fingerprint(),
                                            owner_passphrase, limits));
    CS_RETURN_IF_ERROR(WriteCombinerKeystore(temp + "/" + kCombinerFile, combiner, pk.Fingerprint(),
                                             signing.verify_key(), owner_passphrase, limits));
    for (const KeyShare& share : key.shares) {
      CS_RETURN_IF_ERROR(WriteShareKeystore(
          temp + "/" + ShareFileName(share.index), share, signing.verify_key(),
          combiner.public_key(), *share_passphrases[static_cast<size_t>(share.index - 1)], limits));
    }
    return CommitDirectory(temp, dir);
  };
  Status s = write_all();
  if (!s.ok()) RemoveTree(temp);
  return s;
}

std::string PartialFileToJson(const PartialFile& file) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const PartialDecryption& p : file.partials) {
    nlohmann::ordered_json e;
    e["c"] = p.value.ToHex();
    e["e"] = p.challenge.ToHex();
    e["z"] = p.response.ToHex();
    list.push_back(std::move(e));
  }
  nlohmann::ordered_json j;
  j["format"] = kContentFormat;
  j["version"] = kContentVersion;
  j["result_sha256"] = file.result_sha256;
  j["key_fingerprint"] = file.key_fingerprint;
  j["custodian"] = file.custodian;
  j["partials"] = std::move(list);
  return j.dump(1) + "\n";
}

Result<PartialFile> PartialFileFromJson(const std::string& text, const std::string& source) {
  auto parsed =
      ParseFormat(text, kContentFormat, "cipherstat partial decryption's content", kContentVersion);
  if (!parsed.ok()) return parsed.status().WithContext(source);
  const nlohmann::json& j = *parsed;
  try {
    PartialFile out;
    out.result_sha256 = j.at("result_sha256").get<std::string>();
    out.key_fingerprint = j.at("key_fingerprint").get<std::string>();
    CS_ASSIGN_OR_RETURN(out.custodian, IntAt(j, "custodian", source));
    const auto& list = j.at("partials");
    if (!list.is_array()) return Status::Corruption(source + ": 'partials' is not a list");
    for (size_t k = 0; k < list.size(); ++k) {
      const std::string what = source + ": sum " + std::to_string(k);
      PartialDecryption p;
      p.index = out.custodian;
      CS_ASSIGN_OR_RETURN(p.value, HexField(list[k], "c", what));
      CS_ASSIGN_OR_RETURN(p.challenge, HexField(list[k], "e", what));
      CS_ASSIGN_OR_RETURN(p.response, HexField(list[k], "z", what));
      out.partials.push_back(std::move(p));
    }
    return out;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(source + ": " + JsonErrorText(e));
  }
}

std::string SealPartialFile(const PartialFile& file, const CombinerPublicKey& combiner) {
  nlohmann::ordered_json j;
  j["format"] = kPartialFormat;
  j["version"] = kPartialVersion;
  j["sealed_to"] = combiner.Hex();
  j["box"] = HexEncode(SealToCombiner(combiner, PartialFileToJson(file)));
  return j.dump(1) + "\n";
}

Result<PartialFile> OpenPartialFile(const std::string& text, const CombinerKey& combiner,
                                    const std::string& source) {
  CS_ASSIGN_OR_RETURN(nlohmann::json j, ParseSealedPartial(text, source));
  if (!j.contains("sealed_to") || !j["sealed_to"].is_string()) {
    return Status::Corruption(source + ": missing field 'sealed_to'");
  }
  CS_ASSIGN_OR_RETURN(CombinerPublicKey sealed_to,
                      CombinerPublicKey::FromHex(j["sealed_to"].get<std::string>(),
                                                 source + ": field 'sealed_to'"));
  if (!(sealed_to == combiner.public_key())) {
    return Status::InvalidArgument(source + ": not sealed to this combiner (sealed to " +
                                   sealed_to.Hex().substr(0, 16) + "…, this combiner is " +
                                   combiner.public_key().Hex().substr(0, 16) + "…)");
  }
  std::optional<std::string> box;
  if (j.contains("box") && j["box"].is_string()) box = HexDecode(j["box"].get<std::string>());
  if (!box) return Status::Corruption(source + ": field 'box' is missing or not hexadecimal");
  auto content = combiner.Open(*box);
  if (!content.ok()) return content.status().WithContext(source);
  return PartialFileFromJson(*content, source);
}

}  // namespace cipherstat::crypto
