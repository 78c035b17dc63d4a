// Montgomery multiplication at the GMP mpn level, for long chains of products modulo one odd
// modulus N (in Paillier: N = n², and the chain is a homomorphic sum).
//
// With R = 2^(64·k) for a k-limb N, Redc(a·b) = a·b·R^−1 mod N costs one k×k multiplication
// (mpn_mul_n) and k rows of mpn_addmul_1, where mpz_mul + mpz_mod pays a full division.
//
// ProductAccumulator avoids converting every factor into Montgomery form: multiplying raw
// values x_i through Redc gives P·R^−e with e = (factors − 1); Finish multiplies by R^e mod N
// once (one short exponentiation), so a sum of a million ciphertexts pays one conversion.
// On a CPU with AVX-512 IFMA, an accumulator past its first kScalarFactors factors deals the
// rest round-robin into eight lanes multiplied eight at a time (crypto/ifma.h), about six
// times faster; the scalar start keeps accumulators that see few factors (small groups) small.
#pragma once

#include <gmp.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "crypto/bigint.h"
#include "crypto/ifma.h"

namespace cipherstat::crypto {

class MontgomeryModulus {
 public:
  // REQUIRES: modulus odd, > 1. `allow_ifma` false keeps accumulators on the mpn path (for
  // tests and benchmarks; CIPHERSTAT_NO_IFMA=1 does the same for a whole run).
  explicit MontgomeryModulus(const BigInt& modulus, bool allow_ifma = true);

  // The IFMA form of the modulus, or null when the CPU lacks IFMA or it is not allowed.
  const IfmaModulus* ifma() const { return ifma_.get(); }

  const BigInt& modulus() const { return modulus_; }
  size_t limbs() const { return limbs_; }

  // out = a·b·R^−1 mod N. a, b: limbs() limbs each, both < N. out may alias a or b.
  void MulRedc(mp_limb_t* out, const mp_limb_t* a, const mp_limb_t* b) const;
  // The same in time independent of a and b, for secret operands: GMP's mpn_sec_mul instead of
  // mpn_mul_n, whose Toom–Cook steps branch on the operands' values (bench/constant_time.cc
  // measured that), at about twice the cost.
  void MulRedcSecret(mp_limb_t* out, const mp_limb_t* a, const mp_limb_t* b) const;

  // Copies x (0 <= x < N) into limbs() zero-padded limbs.
  void ToLimbs(const BigInt& x, mp_limb_t* out) const;
  BigInt FromLimbs(const mp_limb_t* x) const;
  // x·R mod N and x·R^−1 mod N: in and out of Montgomery form.
  BigInt ToMontgomery(const BigInt& x) const;
  BigInt FromMontgomery(const BigInt& x) const;
  // R^e mod N.
  BigInt RPower(uint64_t e) const;

 private:
  // out = t·R^−1 mod N for the 2·limbs() limbs of t (< N·R), which it overwrites; branch-free.
  void Redc(mp_limb_t* out, mp_limb_t* t) const;

  BigInt modulus_;
  size_t limbs_ = 0;
  std::vector<mp_limb_t> n_;  // N as limbs
  mp_limb_t n_inv_ = 0;       // −N^−1 mod 2^64
  BigInt r_mod_n_;            // R mod N
  std::shared_ptr<const IfmaModulus> ifma_;
};

// A running product modulo N of values in [1, N): the homomorphic sum of ciphertexts.
// Default-constructed it is empty (the product of nothing, 1).
class ProductAccumulator {
 public:
  ProductAccumulator() = default;
  explicit ProductAccumulator(std::shared_ptr<const MontgomeryModulus> modulus)
      : modulus_(std::move(modulus)) {}

  // this *= x. REQUIRES: 0 < x < N.
  void Multiply(const BigInt& x);
  // The same for x given as limbs() little-endian limbs (no mpz in between).
  void MultiplyLimbs(const mp_limb_t* x);
  // this *= other (merges two partial products over the same modulus).
  void Merge(const ProductAccumulator& other);
  bool empty() const { return factors_ == 0; }
  uint64_t factors() const { return factors_; }
  // The product mod N (1 when empty).
  BigInt Finish() const;

  static constexpr uint64_t kScalarFactors = 64;

 private:
  void AddToLanes(const mp_limb_t* x);
  BigInt FinishLanes() const;

  std::shared_ptr<const MontgomeryModulus> modulus_;  // shared: partial sums outlive mappers
  std::vector<mp_limb_t> value_;                      // P·R^−reductions_ mod N
  uint64_t factors_ = 0;
  uint64_t reductions_ = 0;
  // The IFMA lanes, once in use: per lane a product in Montgomery form, and the factors
  // waiting for the next eight-way multiplication.
  std::vector<LaneBlock> lane_products_, lane_pending_;
  size_t pending_ = 0;
  uint64_t lane_factors_ = 0;
};

}  // namespace cipherstat::crypto
