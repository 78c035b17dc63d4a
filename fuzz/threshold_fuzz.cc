// The threshold key's public files: threshold.json and custodians' partial decryption files
// (crypto/threshold_files.h), which combine reads from whoever hands them over: sealed ones,
// opened with the fuzz combiner key, and their content.
#include <cstdint>
#include <string>

#include "crypto/threshold_files.h"
#include "fuzz_common.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fuzz::GetFixture();
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)crypto::ThresholdFolderFromJson(text, "threshold.json");
  (void)crypto::OpenPartialFile(text, fuzz::FuzzCombiner(), "sealed.json");
  auto partial = crypto::PartialFileFromJson(text, "partial.json");
  if (partial.ok()) {
    // What is written back reads back the same.
    auto again = crypto::PartialFileFromJson(crypto::PartialFileToJson(*partial), "again");
    if (!again.ok() || again->custodian != partial->custodian ||
        again->result_sha256 != partial->result_sha256 ||
        again->partials.size() != partial->partials.size()) {
      __builtin_trap();
    }
    for (size_t i = 0; i < partial->partials.size(); ++i) {
      if (again->partials[i].value != partial->partials[i].value) __builtin_trap();
    }
  }
  return 0;
}
