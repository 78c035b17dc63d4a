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
  auto layout = Layout::FromJson(manifest->layout_json);
  if (layout.ok()) {
    auto again_layout = Layout::FromJson(layout->ToJson());
    if (!again_layout.ok()) __builtin_trap();
  }
  // The seal's key decrypts to something Open refuses or accepts, never crashes on.
  auto key = crypto::SealedKey(f.sk.public_key(), manifest->sealed_schema);
  if (key.ok()) {
    auto k = crypto::Decrypt(f.sk, *key);
    if (k.ok()) {
      (void)OpenOwnerSecrets(f.sk.public_key(), manifest->sealed_schema, *k, manifest->catalog,
                             manifest->layout_json, manifest->public_tuples.size());
    }
  }
  return 0;
}
