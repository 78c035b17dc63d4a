// Paillier over GMP, with g = n + 1 (so g^m = 1 + m·n mod n²).
//
// Plaintexts are residues mod n; EncodeSigned/DecodeSigned map signed integers to and from
// the representatives in (−n/2, n/2]. Every ciphertext that crosses a trust boundary is
// checked with ValidateCiphertext before use: outside Z*_{n²} it is rejected, never decrypted.
//
// Constant time: every exponentiation whose exponent is secret (p, q, p−1, q−1 and their
// derivatives) runs in time independent of it.
//   On a CPU with AVX-512 IFMA (the batch functions, eight at a time), these are branch- and
//   index-free lane arithmetic (crypto/ifma.h):
//   - CRT encryption, from the random bases through s^p mod p², s^q mod q², Garner's
//     recombination and the product with 1 + m·n;
//   - public-key encryption's r^n with secret bases r (PublicEncryptor);
//   - decryption's c^(p−1) mod p², c^(q−1) mod q², after reducing c mod p² and q² with
//     mpn_sec_div_r.
//   Only the final reduction of the public ciphertext is mpz_mod. The random bases s are drawn
//   without rejection against p (SecretRemainder).
//   The one-at-a-time functions, and the batches without IFMA, use mpz_powm_sec for secret
//   exponents and for the secret bases r of Encrypt and Rerandomize (r^n), and the key set-up
//   computes inverses by Fermat/Euler instead of mpz_invert, so an attacker who times
//   decryptions or encryptions must not learn p, q or r.
//   Not constant-time:
//   - GMP's ordinary mpz_mul/mpz_mod/mpz_divexact on secret operands: on the one-at-a-time path
//     the CRT recombination and reductions mod p, p²; on both paths the L function and the
//     recombination of a decrypted m. Their time depends on operand sizes in limbs, not on
//     exponent bits.
//   - Key generation's primality tests (mpz_probab_prime_p) and the gcd checks on p, q, run
//     once per key on the owner's machine.
//   - The plaintext's size in limbs (mpz).
//   EncryptCrt draws s uniformly from [1, p) without a gcd: every such s is a unit mod the
//   prime p, and a gcd with p would be variable-time in p on every encryption.
//   bench/constant_time.cc tests the lane code for timing differences (dudect's method).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bigint.h"
#include "util/status.h"

namespace cipherstat::crypto {

inline constexpr int kDefaultKeyBits = 2048;
// Key sizes we generate; readers accept >= 2048 (and the 1024-bit test vectors via
// SecretKeyFromPrimes with allow_small = true).
bool IsSupportedKeyBits(int bits);  // 2048, 3072, 4096

struct Ciphertext {
  BigInt value;  // in Z*_{n²}
};

class PublicKey {
 public:
  PublicKey() = default;
  // REQUIRES: n odd, > 1. Use PublicKeyFromJson for untrusted input.
  explicit PublicKey(BigInt n);

  const BigInt& n() const { return n_; }
  const BigInt& n_squared() const { return n_squared_; }
  const BigInt& half_n() const { return half_n_; }  // floor(n / 2)
  int bits() const;                                 // bit length of n
  size_t ciphertext_bytes() const;                  // bytes to hold any value mod n²
  size_t plaintext_bits() const;                    // usable packed bits: bits() − 2
  // Hex SHA-256 of the canonical public-key encoding: a stable name for this key.
  std::string Fingerprint() const;

 private:
  BigInt n_, n_squared_, half_n_;
};

// The secret key's constants laid out for eight-lane AVX-512 IFMA arithmetic (paillier.cc).
struct CrtLanes;
class IfmaModulus;
struct LaneBlock;

// Holds p, q and the CRT constants. Movable, not copyable; wiped on destruction.
class SecretKey {
 public:
  SecretKey() = default;
  SecretKey(SecretKey&&) noexcept = default;
  SecretKey& operator=(SecretKey&&) noexcept = default;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  const PublicKey& public_key() const { return public_key_; }
  const BigInt& p() const { return p_; }
  const BigInt& q() const { return q_; }

