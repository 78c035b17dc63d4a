#include "data/hash_set.h"

#include <sodium.h>

#include <cstring>

namespace cipherstat {

namespace {

constexpr size_t kInitialSlots = 1024;  // a power of two

}  // namespace

DigestSet::DigestSet() : slots_(kInitialSlots) {}

void DigestSet::Clear() {
  std::vector<Digest>().swap(slots_);
  slots_.resize(kInitialSlots);
  size_ = 0;
  has_zero_ = false;
}

DigestSet::Digest DigestSet::Hash(std::string_view value) {
  unsigned char out[16];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(value.data()),
                     value.size(), nullptr, 0);
  Digest d;
  std::memcpy(&d.lo, out, 8);
  std::memcpy(&d.hi, out + 8, 8);
  return d;
}

size_t DigestSet::Probe(const Digest& d) const {
  const size_t mask = slots_.size() - 1;
  // The digest is uniformly distributed, so its low bits are a fine slot index.
  size_t i = static_cast<size_t>(d.lo) & mask;
  while (!IsZero(slots_[i]) && (slots_[i].lo != d.lo || slots_[i].hi != d.hi)) i = (i + 1) & mask;
  return i;
}

bool DigestSet::Contains(std::string_view value) const {
  const Digest d = Hash(value);
  if (IsZero(d)) return has_zero_;
  return !IsZero(slots_[Probe(d)]);
}

bool DigestSet::Insert(std::string_view value) {
  const Digest d = Hash(value);
  if (IsZero(d)) {
    if (has_zero_) return false;
    has_zero_ = true;
    ++size_;
    return true;
  }
  // Keep the load at or below 3/4 so probe runs stay short (and an empty slot always exists).
  if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
  Digest& slot = slots_[Probe(d)];
  if (!IsZero(slot)) return false;
  slot = d;
  ++size_;
  return true;
}

void DigestSet::Grow() {
  std::vector<Digest> old(slots_.size() * 2);
  old.swap(slots_);
  for (const Digest& d : old) {
    if (!IsZero(d)) slots_[Probe(d)] = d;
  }
}

}  // namespace cipherstat
