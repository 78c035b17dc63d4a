// Public key JSON, secret key JSON and the keystore reader (header, limits, hex fields).
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/keystore.h"
#include "crypto/paillier.h"
#include "fuzz_common.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fuzz::GetFixture();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pk = crypto::PublicKeyFromJson(text);
  if (pk.ok()) {
    auto again = crypto::PublicKeyFromJson(crypto::PublicKeyToJson(*pk));
    if (!again.ok() || again->Fingerprint() != pk->Fingerprint()) __builtin_trap();
  }
  (void)crypto::SecretKeyFromJson(text);
  // The keystore reader stops before key derivation unless the file is well formed, so a
  // fuzzed file never reaches Argon2 with hostile limits (the limits are checked first).
  const std::string path = fuzz::ScratchPath("keystore");
  fuzz::WriteScratch(path, data, size);
  (void)crypto::ReadKeystoreInfo(path);
  return 0;
}
