// BigInt: an owning, movable wrapper over GMP's mpz_t. Freed limbs are wiped by the
// allocator that crypto::Init() installs.
#pragma once

#include <gmp.h>

#include <compare>
#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/secure_memory.h"
#include "util/status.h"

namespace cipherstat::crypto {

class BigInt {
 public:
  BigInt();
  explicit BigInt(unsigned long value);
  BigInt(const BigInt& other);
  BigInt(BigInt&& other) noexcept;
  BigInt& operator=(const BigInt& other);
  BigInt& operator=(BigInt&& other) noexcept;
  ~BigInt();

  mpz_ptr get() { return value_; }
  mpz_srcptr get() const { return value_; }

  // Lowercase hex without prefix; "-" for negatives. FromHex rejects empty or non-hex text.
  static Result<BigInt> FromHex(std::string_view hex);
  std::string ToHex() const;
  // Unsigned big-endian bytes padded to `width`. REQUIRES: 0 <= *this < 256^width.
  std::string ToBytes(size_t width) const;
  static BigInt FromBytes(std::string_view bytes);

  size_t bits() const;  // 0 for zero

  // The constructor above takes only non-negative values; this one any.
  static BigInt FromLong(long value);
  static BigInt Power(unsigned long base, unsigned long exponent);
  int sign() const { return mpz_sgn(value_); }  // -1, 0 or 1
  std::optional<long> ToLong() const;           // nullopt when it does not fit
  double ToDouble() const;                      // truncated towards zero, like a C cast
  std::string ToDecimal() const;

  BigInt& operator+=(const BigInt& other);
  BigInt& operator-=(const BigInt& other);
  BigInt& operator*=(const BigInt& other);
  friend BigInt operator+(BigInt a, const BigInt& b) { return a += b; }
  friend BigInt operator-(BigInt a, const BigInt& b) { return a -= b; }
  friend BigInt operator*(BigInt a, const BigInt& b) { return a *= b; }

  bool operator==(const BigInt& other) const { return mpz_cmp(value_, other.value_) == 0; }
  bool operator!=(const BigInt& other) const { return !(*this == other); }
  std::strong_ordering operator<=>(const BigInt& other) const {
    return mpz_cmp(value_, other.value_) <=> 0;
  }
  // Comparisons with machine integers (any signedness; long at most).
  template <std::integral T>
  bool operator==(T other) const {
    return (*this <=> other) == 0;
  }
  template <std::integral T>
  std::strong_ordering operator<=>(T other) const {
    static_assert(sizeof(T) <= sizeof(long));
    if constexpr (std::is_signed_v<T>) {
      return mpz_cmp_si(value_, static_cast<long>(other)) <=> 0;
    } else {
      return mpz_cmp_ui(value_, static_cast<unsigned long>(other)) <=> 0;
    }
  }

 private:
  std::string InBase(int base) const;

  mpz_t value_;
};

// numerator / denominator rounded to the nearest double (a tie keeps the value nearer zero),
// computed exactly. REQUIRES: denominator != 0.
double NearestDouble(const BigInt& numerator, const BigInt& denominator);

// Uniform in [0, bound) from libsodium's CSPRNG (rejection sampling). REQUIRES: bound > 0.
BigInt RandomBelow(const BigInt& bound);
// The same, with the random bytes taken from `fill`, which writes `size` uniformly random
// bytes to `out`: for callers that read libsodium's output in larger blocks.
BigInt RandomBelow(const BigInt& bound,
                   const std::function<void(unsigned char* out, size_t size)>& fill);

// Limbs that are wiped when freed.
using WipedLimbs = std::vector<mp_limb_t, WipingAllocator<mp_limb_t>>;

// x mod m as exactly mpz_size(m) little-endian limbs (zero-padded), computed with GMP's
// side-channel-silent mpn_sec_div_r: no branch or memory address depends on x or m, and the
// time on their sizes only, with x counted as `x_limbs` limbs (>= mpz_size(x)). For secret
// moduli (p², p − 1). REQUIRES: m > 0, x >= 0.
WipedLimbs SecretRemainder(const BigInt& x, size_t x_limbs, const BigInt& m);

// Uniform in Z*_m: 1 <= x < m with gcd(x, m) = 1.
BigInt RandomUnit(const BigInt& m);

// The odd primes below `limit` (sieve of Eratosthenes), for trial division before the
// expensive primality tests of key generation.
std::vector<unsigned long> OddPrimesBelow(unsigned long limit);

}  // namespace cipherstat::crypto
