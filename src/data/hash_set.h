// A set of values remembered only by their 16-byte BLAKE2b digest: 16 bytes a value instead
// of a string and a heap node, so duplicate checks over ten million identifiers fit in a few
// hundred megabytes. Internal to the data module.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace cipherstat {

class DigestSet {
 public:
  DigestSet();
  // Adds `value`; returns false if it was already present. A false "already present" needs
  // two distinct values with equal 128-bit digests, which we do not expect to meet.
  bool Insert(std::string_view value);
  bool Contains(std::string_view value) const;
  size_t size() const { return size_; }
  // Frees the table (the set becomes empty).
  void Clear();

 private:
  struct Digest {
    uint64_t lo = 0, hi = 0;
  };
  static Digest Hash(std::string_view value);
  static bool IsZero(const Digest& d) { return d.lo == 0 && d.hi == 0; }
  // Index of d's slot, or of the empty slot where it would go.
  size_t Probe(const Digest& d) const;
  void Grow();

  // Open addressing with linear probing; the all-zero digest marks an empty slot, so a value
  // whose digest really is zero is tracked by a flag instead.
  std::vector<Digest> slots_;
  size_t size_ = 0;
  bool has_zero_ = false;
};

}  // namespace cipherstat
