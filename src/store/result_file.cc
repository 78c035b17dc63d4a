#include "store/result_file.h"

#include <nlohmann/json.hpp>

#include "store/dataset.h"
#include "store/json_checksum.h"
#include "util/json.h"

namespace cipherstat {

namespace {
constexpr const char* kFormat = "cipherstat-result";
// 1 copied the owner's schema in the clear; 2 came from datasets without sum tags.
constexpr int kVersion = 3;
}  // namespace

std::string EncryptedResultToJson(const crypto::PublicKey& pk, const EncryptedResult& r) {
  nlohmann::json groups = nlohmann::json::array();
  for (const EncryptedGroup& g : r.groups) {
    nlohmann::json sums = nlohmann::json::array();
    for (const crypto::Ciphertext& c : g.sums) sums.push_back(EncodeCiphertextField(pk, c));
    groups.push_back({{"key", g.key}, {"records", g.records}, {"sums", std::move(sums)}});
  }
  nlohmann::json j = {
      {"format", kFormat},
      {"version", kVersion},
      {"sql", r.sql},
      {"dataset",
       {{"name", r.dataset_name},
        {"record_count", r.dataset_records},
        {"key_fingerprint", r.key_fingerprint},
        {"manifest_sha256", r.manifest_sha256}}},
      {"catalog", nlohmann::json::parse(CatalogToJson(r.catalog))},
      {"layout", nlohmann::json::parse(r.layout_json)},
      {"sealed_schema", nlohmann::json::parse(crypto::SealedToJson(r.sealed_schema))},
      {"engine", r.engine},
      {"counters", {{"records_read", r.records_read}, {"records_matched", r.records_matched}}},
      {"ciphertexts", r.ciphertexts},
      {"groups", std::move(groups)}};
  if (!r.manifest_signature.empty()) {
    nlohmann::json sig = nlohmann::json::parse(r.manifest_signature, nullptr, false);
    // Not JSON means not a signature: carry it as a string so the verifier names the problem.
    j["owner_manifest"] = sig.is_discarded() ? nlohmann::json(r.manifest_signature) : sig;
  }
  if (!r.manifest_content.empty()) j["manifest_content"] = r.manifest_content;
  return DumpWithChecksum(std::move(j));
}

Result<EncryptedResult> EncryptedResultFromJson(const std::string& json,
                                                const crypto::PublicKey* pk) {
  auto parsed = ParseFormat(json, kFormat, "cipherstat result file", kVersion);
  if (!parsed.ok()) return RefuseOldFormat(parsed.status(), "result");
  const nlohmann::json& j = *parsed;
  try {
    EncryptedResult r;
    r.sql = j.at("sql").get<std::string>();
    const auto& d = j.at("dataset");
    r.dataset_name = d.at("name").get<std::string>();
    r.dataset_records = d.at("record_count").get<uint64_t>();
    r.key_fingerprint = d.at("key_fingerprint").get<std::string>();
    r.manifest_sha256 = d.at("manifest_sha256").get<std::string>();
    CS_ASSIGN_OR_RETURN(r.catalog, CatalogFromJson(j.at("catalog").dump()));
    r.layout_json = j.at("layout").dump();
    CS_ASSIGN_OR_RETURN(r.sealed_schema,
                        crypto::SealedFromJson(j.at("sealed_schema").dump(), "result"));
    r.engine = j.at("engine").get<std::string>();
    r.records_read = j.at("counters").at("records_read").get<uint64_t>();
    r.records_matched = j.at("counters").at("records_matched").get<uint64_t>();
    r.ciphertexts = j.at("ciphertexts").get<std::vector<int>>();
    CS_RETURN_IF_ERROR(VerifyChecksum(j, "result"));
    if (auto sig = j.find("owner_manifest"); sig != j.end()) r.manifest_signature = sig->dump();
    if (auto content = j.find("manifest_content"); content != j.end())
      r.manifest_content = content->get<std::string>();
    if (pk == nullptr) return r;
    size_t index = 0;
    for (const auto& g : j.at("groups")) {
      EncryptedGroup group;
      group.key = g.at("key").get<std::vector<std::string>>();
      group.records = g.at("records").get<uint64_t>();
      const auto& sums = g.at("sums");
      if (sums.size() != r.ciphertexts.size()) {
        return Status::Corruption("result: group " + std::to_string(index) + " has " +
                                  std::to_string(sums.size()) + " sums, expected " +
                                  std::to_string(r.ciphertexts.size()));
      }
      for (const auto& s : sums) {
        auto c = DecodeCiphertextField(*pk, s.get<std::string>());
        if (!c.ok()) return c.status().WithContext("result: group " + std::to_string(index));
        group.sums.push_back(std::move(c).value());
      }
      r.groups.push_back(std::move(group));
      ++index;
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("result: " + JsonErrorText(e));
  }
}

}  // namespace cipherstat
