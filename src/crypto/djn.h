// Opt-in fast encryption: the Damgård–Jurik–Nielsen short-exponent variant of Paillier.
//
//   h   = −x² mod n for a random unit x (chosen per encryptor; no key change is needed),
//   h_s = h^n mod n²                        (an n-th residue, so a valid randomizer),
//   c   = (1 + m·n) · h_s^a mod n²,  a uniform of ExponentBits(n) bits.
//
// Decryption is unchanged (Decrypt in paillier.h): h_s^a is an n-th residue, exactly like
// r^n. What changes is the randomizer's distribution: h_s^a with a short a instead of r^n
// with r uniform. Semantic security then rests on DCR *and* the assumption that h_s^a with a
// short random a is indistinguishable from a uniform element of <h_s> (Damgård, Jurik,
// Nielsen, "A generalization of Paillier's public-key system with applications to
// electronic voting", 2010, §4.2). We take a of 4× the security level: 448 bits for 2048-bit
// n (112-bit security), 512 for 3072, 608 for 4096.
//
// h_s^a is a product of precomputed powers h_s^(d·64^j), d in 0..63 (6-bit fixed-base windows),
// held in Montgomery form: ceil(ExponentBits/6) products mod n² per encryption, no squarings.
// a is secret (it is the encryption's randomness), so each window's entry is chosen by
// reading every entry of its row under a mask (crypto/ifma.h's SelectPerLane; GMP's
// mpn_sec_tabselect without IFMA): no memory address depends on a, and a zero digit costs what
// any other does. On a CPU with AVX-512 IFMA, encryptions run eight at a time in lanes (about
// four times the old variable-time GMP path); without it the masked scans make the GMP path
// about half as fast as it was. The table is ~3 MB for 2048-bit n.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "crypto/ifma.h"
#include "crypto/montgomery.h"
#include "crypto/paillier.h"

namespace cipherstat::crypto {

class DjnEncryptor {
 public:
  // Draws x, computes h_s and builds the tables (~60 ms for 2048-bit n).
  static DjnEncryptor Create(const PublicKey& pk);
  // With a given h_s (tests, or reusing a published one). REQUIRES: h_s an n-th residue unit.
  // `allow_ifma` false keeps the GMP path (tests and benchmarks).
  static DjnEncryptor FromBase(const PublicKey& pk, const BigInt& h_s, bool allow_ifma = true);

  static int ExponentBits(int key_bits);

  // c = (1 + m·n)·h_s^a mod n² with a fresh random a. REQUIRES: 0 <= m < n. Thread-safe.
  Ciphertext Encrypt(const BigInt& m) const;
  // Encrypt of every m into `out` (the same size), eight at a time where the CPU has IFMA.
  void EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) const;
  // The same with caller-chosen exponents a >= 0 below 2^ExponentBits (known-answer tests).
  Ciphertext EncryptWithExponent(const BigInt& m, const BigInt& a) const;
  void EncryptWithExponents(std::span<const BigInt> ms, std::span<const BigInt> as,
                            std::span<Ciphertext> out) const;

  const BigInt& h_s() const { return h_s_; }
  int exponent_bits() const { return exponent_bits_; }
  bool uses_ifma() const { return ifma_ != nullptr; }

 private:
  DjnEncryptor() = default;
  // Writes the little-endian exponents of ms[first, first + count) into `a`, `bytes` each.
  using ExponentFill =
      std::function<void(size_t first, size_t count, size_t bytes, unsigned char* a)>;
  // Encrypts ms a chunk at a time (eight lanes with IFMA, else one), the exponents from `fill`
  // in a buffer wiped when done.
  void EncryptChunks(std::span<const BigInt> ms, std::span<Ciphertext> out,
                     const ExponentFill& fill) const;
  // Up to eight encryptions from the exponents' little-endian bytes (exponent_bits/8 each).
  void CombineLanes(std::span<const BigInt> ms, const unsigned char* const* a_bytes,
                    std::span<Ciphertext> out) const;
  Ciphertext CombineScalar(const BigInt& m, const unsigned char* a_bytes) const;

  PublicKey pk_;
  BigInt h_s_;
  int exponent_bits_ = 0;
  size_t windows_ = 0;
  // With IFMA: entry (j, d) = h_s^(d·64^j)·R mod n² as 52-bit limbs, limb i at
  // table52_[(j·L + i)·64 + d], L = ifma_->limbs() (limb-major rows, for SelectPerLane).
  // Without: the same in the mpn Montgomery form of mont_ at table_[((j·64) + d)·k ...].
  std::shared_ptr<const IfmaModulus> ifma_;
  std::vector<uint64_t> table52_;
  std::shared_ptr<const MontgomeryModulus> mont_;
  std::vector<mp_limb_t> table_;
};

}  // namespace cipherstat::crypto
