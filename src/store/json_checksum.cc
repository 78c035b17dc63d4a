#include "store/json_checksum.h"

#include "crypto/hash.h"

namespace cipherstat {

namespace {

constexpr const char* kMember = "checksum";
constexpr const char* kPrefix = "sha256:";

std::string CanonicalChecksum(nlohmann::json document) {
  document.erase(kMember);
  return kPrefix + Sha256Hex(document.dump());
}

}  // namespace

std::string DumpWithChecksum(nlohmann::json document) {
  document[kMember] = CanonicalChecksum(document);
  return document.dump(1) + "\n";
}

Status VerifyChecksum(const nlohmann::json& document, const std::string& what) {
  if (!document.is_object()) return Status::Corruption(what + ": not a JSON object");
  auto it = document.find(kMember);
  if (it == document.end()) return Status::OK();
  if (!it->is_string() || it->get<std::string>() != CanonicalChecksum(document)) {
    return Status::Corruption(what +
                              ": checksum mismatch: the file was damaged or altered after it "
                              "was written");
  }
  return Status::OK();
}

}  // namespace cipherstat
