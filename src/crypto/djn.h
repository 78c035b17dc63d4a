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
// h_s^a is a product of precomputed powers h_s^(d·256^j) (8-bit fixed-base windows) held in
// Montgomery form: ExponentBits/8 products mod n² per encryption, no squarings. The table
// is ~7.3 MB for 2048-bit n. Its lookups are indexed by bytes of a: an attacker who shares
// the encrypting machine's cache could learn about a. Use it on a machine you control.
#pragma once

#include <memory>
#include <vector>

#include "crypto/montgomery.h"
#include "crypto/paillier.h"

namespace cipherstat::crypto {

class DjnEncryptor {
 public:
  // Draws x, computes h_s and builds the tables (~60 ms for 2048-bit n).
  static DjnEncryptor Create(const PublicKey& pk);
  // With a given h_s (tests, or reusing a published one). REQUIRES: h_s an n-th residue unit.
  static DjnEncryptor FromBase(const PublicKey& pk, const BigInt& h_s);

  static int ExponentBits(int key_bits);

  // c = (1 + m·n)·h_s^a mod n² with a fresh random a. REQUIRES: 0 <= m < n. Thread-safe.
  Ciphertext Encrypt(const BigInt& m) const;
  // The same with a caller-chosen exponent a >= 0 below 2^ExponentBits (known-answer tests).
  Ciphertext EncryptWithExponent(const BigInt& m, const BigInt& a) const;

  const BigInt& h_s() const { return h_s_; }
  int exponent_bits() const { return exponent_bits_; }

 private:
  DjnEncryptor() = default;
  // Product of the table entries chosen by the little-endian bytes of a, times (1 + m·n).
  Ciphertext Combine(const BigInt& m, const unsigned char* a_bytes) const;

  BigInt n_;
  BigInt h_s_;
  int exponent_bits_ = 0;
  int windows_ = 0;
  std::shared_ptr<const MontgomeryModulus> mont_;
  // Entry (j, d) for d in 1..255 at limbs [((j·255) + d − 1)·k, +k): h_s^(d·256^j)·R mod n².
  std::vector<mp_limb_t> table_;
  std::vector<mp_limb_t> one_;  // 1·R mod n²: the empty product in Montgomery form
};

}  // namespace cipherstat::crypto
