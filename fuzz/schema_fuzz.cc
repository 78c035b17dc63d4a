// Schema JSON parser and validation; a valid schema must round-trip and lay out.
#include <cstdint>
#include <string>

#include "encoding/layout.h"
#include "encoding/schema.h"
#include "fuzz_common.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fuzz::GetFixture();
  const std::string json(reinterpret_cast<const char*>(data), size);
  auto schema = SchemaFromJson(json);
  if (!schema.ok()) return 0;
  const std::string text = SchemaToJson(*schema);
  auto again = SchemaFromJson(text);
  if (!again.ok() || SchemaToJson(*again) != text) __builtin_trap();
  auto layout = Layout::Build(*schema, 2046);
  if (layout.ok() && !layout->CheckMatches(layout->ToJson()).ok()) __builtin_trap();
  return 0;
}
