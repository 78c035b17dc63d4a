// Ciphertext decoding (standalone "CSCT" form, fixed bytes, base64 segment field) and the
// segment record-line splitter.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "store/dataset.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::Fixture& fixture = fuzz::GetFixture();
  const crypto::PublicKey& pk = fixture.sk.public_key();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto c = crypto::ParseCiphertext(pk, bytes);
  if (c.ok() && !crypto::ValidateCiphertext(pk, *c).ok()) __builtin_trap();
  auto fixed = crypto::CiphertextFromFixedBytes(pk, bytes);
  if (fixed.ok() && crypto::CiphertextToFixedBytes(pk, *fixed) != bytes) __builtin_trap();
  auto field = DecodeCiphertextField(pk, bytes);
  if (field.ok()) {
    if (!crypto::ValidateCiphertext(pk, *field).ok()) __builtin_trap();
    (void)crypto::Decrypt(fixture.sk, *field);
  }
  RecordLine line;
  (void)SplitRecordLine(bytes, 1, static_cast<size_t>(fixture.layout.num_ciphertexts()), &line);
  (void)SplitRecordLine(bytes, 0, 1, &line);
  return 0;
}
