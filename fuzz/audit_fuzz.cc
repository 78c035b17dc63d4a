// The audit log verifier: any byte string as a log must get a verdict (the first bad line, or
// a chain that holds), never a crash, a hang or unbounded memory.
#include <cstdint>
#include <string>

#include "audit/log.h"
#include "fuzz_common.h"

using namespace cipherstat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fuzz::GetFixture();  // libsodium and the wiping allocator
  const std::string& path = fuzz::ScratchPath("audit.jsonl");
  fuzz::WriteScratch(path, data, size);
  (void)audit::VerifyLog(path, audit::VerifyOptions{});
  return 0;
}
