#include "store/signed_manifest.h"

#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "util/json.h"

namespace cipherstat {

namespace {
constexpr char kSignatureFormat[] = "cipherstat-manifest-signature";
constexpr char kContentFormat[] = "cipherstat-signed-manifest";
// 1 signed a SHA-256 per segment file; 2 signed the owner's schema in the clear; 3 had no
// dataset identity, release policy, public tuples or sum verifier; 4 signed one digest per
// segment column (manifest version 4) rather than per chunk.
constexpr int kVersion = 5;
constexpr char kWhat[] = "signed manifest";

// A manifest.sig file's JSON; an older version is refused with a request to re-encrypt.
Result<nlohmann::json> ParseSignatureFile(std::string_view signature_json) {
  auto parsed =
      ParseFormat(signature_json, kSignatureFormat, "cipherstat manifest signature", kVersion);
  if (!parsed.ok()) return RefuseOldFormat(parsed.status(), kWhat);
  return parsed;
}

// The signed content of a parsed manifest.sig, once its signature verifies under `key`.
// Throws nlohmann::json::exception on a missing or mistyped field.
Result<std::string> VerifiedContent(const nlohmann::json& j, const crypto::VerifyKey& key) {
  std::string content = j.at("content").get<std::string>();
  CS_RETURN_IF_ERROR(
      crypto::VerifyHexSignature(key, content, j.at("signature").get<std::string>(), kWhat));
  return content;
}

// The first top-level field of the signed content whose value `ours` does not share, for a
// message; both are SignedManifestContent texts.
std::string FirstDifferingField(const std::string& signed_content, const std::string& ours) {
  const auto theirs = nlohmann::ordered_json::parse(signed_content, nullptr, false);
  const auto mine = nlohmann::ordered_json::parse(ours, nullptr, false);
  if (theirs.is_object() && mine.is_object()) {
    for (const auto& [field, value] : theirs.items()) {
      if (!mine.contains(field) || mine.at(field) != value) return "field \"" + field + "\"";
    }
    for (const auto& [field, value] : mine.items()) {
      if (!theirs.contains(field)) return "field \"" + field + "\"";
    }
  }
  return "the signed bytes";
}

}  // namespace

std::string SignedManifestContent(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = kContentFormat;
  j["version"] = kVersion;
  j["name"] = m.name;
  j["dataset_id"] = m.dataset_id;
  j["created_utc"] = m.created_utc;
  j["key_fingerprint"] = m.key_fingerprint;
  j["record_count"] = m.record_count;
  if (m.rows_read) j["rows_read"] = *m.rows_read;
  j["min_cell"] = m.min_cell;
  j["catalog"] = nlohmann::ordered_json::parse(CatalogToJson(m.catalog));
  j["layout"] = nlohmann::ordered_json::parse(m.layout_json);
  j["sealed_schema"] = nlohmann::ordered_json::parse(crypto::SealedToJson(m.sealed_schema));
  j["public_tuples"] = PublicTuplesToJson(m.public_tuples);
  j["segments"] = nlohmann::ordered_json::parse(SegmentsToJson(m.segments).dump());
  return j.dump();
}

std::string SignManifest(const Manifest& manifest, const crypto::SigningKey& key) {
  const std::string content = SignedManifestContent(manifest);
  nlohmann::ordered_json j;
  j["format"] = kSignatureFormat;
  j["version"] = kVersion;
  j["verify_key"] = key.verify_key().Hex();
  j["content"] = content;
  j["signature"] = crypto::SignToHex(key, content);
  return j.dump(1) + "\n";
}

Result<DatasetFacts> VerifyManifestSignature(std::string_view signature_json,
                                             const crypto::VerifyKey& owner) {
  const std::string what = kWhat;
  CS_ASSIGN_OR_RETURN(const nlohmann::json j, ParseSignatureFile(signature_json));
  try {
    const std::string claimed = j.at("verify_key").get<std::string>();
    if (claimed != owner.Hex()) {
      return Status::InvalidArgument(what + ": signed by " + QuoteInput(claimed.substr(0, 16)) +
                                     "…, not by this key's data owner " +
                                     owner.Hex().substr(0, 16) +
                                     "… (a dataset of another owner, or a forged signature)");
    }
    CS_ASSIGN_OR_RETURN(const std::string content, VerifiedContent(j, owner));

    // Authentic from here on: parse the signed bytes themselves.
    auto facts = ParseManifestContent(content);
    if (!facts.ok()) return facts.status().WithContext(what);
    facts->signed_by_owner = true;
    return facts;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(what + ": " + JsonErrorText(e));
  }
}

Result<DatasetFacts> ParseManifestContent(std::string_view content) {
  auto parsed = ParseFormat(content, kContentFormat, "manifest", kVersion);
  if (!parsed.ok()) return RefuseOldFormat(parsed.status(), "manifest content");
  const nlohmann::json& c = *parsed;
  try {
    DatasetFacts facts;
    facts.name = c.at("name").get<std::string>();
    facts.dataset_id = c.at("dataset_id").get<std::string>();
    facts.created_utc = c.at("created_utc").get<std::string>();
    facts.content_sha256 = Sha256Hex(content);
    facts.key_fingerprint = c.at("key_fingerprint").get<std::string>();
    facts.record_count = c.at("record_count").get<uint64_t>();
    if (c.contains("rows_read")) facts.rows_read = c.at("rows_read").get<uint64_t>();
    facts.min_cell = c.at("min_cell").get<uint64_t>();
    CS_ASSIGN_OR_RETURN(facts.catalog, CatalogFromJson(c.at("catalog").dump()));
    facts.layout_json = c.at("layout").dump();
    CS_ASSIGN_OR_RETURN(facts.sealed_schema,
                        crypto::SealedFromJson(c.at("sealed_schema").dump(), "manifest content"));
    CS_ASSIGN_OR_RETURN(
        facts.public_tuples,
        PublicTuplesFromJson(c.at("public_tuples"), facts.catalog.PublicColumns().size(),
                             facts.record_count, "manifest content"));
    return facts;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("manifest content: " + JsonErrorText(e));
  }
}

Status CheckManifestAgainstSignature(const Manifest& manifest, std::string_view signature_json) {
  CS_ASSIGN_OR_RETURN(const nlohmann::json j, ParseSignatureFile(signature_json));
  try {
    CS_ASSIGN_OR_RETURN(const crypto::VerifyKey key,
                        crypto::VerifyKey::FromHex(j.at("verify_key").get<std::string>(),
                                                   "manifest.sig verify_key"));
    CS_ASSIGN_OR_RETURN(const std::string content, VerifiedContent(j, key));
    const std::string ours = SignedManifestContent(manifest);
    if (content == ours) return Status::OK();
    return Status::Corruption(
        "manifest.json differs from the owner's signed manifest.sig (" +
        FirstDifferingField(content, ours) +
        "): the manifest of another dataset, or one edited since it was signed");
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string(kWhat) + ": " + JsonErrorText(e));
  }
}

}  // namespace cipherstat
