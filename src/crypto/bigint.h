// BigInt: an owning, movable wrapper over GMP's mpz_t. Freed limbs are wiped by the
// allocator that crypto::Init() installs.
#pragma once

#include <gmp.h>

#include <string>
#include <string_view>
#include <vector>

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
  bool operator==(const BigInt& other) const { return mpz_cmp(value_, other.value_) == 0; }
  bool operator!=(const BigInt& other) const { return !(*this == other); }

 private:
  mpz_t value_;
};

// Uniform in [0, bound) from libsodium's CSPRNG (rejection sampling). REQUIRES: bound > 0.
BigInt RandomBelow(const BigInt& bound);

// Uniform in Z*_m: 1 <= x < m with gcd(x, m) = 1.
BigInt RandomUnit(const BigInt& m);

// The odd primes below `limit` (sieve of Eratosthenes), for trial division before the
// expensive primality tests of key generation.
std::vector<unsigned long> OddPrimesBelow(unsigned long limit);

}  // namespace cipherstat::crypto
