// The encrypted result reader, then decryption and decoding of whatever it accepts: a
// malformed or altered result must be rejected, never decoded into a table by crashing code.
#include <cstdint>
#include <string>

#include "crypto/signing.h"
#include "fuzz_common.h"
#include "pipeline/release.h"
#include "query/decode.h"
#include "store/result_file.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Fixture& f = fuzz::GetFixture();
  const std::string json(reinterpret_cast<const char*>(data), size);
  auto header = EncryptedResultFromJson(json, nullptr);
  if (!header.ok()) return 0;
  auto result = EncryptedResultFromJson(json, &f.sk.public_key());
  if (!result.ok()) return 0;
  ReleaseOptions options;
  options.min_cell = 1;
  // The seeds are unsigned results (the fixture has no owner signature), so decoding is
  // reached through the explicit --allow-unsigned path; a signature is checked when present.
  static const crypto::SigningKey owner = crypto::SigningKey::Generate();
  (void)pipeline::DecryptResult(f.sk, owner.verify_key(), *result, options,
                                /*allow_unsigned=*/true);
  return 0;
}
