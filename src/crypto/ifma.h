// Eight Montgomery products at once with AVX-512 IFMA (vpmadd52luq/vpmadd52huq), for the long
// chains of products a homomorphic sum is.
//
// Numbers are held in radix 2^52, L = ceil((bits(N) + 2) / 52) limbs, and in "lanes": limb i
// of eight independent numbers sits in one 512-bit vector (LaneBlock[i].v[0..7]). One call to
// Multiply computes, per lane, the almost-Montgomery product
//     out = a·b·R^−1 mod N, 0 <= out < 2N, with R = 2^(52·L),
// for inputs a, b < 2N (R > 4N keeps the result below 2N without a final subtraction, so a
// product feeds the next one directly; S. Gueron and V. Krasnov, "Accelerating Big Integer
// Arithmetic Using Intel IFMA Extensions", ARITH 2016).
//
// The owner's side uses the same lanes for secrets: CRT encryption raises eight random bases
// to p mod p² (and q mod q²), decryption raises eight ciphertexts to p − 1, and DJN encryption
// combines fixed-base table entries chosen by eight secret exponents. Multiply, ToMontgomery,
// FromMontgomery, PowSecret and the lane helpers below are constant-time in the lane values and
// in exponents: no branch and no memory address depends on them (table entries are chosen by
// scanning every entry under a mask), only on sizes, which are public. Not so GetLane (mpz_mod:
// for public results only), RPower, and SetLane/ToLimbs52, whose time follows the size `k` the
// caller passes (pass a fixed one for secrets). A modulus built with Secrecy::kSecret (p², q²)
// is set up with side-channel-silent GMP calls and wiped when destroyed.
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
#include "crypto/secure_memory.h"

namespace cipherstat::crypto {

struct alignas(64) LaneBlock {
  uint64_t v[8];
};

// Lane buffers that hold secrets: wiped when freed.
using SecretLanes = std::vector<LaneBlock, WipingAllocator<LaneBlock>>;

class IfmaModulus {
 public:
  static constexpr size_t kLanes = 8;
  static constexpr size_t kMaxLimbs = 160;  // N up to 8318 bits: n up to 4096-bit keys

  // The CPU supports AVX-512F and IFMA, and CIPHERSTAT_NO_IFMA is not set.
  static bool Available();

  enum class Secrecy { kPublic, kSecret };
  // REQUIRES: modulus odd, bits(modulus) + 2 <= 52 · kMaxLimbs. A secret modulus has no
  // RPower with a negative exponent (its inverse would need a variable-time mpz_invert).
  explicit IfmaModulus(const BigInt& modulus, Secrecy secrecy = Secrecy::kPublic);
  ~IfmaModulus();
  IfmaModulus(const IfmaModulus&) = delete;
  IfmaModulus& operator=(const IfmaModulus&) = delete;

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
  // N in every lane, limbs() limbs.
  const LaneBlock* modulus_lanes() const { return n_.data(); }

  // Constant-time, per lane. In: below 2N. ToMontgomery: a·R mod N, below 2N. FromMontgomery:
  // a·R^−1 mod N, fully reduced (below N) whenever a is a unit mod N (the result is N·[a ≡ 0]
  // at most).
  void ToMontgomery(LaneBlock* out, const LaneBlock* a) const;
  void FromMontgomery(LaneBlock* out, const LaneBlock* a) const;
  // out = base^e per lane, Montgomery form in and out (below 2N), the same exponent e
  // (`e_bits` bits from `e`, little-endian limbs) in every lane: fixed 5-bit windows over all
  // e_bits bits, each window's table entry selected by a masked scan. Time depends on e_bits
  // and limbs() only. REQUIRES: Available(); e_bits > 0.
  void PowSecret(LaneBlock* out, const LaneBlock* base, const mp_limb_t* e, size_t e_bits) const;

 private:
  BigInt modulus_;
  size_t limbs_ = 0;
  Secrecy secrecy_;
  std::vector<LaneBlock> n_;  // N, the same in every lane
  uint64_t k0_ = 0;           // −N^−1 mod 2^52
  BigInt r_mod_n_, r_inverse_;
  SecretLanes r_squared_, one_;  // R² mod N and 1, in every lane
};

// Lane arithmetic without a modulus, constant-time, on normalized 52-bit limbs.
// out[0, la + lb) = a·b per lane. REQUIRES: Available(); la, lb <= IfmaModulus::kMaxLimbs; out
// not aliasing a or b.
void MultiplyLanes(LaneBlock* out, const LaneBlock* a, size_t la, const LaneBlock* b, size_t lb);
// out = a + b − c per lane over `limbs` limbs. REQUIRES: the result in [0, 2^(52·limbs)).
void AddSubtractLanes(LaneBlock* out, const LaneBlock* a, const LaneBlock* b, const LaneBlock* c,
                      size_t limbs);
// Per lane j: out = entry index[j] of `entries`, which holds `count` numbers of `limbs` 52-bit
// limbs each, limb-major: limb i of entry d at entries[i·count + d]. Reads every entry whatever
// the indices. REQUIRES: Available(); index[j] < count; count a multiple of 16, at most
// kMaxSelectEntries.
inline constexpr size_t kMaxSelectEntries = 256;
void SelectPerLane(LaneBlock* out, const uint64_t* entries, size_t count, size_t limbs,
                   const uint64_t index[IfmaModulus::kLanes]);
// x (k little-endian 64-bit limbs, below 2^(52·limbs)) into `lane` of `out` as `limbs` 52-bit
// limbs, at most 2·IfmaModulus::kMaxLimbs (IfmaModulus::SetLane is this with its limbs()).
void SetLaneLimbs(LaneBlock* out, size_t lane, const mp_limb_t* x, size_t k, size_t limbs);
// x (k little-endian 64-bit limbs, below 2^(52·limbs)) as `limbs` 52-bit limbs, and back
// (`lane` of `in` into k limbs, which must hold it). Constant-time for fixed sizes.
void ToLimbs52(const mp_limb_t* x, size_t k, uint64_t* out, size_t limbs);
void ExportLane(const LaneBlock* in, size_t limbs, size_t lane, mp_limb_t* out, size_t k);

}  // namespace cipherstat::crypto
