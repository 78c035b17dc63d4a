// Containers for secret bytes: memory that is wiped before it is given back.
// Private to crypto/.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <new>
#include <string>
#include <string_view>

namespace cipherstat::crypto {

// A std::allocator that wipes every block it frees, so that strings holding the
// hex of p and q, or vectors of lanes holding powers of secret values, leave nothing behind in
// the heap. Over-aligned types (crypto/ifma.h's 64-byte LaneBlock) get aligned blocks.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT: rebinding must be implicit
  T* allocate(size_t n) {
    if constexpr (alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    } else {
      return static_cast<T*>(::operator new(n * sizeof(T)));
    }
  }
  void deallocate(T* p, size_t n) noexcept {
    sodium_memzero(p, n * sizeof(T));
    if constexpr (alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      ::operator delete(p, std::align_val_t(alignof(T)));
    } else {
      ::operator delete(p);
    }
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

// A string whose heap block is wiped when freed. Short strings live inline in the object
// (small-string optimisation) and are not wiped: use it for secrets longer than ~15 bytes,
// like the hex of a prime, or wipe the object yourself.
using WipedString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

// Fixed-size bytes in sodium_malloc'd memory (guard pages, wiped on free). Non-copyable.
class SecureBuffer {
 public:
  explicit SecureBuffer(size_t size)
      : data_(static_cast<unsigned char*>(sodium_malloc(size == 0 ? 1 : size))), size_(size) {
    if (data_ == nullptr) throw std::bad_alloc();
  }
  ~SecureBuffer() { sodium_free(data_); }
  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;

  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  unsigned char* data_;
  size_t size_;
};

}  // namespace cipherstat::crypto
