// Ciphertext decoding (standalone "CSCT" form, fixed bytes, base64 result/partial field) and
// the splitter of a segment's .pub lines.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
  // A .pub line: the fixture has one public column (site); 0 and 2 cover the other branches.
  // An accepted line must split into exactly that many values that join back to the line.
  std::vector<std::string_view> values;
  for (size_t columns : {size_t{0}, size_t{1}, size_t{2}}) {
    if (!SplitPublicLine(bytes, columns, &values).ok()) continue;
    if (values.size() != columns) __builtin_trap();
    std::string joined;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) joined += '\t';
      joined.append(values[i]);
    }
    if (joined != bytes) __builtin_trap();
  }
  return 0;
}
