// Montgomery multiplication at the GMP mpn level, for long chains of products modulo one odd
// modulus N (in Paillier: N = n², and the chain is a homomorphic sum).
//
// With R = 2^(64·k) for a k-limb N, Redc(a·b) = a·b·R^−1 mod N costs one k×k multiplication
// (mpn_mul_n) and k rows of mpn_addmul_1, where mpz_mul + mpz_mod pays a full division.
//
// ProductAccumulator avoids converting every factor into Montgomery form: multiplying raw
// values x_i through Redc gives P·R^−e with e = (factors − 1); Finish multiplies by R^e mod N
// once (one short exponentiation), so a sum of a million ciphertexts pays one conversion.
#pragma once

#include <gmp.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "crypto/bigint.h"

namespace cipherstat::crypto {

class MontgomeryModulus {
 public:
  // REQUIRES: modulus odd, > 1.
  explicit MontgomeryModulus(const BigInt& modulus);

  const BigInt& modulus() const { return modulus_; }
  size_t limbs() const { return limbs_; }

  // out = a·b·R^−1 mod N. a, b: limbs() limbs each, both < N. out may alias a or b.
  void MulRedc(mp_limb_t* out, const mp_limb_t* a, const mp_limb_t* b) const;

  // Copies x (0 <= x < N) into limbs() zero-padded limbs.
  void ToLimbs(const BigInt& x, mp_limb_t* out) const;
  BigInt FromLimbs(const mp_limb_t* x) const;
  // x·R mod N and x·R^−1 mod N: in and out of Montgomery form.
  BigInt ToMontgomery(const BigInt& x) const;
  BigInt FromMontgomery(const BigInt& x) const;
  // R^e mod N.
  BigInt RPower(uint64_t e) const;

 private:
  BigInt modulus_;
  size_t limbs_ = 0;
  std::vector<mp_limb_t> n_;  // N as limbs
  mp_limb_t n_inv_ = 0;       // −N^−1 mod 2^64
  BigInt r_mod_n_;            // R mod N
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

 private:
  std::shared_ptr<const MontgomeryModulus> modulus_;  // shared: partial sums outlive mappers
  std::vector<mp_limb_t> value_;                      // P·R^−reductions_ mod N
  uint64_t factors_ = 0;
  uint64_t reductions_ = 0;
};

}  // namespace cipherstat::crypto
