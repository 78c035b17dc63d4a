// Eight Montgomery products at once with AVX-512 IFMA (vpmadd52luq/vpmadd52huq), for the long
// chains of products a homomorphic sum is.
//
// Numbers are held in radix 2^52, L = ceil((bits(N) + 2) / 52) limbs, and in "lanes": limb i
// of eight independent numbers sits in one 512-bit vector (LaneBlock[i].v[0..7]). One call to
// Multiply computes, per lane, the almost-Montgomery product
//     out = a·b·R^−1 mod N, 0 <= out < 2N, with R = 2^(52·L),
// for inputs a, b < 2N (R > 4N keeps the result below 2N without a final subtraction, so a
// product feeds the next one directly; S. Gueron and V. Krasnov, "Accelerating Big Integer
// Arithmetic Using Intel IFMA Extensions", ARITH 2016). Everything here is public data (the
// compute party's ciphertexts), so nothing needs to be constant-time.
//
// With GMP's mpn routines one 4096-bit Montgomery product costs ~4.7 µs on this machine
// class; eight lanes of IFMA do one in ~0.8 µs. Available() says whether the CPU has IFMA
// and CIPHERSTAT_NO_IFMA is unset; callers fall back to crypto/montgomery.h otherwise.
#pragma once

#include <gmp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crypto/bigint.h"

namespace cipherstat::crypto {

struct alignas(64) LaneBlock {
  uint64_t v[8];
};

class IfmaModulus {
 public:
  static constexpr size_t kLanes = 8;
  static constexpr size_t kMaxLimbs = 160;  // N up to 8318 bits: n up to 4096-bit keys

  // The CPU supports AVX-512F and IFMA, and CIPHERSTAT_NO_IFMA is not set.
  static bool Available();

  // REQUIRES: modulus odd, bits(modulus) + 2 <= 52 · kMaxLimbs.
  explicit IfmaModulus(const BigInt& modulus);

  size_t limbs() const { return limbs_; }
  const BigInt& modulus() const { return modulus_; }

  // Per lane: out = a·b·R^−1 mod N, below 2N. Each argument is limbs() blocks; out may alias
  // a or b. REQUIRES: Available(); every lane of a and b below 2N, in 52-bit limbs.
  void Multiply(LaneBlock* out, const LaneBlock* a, const LaneBlock* b) const;

  // Writes x (0 <= x < 2^(52·limbs())) into `lane` of `out`, from k little-endian 64-bit limbs.
  void SetLane(LaneBlock* out, size_t lane, const mp_limb_t* x, size_t k) const;
  // Reads `lane` of `in` as an integer, reduced mod N.
  BigInt GetLane(const LaneBlock* in, size_t lane) const;
  // R mod N in lanes [first_lane, 8): the Montgomery form of 1, which Multiply leaves a
  // product alone by.
  void SetOne(LaneBlock* out, size_t first_lane = 0) const;
  // R^e mod N for e >= 0, and R^−e mod N.
  BigInt RPower(int64_t e) const;

 private:
  BigInt modulus_;
  size_t limbs_ = 0;
  std::vector<LaneBlock> n_;  // N, the same in every lane
  uint64_t k0_ = 0;           // −N^−1 mod 2^52
  BigInt r_mod_n_, r_inverse_;
};

}  // namespace cipherstat::crypto
