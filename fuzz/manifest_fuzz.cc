// Dataset manifest parser and the layout check OpenDataset runs against it.
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "store/dataset.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Fixture& f = fuzz::GetFixture();
  const std::string json(reinterpret_cast<const char*>(data), size);
  auto manifest = ManifestFromJson(json);
  if (!manifest.ok()) return 0;
  auto again = ManifestFromJson(ManifestToJson(*manifest));
  if (!again.ok()) __builtin_trap();
  auto layout =
      Layout::Build(manifest->schema, static_cast<int>(f.sk.public_key().plaintext_bits()));
  if (layout.ok()) (void)layout->CheckMatches(manifest->layout_json);
  return 0;
}