 private:
  friend Result<SecretKey> SecretKeyFromPrimes(const BigInt& p, const BigInt& q, bool allow_small);
  friend Ciphertext EncryptCrt(const SecretKey&, const BigInt&);
  friend void DrawCrtBases(const SecretKey&, BigInt*, BigInt*);
  friend Ciphertext FinishCrtEncryption(const SecretKey&, const BigInt&, BigInt, BigInt);
  friend Ciphertext EncryptCrtWithR(const SecretKey&, const BigInt&, const BigInt&);
  friend Result<BigInt> Decrypt(const SecretKey&, const Ciphertext&);
  friend void EncryptCrtLanes(const SecretKey&, std::span<const BigInt>, std::span<const BigInt>,
                              std::span<const BigInt>, std::span<Ciphertext>);
  friend void EncryptCrtBatch(const SecretKey&, std::span<const BigInt>, std::span<Ciphertext>);
  friend Result<std::vector<BigInt>> DecryptBatch(const SecretKey&, std::span<const Ciphertext>);
  friend BigInt DecryptFromPowers(const SecretKey&, const BigInt&, const BigInt&);
  PublicKey public_key_;
  BigInt p_, q_;
  BigInt p_squared_, q_squared_;
  BigInt p_minus_1_, q_minus_1_;
  BigInt h_p_, h_q_;                       // (L_p(g^(p−1) mod p²))^−1 mod p, likewise for q
  BigInt q_inv_mod_p_;                     // q^−1 mod p, for CRT recombination mod n
  BigInt q2_inv_mod_p2_;                   // (q²)^−1 mod p², for CRT recombination mod n²
  std::shared_ptr<const CrtLanes> lanes_;  // null without AVX-512 IFMA
};

// Generates a key with n of `bits` bits: p, q random primes of bits/2 bits each from
// libsodium's CSPRNG (top two bits set so n has exactly `bits` bits), Miller–Rabin with
// enough rounds for error < 2^-128, p != q, gcd(n, φ(n)) = 1.
Result<SecretKey> GenerateKey(int bits = kDefaultKeyBits);

// Builds a key from given primes (checks primality, equal length, gcd(n, φ(n)) = 1).
// allow_small permits n < 2048 bits, for test vectors only.
Result<SecretKey> SecretKeyFromPrimes(const BigInt& p, const BigInt& q, bool allow_small = false);

// c = (1 + m·n)·r^n mod n², r uniform in Z*_n. REQUIRES: 0 <= m < n.
Ciphertext Encrypt(const PublicKey& pk, const BigInt& m);
// The same with a caller-chosen r (known-answer tests). REQUIRES: r in Z*_n.
Ciphertext EncryptWithR(const PublicKey& pk, const BigInt& m, const BigInt& r);

// Owner-side encryption, same distribution as Encrypt, faster: the random factor is built
// by CRT from s_p^p mod p² and s_q^q mod q² with s_p, s_q uniform in Z*_p, Z*_q (r^n mod p²
// depends only on r mod p, and s ↦ s^q permutes Z*_p because gcd(q, p−1) = 1).
Ciphertext EncryptCrt(const SecretKey& sk, const BigInt& m);
// EncryptCrt in steps, for an encryptor that raises the bases elsewhere (the GPU's,
// crypto/gpu_encrypt.h): EncryptCrt(sk, m) is FinishCrtEncryption(sk, m, s_p^p mod p²,
// s_q^q mod q²) with s_p, s_q from DrawCrtBases.
void DrawCrtBases(const SecretKey& sk, BigInt* s_p, BigInt* s_q);
Ciphertext FinishCrtEncryption(const SecretKey& sk, const BigInt& m, BigInt x_p, BigInt x_q);
// CRT encryption with a caller-chosen r: gives exactly EncryptWithR(pk, m, r).
Ciphertext EncryptCrtWithR(const SecretKey& sk, const BigInt& m, const BigInt& r);
// EncryptCrt of every m into `out` (the same size). On a CPU with AVX-512 IFMA eight at a time
// in lanes (crypto/ifma.h), about seven times faster, and constant-time in p, q and the
// randomness from the exponentiations to the recombination; else one by one.
void EncryptCrtBatch(const SecretKey& sk, std::span<const BigInt> ms, std::span<Ciphertext> out);
// The lane path with given s_p in [1, p) and s_q in [1, q) (tests): out = CRT(s_p^p mod p²,
// s_q^q mod q²)·(1 + m·n) mod n². REQUIRES: sk has lanes (IFMA), all spans of one size <= 8.
void EncryptCrtLanes(const SecretKey& sk, std::span<const BigInt> ms, std::span<const BigInt> s_p,
                     std::span<const BigInt> s_q, std::span<Ciphertext> out);

// Standard encryption with the public key alone (`encrypt --public-only`: a site encrypting
// under a registry's key), in batches: on a CPU with AVX-512 IFMA eight at a time in lanes, r^n
// mod n² by PowSecret with the public exponent n, constant-time in r; else Encrypt one by one.
// r is uniform in [1, n) without Encrypt's gcd check, which is variable-time in the secret r:
// an r sharing a factor with n (it would factor n) turns up with probability below 2^−1000.
class PublicEncryptor {
 public:
  explicit PublicEncryptor(const PublicKey& pk);
  void EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) const;
  // With given r in [1, n): out[i] = EncryptWithR(pk, ms[i], rs[i]) (known-answer tests).
  void EncryptWithRs(std::span<const BigInt> ms, std::span<const BigInt> rs,
                     std::span<Ciphertext> out) const;

