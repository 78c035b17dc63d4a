#include "crypto/init.h"

#include <gmp.h>
#include <malloc.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace cipherstat::crypto {
namespace {

// GMP has no way to report allocation failure to its caller; its own default aborts too.
[[noreturn]] void OutOfMemory() {
  std::fputs("cipherstat: out of memory in GMP\n", stderr);
  std::abort();
}

// Wipes the whole block malloc handed out, not just the size GMP believes it has: callers of
// mp_get_memory_functions (and GMP itself for some string results) may pass a smaller or zero
// size, and any byte left behind could be a limb of p or q.
void WipeAndFree(void* ptr) {
  if (ptr == nullptr) return;
  sodium_memzero(ptr, malloc_usable_size(ptr));
  std::free(ptr);
}

void* GmpAlloc(size_t size) {
  void* ptr = std::malloc(size == 0 ? 1 : size);
  if (ptr == nullptr) OutOfMemory();
  return ptr;
}

// Never realloc in place: realloc may move the block and leave the old limbs in freed memory.
void* GmpRealloc(void* old_ptr, size_t old_size, size_t new_size) {
  void* new_ptr = GmpAlloc(new_size);
  if (old_ptr != nullptr) {
    std::memcpy(new_ptr, old_ptr, old_size < new_size ? old_size : new_size);
    WipeAndFree(old_ptr);
  }
  return new_ptr;
}

void GmpFree(void* ptr, size_t /*size*/) { WipeAndFree(ptr); }

}  // namespace

Status Init() {
  static std::once_flag once;
  static Status status;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      status = Status::IOError("libsodium initialisation failed (no usable entropy source?)");
      return;
    }
    mp_set_memory_functions(&GmpAlloc, &GmpRealloc, &GmpFree);
  });
  return status;
}

}  // namespace cipherstat::crypto
