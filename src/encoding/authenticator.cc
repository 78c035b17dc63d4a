#include "encoding/authenticator.h"

#include <sodium.h>

#include <cstring>

#include "encoding/layout.h"

namespace cipherstat {

namespace {

constexpr uint64_t kLow64 = ~static_cast<uint64_t>(0);

// All ones when `bit` is 1, else zero.
TagValue MaskOf(TagValue bit) { return static_cast<TagValue>(0) - bit; }

}  // namespace

TagValue TagReduce(TagValue x) {
  // 2^127 ≡ 1: fold the top bit in (x ≤ 2^127 after), then subtract p once if x ≥ p. x − p
  // wraps to a value with bit 127 set exactly when x < p.
  x = (x & kTagPrime) + (x >> 127);
  const TagValue y = x - kTagPrime;
  const TagValue keep_y = MaskOf(1 - (y >> 127));
  return (y & keep_y) | (x & ~keep_y);
}

TagValue TagAdd(TagValue a, TagValue b) { return TagReduce(a + b); }  // a + b < 2^128

TagValue TagMul(TagValue a, TagValue b) {
  // a = a1·2^64 + a0 with a1 < 2^63, likewise b. With 2^128 ≡ 2 (mod p):
  //   a·b = a1b1·2^128 + (a0b1 + a1b0)·2^64 + a0b0
  //       ≡ 2·a1b1 + 2·mid_hi + mid_lo·2^64 + a0b0,   mid = a0b1 + a1b0 < 2^128.
  const TagValue a0 = a & kLow64, a1 = a >> 64, b0 = b & kLow64, b1 = b >> 64;
  const TagValue low = a0 * b0;
  const TagValue mid = a0 * b1 + a1 * b0;
  const TagValue high = a1 * b1;  // < 2^126
  const TagValue mid_hi = mid >> 64, mid_lo = mid & kLow64;
  return TagAdd(TagAdd(TagReduce(low), TagReduce(high << 1)),
                TagAdd(TagReduce(mid_hi << 1), TagReduce(mid_lo << 64)));
}

TagValue RandomTagValue() {
  unsigned char bytes[16];
  randombytes_buf(bytes, sizeof bytes);
  TagValue x = 0;
  std::memcpy(&x, bytes, sizeof x);
  sodium_memzero(bytes, sizeof bytes);
  return TagReduce(x);  // bias 2/2^128: negligible
}

std::string TagValueToHex(TagValue x) {
  static const char kDigits[] = "0123456789abcdef";
  std::string hex(32, '0');
  for (int i = 31; i >= 0; --i, x >>= 4) hex[static_cast<size_t>(i)] = kDigits[x & 15];
  return hex;
}

Result<TagValue> TagValueFromHex(const std::string& hex, const std::string& what) {
  if (hex.size() != 32) return Status::Corruption(what + ": not 32 hex digits");
  TagValue x = 0;
  for (char c : hex) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return Status::Corruption(what + ": not 32 hex digits");
    x = (x << 4) | static_cast<TagValue>(d);
  }
  if (x >= kTagPrime) return Status::Corruption(what + ": not below 2^127 - 1");
  return x;
}

// --- TagKey --------------------------------------------------------------------------------

TagKey TagKey::Generate() {
  TagKey key;
  randombytes_buf(key.bytes_.data(), key.bytes_.size());
  return key;
}

Result<TagKey> TagKey::FromHex(const std::string& hex) {
  TagKey key;
  size_t length = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.bytes_.data(), key.bytes_.size(), hex.data(), hex.size(), nullptr, &length,
                     nullptr) != 0 ||
      length != key.bytes_.size()) {
    return Status::Corruption("tag key: not 64 hex digits");
  }
  return key;
}

std::string TagKey::Hex() const {
  std::string hex(bytes_.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes_.data(), bytes_.size());
  hex.pop_back();
  return hex;
}

TagKey::~TagKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

TagValue TagKey::Derive(const char* label, uint32_t index) const {
  unsigned char input[40] = {};
  const size_t label_length = std::strlen(label);
  std::memcpy(input, label, label_length < 32 ? label_length : 32);
  for (int b = 0; b < 4; ++b) input[32 + b] = static_cast<unsigned char>(index >> (8 * b));
  unsigned char out[16];
  crypto_generichash(out, sizeof out, input, sizeof input, bytes_.data(), bytes_.size());
  TagValue x = 0;
  std::memcpy(&x, out, sizeof x);
  sodium_memzero(out, sizeof out);
  return TagReduce(x);
}

// --- Authenticator -------------------------------------------------------------------------

Authenticator::Authenticator(const TagKey& key, const Layout& layout) : layout_(layout) {
  const std::vector<Slot>& slots = layout.slots();
  alpha_.resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    alpha_[i] = slots[i].kind == SlotKind::kTag ? 0 : key.Derive("alpha", static_cast<uint32_t>(i));
  }
  for (int k = 0; k < layout.num_ciphertexts(); ++k) {
    beta_.push_back(key.Derive("beta", static_cast<uint32_t>(k)));
  }
}

Authenticator::~Authenticator() {
  sodium_memzero(alpha_.data(), alpha_.size() * sizeof(TagValue));
  sodium_memzero(beta_.data(), beta_.size() * sizeof(TagValue));
}

TagValue Authenticator::RandomPart(int ciphertext, TagValue r) const {
  return TagMul(beta_[static_cast<size_t>(ciphertext)], r);
}

bool Authenticator::Check(int ciphertext, const crypto::BigInt& plaintext, TagValue randoms) const {
  const std::vector<Slot>& slots = layout_.slots();
  crypto::BigInt rebuilt, shifted, prime, tag;
  mpz_set_ui(prime.get(), 1);
  mpz_mul_2exp(prime.get(), prime.get(), kTagPrimeBits);
  mpz_sub_ui(prime.get(), prime.get(), 1);
  TagValue expected = RandomPart(ciphertext, randoms);
  bool has_tag = false;
  for (size_t i = 0; i < slots.size(); ++i) {
    const Slot& s = slots[i];
    if (s.ciphertext != ciphertext) continue;
    const crypto::BigInt value = ExtractSlot(plaintext, s);
    mpz_mul_2exp(shifted.get(), value.get(), static_cast<mp_bitcnt_t>(s.offset));
    mpz_add(rebuilt.get(), rebuilt.get(), shifted.get());
    if (s.kind == SlotKind::kTag) {
      mpz_fdiv_r(tag.get(), value.get(), prime.get());
      has_tag = true;
      continue;
    }
    // Data slots are at most kMaxDataSlotBits wide (Layout::FromJson): a slot's value fits.
    TagValue m = 0;
    mpz_export(&m, nullptr, -1, sizeof m, 0, 0, value.get());
    expected = TagAdd(expected, TagMul(alpha_[i], TagReduce(m)));
  }
  // Bits outside every slot (a carry out of the top slot, or anything added there) are
  // refused too: the slots must account for the whole plaintext.
  if (!has_tag || mpz_cmp(rebuilt.get(), plaintext.get()) != 0) return false;
  TagValue found = 0;
  mpz_export(&found, nullptr, -1, sizeof found, 0, 0, tag.get());
  return found == expected;
}

}  // namespace cipherstat