 private:
  PublicKey pk_;
  std::shared_ptr<const IfmaModulus> n2_;  // null without IFMA
};

// The last step of every lane encryption: per lane, c = x·(1 + m·n) mod n² from the randomizer
// in Montgomery form, x·R mod n² (n2.limbs() limbs below 2n², overwritten), for ms.size() <= 8
// lanes; out[i] gets lane i. For crypto/djn.cc and this file.
void FinishLaneEncryptions(const IfmaModulus& n2, const PublicKey& pk, LaneBlock* x,
                           std::span<const BigInt> ms, std::span<Ciphertext> out);

// CRT decryption. Fails (InvalidArgument) for a ciphertext outside Z*_{n²}.
Result<BigInt> Decrypt(const SecretKey& sk, const Ciphertext& c);
// Decrypt of each, the exponentiations eight at a time in IFMA lanes where the CPU has them.
// Fails on the first ciphertext outside Z*_{n²}, naming its position.
Result<std::vector<BigInt>> DecryptBatch(const SecretKey& sk, std::span<const Ciphertext> cs);

// OK iff 0 < c < n² and gcd(c, n) = 1.
Status ValidateCiphertext(const PublicKey& pk, const Ciphertext& c);

// Homomorphic operations (public key only).
Ciphertext Add(const PublicKey& pk, const Ciphertext& a, const Ciphertext& b);    // m_a + m_b
void AddInPlace(const PublicKey& pk, Ciphertext* acc, const Ciphertext& b);       // acc += b
Ciphertext AddPlain(const PublicKey& pk, const Ciphertext& a, const BigInt& m);   // m_a + m
Ciphertext MulScalar(const PublicKey& pk, const Ciphertext& a, const BigInt& k);  // k·m_a; k mod n
Ciphertext Rerandomize(const PublicKey& pk, const Ciphertext& a);                 // fresh r
// The encryption of zero with r = 1: the identity for sums.
Ciphertext EncryptedZero();

// Signed plaintexts: v in (−n/2, n/2] ↔ residue mod n. EncodeSigned fails outside the range.
Result<BigInt> EncodeSigned(const PublicKey& pk, const BigInt& v);
BigInt DecodeSigned(const PublicKey& pk, const BigInt& m);

// --- Serialization -----------------------------------------------------------------------
// Keys as versioned JSON: {"format":"cipherstat-paillier-public","version":1,"n":"<hex>"}.
// Readers reject unknown formats/versions, bad hex, n < 2048 bits (unless allow_small),
// even n, and (secret) p·q != n or non-prime factors.
std::string PublicKeyToJson(const PublicKey& pk);
Result<PublicKey> PublicKeyFromJson(std::string_view json, bool allow_small = false);
// The secret key as JSON holds p and q in hex. Callers keep this string in wiped memory
// (it is the plaintext that the keystore seals); never write it to disk unencrypted.
std::string SecretKeyToJson(const SecretKey& sk);
Result<SecretKey> SecretKeyFromJson(std::string_view json, bool allow_small = false);

// A ciphertext as exactly pk.ciphertext_bytes() big-endian bytes (bulk storage inside
// versioned containers). FromFixedBytes rejects wrong lengths and values outside Z*_{n²}.
std::string CiphertextToFixedBytes(const PublicKey& pk, const Ciphertext& c);
Result<Ciphertext> CiphertextFromFixedBytes(const PublicKey& pk, std::string_view bytes);

// A standalone ciphertext: magic "CSCT", version byte 1, 4-byte big-endian length, bytes.
std::string SerializeCiphertext(const PublicKey& pk, const Ciphertext& c);
Result<Ciphertext> ParseCiphertext(const PublicKey& pk, std::string_view data);

}  // namespace cipherstat::crypto
