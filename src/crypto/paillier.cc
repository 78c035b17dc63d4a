#include "crypto/paillier.h"

#include <sodium.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "crypto/flat_json.h"
#include "crypto/hex.h"
#include "crypto/ifma.h"
#include "crypto/secure_memory.h"
#include "util/json.h"

namespace cipherstat::crypto {
namespace {

// GMP >= 6.2 runs a Baillie–PSW test and then (reps − 24) Miller–Rabin rounds: 88 gives 64
// rounds, an error bound of 4^-64 = 2^-128 even before counting BPSW.
constexpr int kPrimalityReps = 88;
// Candidate screening during key generation: BPSW alone. Survivors are re-tested with
// kPrimalityReps by SecretKeyFromPrimes, so the expensive rounds run once per prime.
constexpr int kScreeningReps = 24;
constexpr size_t kMinKeyBits = 2048;
// Readers refuse larger moduli: primality tests and exponentiations on input-sized numbers
// would let a hostile file burn unbounded CPU.
constexpr size_t kMaxKeyBits = 16384;
constexpr int kFormatVersion = 1;
constexpr char kPublicFormat[] = "cipherstat-paillier-public";
constexpr char kSecretFormat[] = "cipherstat-paillier-secret";
// Hashed with its terminating NUL so that label and modulus bytes cannot run into each other.
constexpr char kFingerprintLabel[] = "cipherstat-paillier-public-v1";
constexpr char kCiphertextMagic[] = "CSCT";
constexpr uint8_t kCiphertextVersion = 1;
constexpr size_t kCiphertextHeaderBytes = 4 + 1 + 4;

// Odd primes below 2^11 for trial division: rejects ~85% of random candidates before any
// modular exponentiation.
const std::vector<unsigned long>& SmallOddPrimes() {
  static const std::vector<unsigned long> primes = OddPrimesBelow(2048);
  return primes;
}

bool HasSmallFactor(const BigInt& x) {
  for (unsigned long sp : SmallOddPrimes()) {
    if (mpz_divisible_ui_p(x.get(), sp) != 0 && mpz_cmp_ui(x.get(), sp) != 0) return true;
  }
  return false;
}

// A fresh uniformly random odd candidate for every draw (no incremental search: that favours
// primes after long gaps), top two bits set so the product of two has exactly 2·bits bits.
BigInt RandomPrimeCandidate(size_t bits) {
  std::vector<unsigned char> buf((bits + 7) / 8);
  BigInt x;
  for (;;) {
    randombytes_buf(buf.data(), buf.size());
    mpz_import(x.get(), buf.size(), 1, 1, 1, 0, buf.data());
    mpz_tdiv_r_2exp(x.get(), x.get(), bits);
    mpz_setbit(x.get(), bits - 1);
    mpz_setbit(x.get(), bits - 2);
    mpz_setbit(x.get(), 0);
    if (HasSmallFactor(x)) continue;
    if (mpz_probab_prime_p(x.get(), kScreeningReps) > 0) break;
  }
  sodium_memzero(buf.data(), buf.size());
  return x;
}

bool IsProbablePrime(const BigInt& x) { return mpz_probab_prime_p(x.get(), kPrimalityReps) > 0; }

// out = base^exp mod m in time independent of exp. REQUIRES: exp > 0, m odd (both hold for
// every secret exponent here: p, q, p−1, q−1, p−2, n mod p(p−1)).
void PowmSec(BigInt* out, const BigInt& base, const BigInt& exp, const BigInt& m) {
  mpz_powm_sec(out->get(), base.get(), exp.get(), m.get());
}

// L_p(x) = (x − 1) / p, exact for x ≡ 1 (mod p).
BigInt LFunction(const BigInt& x, const BigInt& prime) {
  BigInt out;
  mpz_sub_ui(out.get(), x.get(), 1);
  mpz_divexact(out.get(), out.get(), prime.get());
  return out;
}

BigInt Mod(const BigInt& x, const BigInt& m) {
  BigInt out;
  mpz_mod(out.get(), x.get(), m.get());
  return out;
}

// (1 + m·n) mod prime² = 1 + prime·(m·cofactor mod prime), since m·n = prime·(m·cofactor):
// two small products instead of one at full size.
void MulPlaintextFactor(BigInt* x, const BigInt& m, const BigInt& prime, const BigInt& cofactor,
                        const BigInt& prime_squared) {
  BigInt t;
  mpz_mod(t.get(), m.get(), prime.get());
  mpz_mul(t.get(), t.get(), cofactor.get());
  mpz_mod(t.get(), t.get(), prime.get());
  mpz_mul(t.get(), t.get(), prime.get());
  mpz_add_ui(t.get(), t.get(), 1);
  mpz_mul(x->get(), x->get(), t.get());
  mpz_mod(x->get(), x->get(), prime_squared.get());
}

// The x mod n² with x ≡ x_p (mod p²), x ≡ x_q (mod q²) (Garner's formula).
BigInt CrtCombine(const BigInt& x_p, const BigInt& x_q, const BigInt& p_squared,
                  const BigInt& q_squared, const BigInt& q2_inv_mod_p2) {
  BigInt out;
  mpz_sub(out.get(), x_p.get(), x_q.get());
  mpz_mul(out.get(), out.get(), q2_inv_mod_p2.get());
  mpz_mod(out.get(), out.get(), p_squared.get());
  mpz_mul(out.get(), out.get(), q_squared.get());
  mpz_add(out.get(), out.get(), x_q.get());
  return out;
}

BigInt ReduceModN(const PublicKey& pk, const BigInt& m) {
  if (mpz_sgn(m.get()) >= 0 && mpz_cmp(m.get(), pk.n().get()) < 0) return m;
  return Mod(m, pk.n());
}

// r^n mod n² for a fresh r uniform in Z*_n. The exponent n is public but the base r is the
// encryption's secret randomness: mpz_powm_sec, whose time and memory accesses do not depend
// on the operands' values (mpz_powm's reductions branch on them), about 1.2x the time.
BigInt RandomNthPower(const PublicKey& pk) {
  BigInt r = RandomUnit(pk.n());
  BigInt out;
  mpz_powm_sec(out.get(), r.get(), pk.n().get(), pk.n_squared().get());
  return out;
}

Status CheckModulus(const BigInt& n, bool allow_small, const std::string& what) {
  if (mpz_cmp_ui(n.get(), 1) <= 0) return Status::InvalidArgument(what + ": n must be > 1");
  if (mpz_even_p(n.get())) return Status::InvalidArgument(what + ": n is even");
  if (!allow_small && n.bits() < kMinKeyBits) {
    return Status::InvalidArgument(what + ": n has " + std::to_string(n.bits()) +
                                   " bits; at least " + std::to_string(kMinKeyBits) +
                                   " are required");
  }
  if (n.bits() > kMaxKeyBits) {
    return Status::InvalidArgument(what + ": n has " + std::to_string(n.bits()) +
                                   " bits; at most " + std::to_string(kMaxKeyBits) +
                                   " are supported");
  }
  return Status::OK();
}

// Hex of a secret value in a wiped string.
WipedString SecretHex(const BigInt& x) {
  WipedString out(mpz_sizeinbase(x.get(), 16) + 2, '\0');
  mpz_get_str(out.data(), 16, x.get());
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

// --- public-key JSON (nlohmann; nothing secret passes through it) ---

Status CheckJsonHeader(const nlohmann::json& j, const char* format, const std::string& what) {
  if (!j.is_object()) return Status::InvalidArgument(what + ": expected a JSON object");
  auto f = j.find("format");
  if (f == j.end()) return Status::InvalidArgument(what + ": missing field 'format'");
  if (!f->is_string() || f->get_ref<const std::string&>() != format) {
    return Status::InvalidArgument(what + ": field 'format' must be \"" + format + "\"");
  }
  auto v = j.find("version");
  if (v == j.end()) return Status::InvalidArgument(what + ": missing field 'version'");
  if (!v->is_number_unsigned()) {
    return Status::InvalidArgument(what + ": field 'version' is not an unsigned integer");
  }
  if (v->get<uint64_t>() != static_cast<uint64_t>(kFormatVersion)) {
    return Status::InvalidArgument(what + ": unsupported version " +
                                   std::to_string(v->get<uint64_t>()) + " (this build reads " +
                                   std::to_string(kFormatVersion) + ")");
  }
  return Status::OK();
}

Result<BigInt> JsonHexField(const nlohmann::json& j, const char* field, const std::string& what) {
  auto it = j.find(field);
  if (it == j.end()) {
    return Status::InvalidArgument(what + ": missing field '" + field + "'");
  }
  if (!it->is_string()) {
    return Status::InvalidArgument(what + ": field '" + field + "' is not a string");
  }
  Result<BigInt> value = BigInt::FromHex(it->get_ref<const std::string&>());
  if (!value.ok() || mpz_sgn(value->get()) < 0) {
    return Status::InvalidArgument(what + ": field '" + field + "' is not hexadecimal");
  }
  return value;
}

// --- secret-key JSON (FlatJsonObject; see flat_json.h for why) ---

Result<BigInt> FlatHexField(const FlatJsonObject& obj, const char* field, const std::string& what) {
  const FlatJsonField* f = obj.Find(field);
  if (f == nullptr) return Status::InvalidArgument(what + ": missing field '" + field + "'");
  if (!f->is_string) {
    return Status::InvalidArgument(what + ": field '" + field + "' is not a string");
  }
  // A leading '-' would parse but is never a valid key component.
  Result<BigInt> value = BigInt::FromHex(f->value);
  if (!value.ok() || mpz_sgn(value->get()) < 0) {
    return Status::InvalidArgument(what + ": field '" + field + "' is not hexadecimal");
  }
  return value;
}

}  // namespace

bool IsSupportedKeyBits(int bits) { return bits == 2048 || bits == 3072 || bits == 4096; }

// --- keys ----------------------------------------------------------------------------------

PublicKey::PublicKey(BigInt n) : n_(std::move(n)) {
  mpz_mul(n_squared_.get(), n_.get(), n_.get());
  mpz_fdiv_q_2exp(half_n_.get(), n_.get(), 1);
}

int PublicKey::bits() const { return static_cast<int>(n_.bits()); }

// n² < 2^(2·bits), so the width depends only on the key size, never on the particular n.
size_t PublicKey::ciphertext_bytes() const { return (2 * n_.bits() + 7) / 8; }

size_t PublicKey::plaintext_bits() const { return n_.bits() >= 2 ? n_.bits() - 2 : 0; }

std::string PublicKey::Fingerprint() const {
  std::string encoding(kFingerprintLabel, sizeof(kFingerprintLabel));
  encoding += n_.ToBytes((n_.bits() + 7) / 8);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(encoding.data()),
                     encoding.size());
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// The key's constants in IFMA lanes, for EncryptCrtLanes and DecryptBatch. p² and q² are
// secret moduli (set up and wiped as such, crypto/ifma.h); n² is public.
struct CrtLanes {
  CrtLanes(const BigInt& p, const BigInt& q, const BigInt& p_squared, const BigInt& q_squared,
           const BigInt& n_squared, const BigInt& q2_inv_mod_p2)
      : p2(p_squared, IfmaModulus::Secrecy::kSecret),
        q2(q_squared, IfmaModulus::Secrecy::kSecret),
        n2(n_squared),
        wide(std::max(p2.limbs() + q2.limbs(), n2.limbs())),
        p_bits(p.bits()),
        q_bits(q.bits()),
        p_exponent(Limbs(p)),
        q_exponent(Limbs(q)),
        p_minus_1(Limbs(p - BigInt(1))),
        q_minus_1(Limbs(q - BigInt(1))),
        two_p2(wide),
        p2_one(wide),
        q2_inverse(p2.limbs()) {
    BigInt two_p_squared = p_squared;
    mpz_mul_2exp(two_p_squared.get(), two_p_squared.get(), 1);
    for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) {
      SetWide(two_p2.data(), lane, two_p_squared);
      SetWide(q2_inverse.data(), lane, q2_inv_mod_p2, p2.limbs());
    }
    p2.SetOne(p2_one.data());
    p2.ToMontgomery(q2_inverse.data(), q2_inverse.data());
  }

  static WipedLimbs Limbs(const BigInt& x) {
    const mp_limb_t* limbs = mpz_limbs_read(x.get());
    return WipedLimbs(limbs, limbs + mpz_size(x.get()));
  }
  // x into `lane`, as `limbs` limbs (default: wide).
  void SetWide(LaneBlock* out, size_t lane, const BigInt& x, size_t limbs = 0) const {
    SetLaneLimbs(out, lane, mpz_limbs_read(x.get()), mpz_size(x.get()), limbs == 0 ? wide : limbs);
  }

  IfmaModulus p2, q2, n2;
  size_t wide;  // limbs of the widest intermediate: q²·h and numbers mod n²
  size_t p_bits, q_bits;
  WipedLimbs p_exponent, q_exponent, p_minus_1, q_minus_1;
  SecretLanes two_p2, p2_one;  // 2p²; R mod p² (1 in p²'s Montgomery form)
  SecretLanes q2_inverse;      // (q²)^−1 mod p² in p²'s Montgomery form
};

Result<SecretKey> SecretKeyFromPrimes(const BigInt& p, const BigInt& q, bool allow_small) {
  const std::string what = "secret key";
  if (mpz_cmp_ui(p.get(), 2) <= 0 || mpz_even_p(p.get())) {
    return Status::InvalidArgument(what + ": p is not an odd prime");
  }
  if (mpz_cmp_ui(q.get(), 2) <= 0 || mpz_even_p(q.get())) {
    return Status::InvalidArgument(what + ": q is not an odd prime");
  }
  if (p.bits() != q.bits()) {
    return Status::InvalidArgument(what + ": p and q differ in length (" +
                                   std::to_string(p.bits()) + " and " + std::to_string(q.bits()) +
                                   " bits)");
  }
  if (p == q) return Status::InvalidArgument(what + ": p equals q");
  BigInt n;
  mpz_mul(n.get(), p.get(), q.get());
  CS_RETURN_IF_ERROR(CheckModulus(n, allow_small, what));
  if (!IsProbablePrime(p)) return Status::InvalidArgument(what + ": p is not prime");
  if (!IsProbablePrime(q)) return Status::InvalidArgument(what + ": q is not prime");

  SecretKey sk;
  mpz_sub_ui(sk.p_minus_1_.get(), p.get(), 1);
  mpz_sub_ui(sk.q_minus_1_.get(), q.get(), 1);
  {
    BigInt phi, g;
    mpz_mul(phi.get(), sk.p_minus_1_.get(), sk.q_minus_1_.get());
    mpz_gcd(g.get(), n.get(), phi.get());
    if (mpz_cmp_ui(g.get(), 1) != 0) {
      return Status::InvalidArgument(what + ": gcd(n, (p-1)(q-1)) != 1");
    }
  }
  sk.p_ = p;
  sk.q_ = q;
  mpz_mul(sk.p_squared_.get(), p.get(), p.get());
  mpz_mul(sk.q_squared_.get(), q.get(), q.get());

  // Inverses modulo a prime (power) by Fermat/Euler with mpz_powm_sec rather than mpz_invert,
  // whose running time depends on the secret operands.
  BigInt exp, t;
  BigInt g_plus = n;  // g = n + 1
  mpz_add_ui(g_plus.get(), g_plus.get(), 1);
  // h_p = L_p(g^(p−1) mod p²)^−1 mod p
  PowmSec(&t, Mod(g_plus, sk.p_squared_), sk.p_minus_1_, sk.p_squared_);
  mpz_sub_ui(exp.get(), p.get(), 2);
  PowmSec(&sk.h_p_, Mod(LFunction(t, p), p), exp, p);
  // q^−1 mod p shares the exponent p − 2.
  PowmSec(&sk.q_inv_mod_p_, Mod(q, p), exp, p);
  // h_q = L_q(g^(q−1) mod q²)^−1 mod q
  PowmSec(&t, Mod(g_plus, sk.q_squared_), sk.q_minus_1_, sk.q_squared_);
  mpz_sub_ui(exp.get(), q.get(), 2);
  PowmSec(&sk.h_q_, Mod(LFunction(t, q), q), exp, q);
  // (q²)^−1 mod p², exponent φ(p²) − 1 = p(p − 1) − 1
  mpz_mul(exp.get(), p.get(), sk.p_minus_1_.get());
  mpz_sub_ui(exp.get(), exp.get(), 1);
  PowmSec(&sk.q2_inv_mod_p2_, Mod(sk.q_squared_, sk.p_squared_), exp, sk.p_squared_);

  sk.public_key_ = PublicKey(std::move(n));
  if (IfmaModulus::Available() &&
      sk.public_key_.n_squared().bits() + 2 <= 52 * IfmaModulus::kMaxLimbs) {
    sk.lanes_ = std::make_shared<const CrtLanes>(p, q, sk.p_squared_, sk.q_squared_,
                                                 sk.public_key_.n_squared(), sk.q2_inv_mod_p2_);
  }
  return sk;
}

Result<SecretKey> GenerateKey(int bits) {
  if (!IsSupportedKeyBits(bits)) {
    return Status::InvalidArgument("key size " + std::to_string(bits) +
                                   " bits is not supported (use 2048, 3072 or 4096)");
  }
  const size_t prime_bits = static_cast<size_t>(bits) / 2;
  // SecretKeyFromPrimes runs the full primality test and the p != q and gcd checks. For two
  // screened candidates of equal length a rejection is astronomically rare (a BPSW
  // pseudoprime, p = q), so a handful of retries can only run out if something is broken.
  constexpr int kAttempts = 16;
  Status last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    BigInt p = RandomPrimeCandidate(prime_bits);
    BigInt q = RandomPrimeCandidate(prime_bits);
    Result<SecretKey> sk = SecretKeyFromPrimes(p, q, /*allow_small=*/false);
    if (sk.ok()) return sk;
    last = sk.status();
  }
  return last.WithContext("key generation failed " + std::to_string(kAttempts) + " times");
}

// --- encryption ----------------------------------------------------------------------------

Ciphertext Encrypt(const PublicKey& pk, const BigInt& m) {
  return EncryptWithR(pk, m, RandomUnit(pk.n()));
}

Ciphertext EncryptWithR(const PublicKey& pk, const BigInt& m, const BigInt& r) {
  Ciphertext c;
  mpz_powm_sec(c.value.get(), r.get(), pk.n().get(), pk.n_squared().get());  // r is secret
  // 1 + m·n < n² for 0 <= m < n, so no reduction is needed before the product.
  BigInt gm;
  mpz_mul(gm.get(), ReduceModN(pk, m).get(), pk.n().get());
  mpz_add_ui(gm.get(), gm.get(), 1);
  mpz_mul(c.value.get(), c.value.get(), gm.get());
  mpz_mod(c.value.get(), c.value.get(), pk.n_squared().get());
  return c;
}

namespace {

// A uniform s in [1, p): every such s is a unit mod the prime p, so unlike RandomUnit no
// (variable-time, secret-dependent) gcd with p is needed. Drawn as 1 + (x mod (p − 1)) for x of
// 128 bits more than p (statistically 2^−128-close to uniform) with SecretRemainder: rejection
// sampling against p would let the number of draws, and so the time, reveal p's top bits.
BigInt RandomNonzeroBelow(const BigInt& p_minus_1) {
  const size_t limbs = mpz_size(p_minus_1.get()) + 2;
  WipedLimbs random(limbs);
  randombytes_buf(random.data(), limbs * sizeof(mp_limb_t));
  BigInt x;
  mpz_import(x.get(), limbs, -1, sizeof(mp_limb_t), 0, 0, random.data());
  WipedLimbs s = SecretRemainder(x, limbs, p_minus_1);
  mpn_add_1(s.data(), s.data(), static_cast<mp_size_t>(s.size()), 1);  // < p: no carry out
  BigInt out;
  mpz_import(out.get(), s.size(), -1, sizeof(mp_limb_t), 0, 0, s.data());
  return out;
}

}  // namespace

void DrawCrtBases(const SecretKey& sk, BigInt* s_p, BigInt* s_q) {
  *s_p = RandomNonzeroBelow(sk.p_minus_1_);
  *s_q = RandomNonzeroBelow(sk.q_minus_1_);
}

Ciphertext FinishCrtEncryption(const SecretKey& sk, const BigInt& m, BigInt x_p, BigInt x_q) {
  const BigInt mm = ReduceModN(sk.public_key_, m);
  MulPlaintextFactor(&x_p, mm, sk.p_, sk.q_, sk.p_squared_);
  MulPlaintextFactor(&x_q, mm, sk.q_, sk.p_, sk.q_squared_);
  return Ciphertext{CrtCombine(x_p, x_q, sk.p_squared_, sk.q_squared_, sk.q2_inv_mod_p2_)};
}

Ciphertext EncryptCrt(const SecretKey& sk, const BigInt& m) {
  // s^p mod p² depends only on s mod p and is uniform over the (p−1)-torsion where r^n mod p²
  // lives; see the header for why this is the distribution of Encrypt.
  BigInt s_p, s_q, x_p, x_q;
  DrawCrtBases(sk, &s_p, &s_q);
  PowmSec(&x_p, s_p, sk.p_, sk.p_squared_);
  PowmSec(&x_q, s_q, sk.q_, sk.q_squared_);
  return FinishCrtEncryption(sk, m, std::move(x_p), std::move(x_q));
}

Ciphertext EncryptCrtWithR(const SecretKey& sk, const BigInt& m, const BigInt& r) {
  const BigInt& n = sk.public_key_.n();
  // r^n mod p² = (r mod p²)^(n mod φ(p²)) since r is a unit; φ(p²) = p² − p. The reduced
  // exponent is never 0: p(p−1) | pq would need (p−1) | q.
  BigInt phi, e, x_p, x_q;
  mpz_sub(phi.get(), sk.p_squared_.get(), sk.p_.get());
  mpz_mod(e.get(), n.get(), phi.get());
  PowmSec(&x_p, Mod(r, sk.p_squared_), e, sk.p_squared_);
  mpz_sub(phi.get(), sk.q_squared_.get(), sk.q_.get());
  mpz_mod(e.get(), n.get(), phi.get());
  PowmSec(&x_q, Mod(r, sk.q_squared_), e, sk.q_squared_);
  return FinishCrtEncryption(sk, m, std::move(x_p), std::move(x_q));
}

void FinishLaneEncryptions(const IfmaModulus& n2, const PublicKey& pk, LaneBlock* x,
                           std::span<const BigInt> ms, std::span<Ciphertext> out) {
  const size_t n_limbs = (pk.n().bits() + 51) / 52;  // of n, and of any m < n
  const size_t wide = std::max(2 * n_limbs, n2.limbs());
  SecretLanes m(n_limbs), g_m(wide);
  std::vector<LaneBlock> n(n_limbs), one(wide);
  const std::vector<LaneBlock> zero(wide);
  const mp_limb_t unit = 1;
  for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) {
    const BigInt plain = lane < ms.size() ? ReduceModN(pk, ms[lane]) : BigInt(0);
    SetLaneLimbs(m.data(), lane, mpz_limbs_read(plain.get()), mpz_size(plain.get()), n_limbs);
    SetLaneLimbs(n.data(), lane, mpz_limbs_read(pk.n().get()), mpz_size(pk.n().get()), n_limbs);
    SetLaneLimbs(one.data(), lane, &unit, 1, wide);
  }
  // g^m = 1 + m·n < n², as a plain number: Multiply leaves x·R·g^m·R^−1.
  MultiplyLanes(g_m.data(), m.data(), n_limbs, n.data(), n_limbs);
  AddSubtractLanes(g_m.data(), g_m.data(), one.data(), zero.data(), wide);
  n2.Multiply(x, x, g_m.data());
  for (size_t lane = 0; lane < ms.size(); ++lane) out[lane] = Ciphertext{n2.GetLane(x, lane)};
}

PublicEncryptor::PublicEncryptor(const PublicKey& pk) : pk_(pk) {
  if (IfmaModulus::Available() && pk.n_squared().bits() + 2 <= 52 * IfmaModulus::kMaxLimbs) {
    n2_ = std::make_shared<const IfmaModulus>(pk.n_squared());
  }
}

void PublicEncryptor::EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) const {
  if (n2_ == nullptr) {
    for (size_t i = 0; i < ms.size(); ++i) out[i] = Encrypt(pk_, ms[i]);
    return;
  }
  std::vector<BigInt> rs(IfmaModulus::kLanes);
  for (size_t first = 0; first < ms.size(); first += IfmaModulus::kLanes) {
    const size_t count = std::min(IfmaModulus::kLanes, ms.size() - first);
    for (size_t lane = 0; lane < count; ++lane) {
      do {
        rs[lane] = RandomBelow(pk_.n());  // rejection against the public n only
      } while (rs[lane].sign() == 0);
    }
    EncryptWithRs(ms.subspan(first, count), std::span(rs).first(count), out.subspan(first, count));
  }
}

void PublicEncryptor::EncryptWithRs(std::span<const BigInt> ms, std::span<const BigInt> rs,
                                    std::span<Ciphertext> out) const {
  if (n2_ == nullptr) {
    for (size_t i = 0; i < ms.size(); ++i) out[i] = EncryptWithR(pk_, ms[i], rs[i]);
    return;
  }
  const IfmaModulus& n2 = *n2_;
  const size_t wide = std::max(n2.limbs(), 2 * ((pk_.n().bits() + 51) / 52));
  SecretLanes x(wide);
  const mp_limb_t unit = 1;
  for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) {
    if (lane < rs.size()) {
      SetLaneLimbs(x.data(), lane, mpz_limbs_read(rs[lane].get()), mpz_size(rs[lane].get()),
                   n2.limbs());
    } else {
      SetLaneLimbs(x.data(), lane, &unit, 1, n2.limbs());  // unused lanes: r = 1
    }
  }
  // r^n with the public exponent n over the secret bases r.
  n2.ToMontgomery(x.data(), x.data());
  n2.PowSecret(x.data(), x.data(), mpz_limbs_read(pk_.n().get()), pk_.n().bits());
  FinishLaneEncryptions(n2, pk_, x.data(), ms, out);
}

namespace {

// x = x^e mod N per lane, in constant time; fully reduced when x is a unit (FromMontgomery).
void PowInLanes(const IfmaModulus& modulus, LaneBlock* x, const WipedLimbs& e, size_t e_bits) {
  modulus.ToMontgomery(x, x);
  modulus.PowSecret(x, x, e.data(), e_bits);
  modulus.FromMontgomery(x, x);
}

}  // namespace

void EncryptCrtLanes(const SecretKey& sk, std::span<const BigInt> ms, std::span<const BigInt> s_p,
                     std::span<const BigInt> s_q, std::span<Ciphertext> out) {
  const CrtLanes& k = *sk.lanes_;
  const size_t lp = k.p2.limbs(), lq = k.q2.limbs(), wide = k.wide;
  SecretLanes xp(wide), xq(wide), u(wide), v(wide), h(wide), x(wide);
  const std::vector<LaneBlock> zero(wide);
  const BigInt unit(1);
  for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) {
    const bool used = lane < ms.size();  // unused lanes get s = 1
    k.SetWide(xp.data(), lane, used ? s_p[lane] : unit);
    k.SetWide(xq.data(), lane, used ? s_q[lane] : unit);
  }
  // x_p = s_p^p mod p², x_q = s_q^q mod q².
  PowInLanes(k.p2, xp.data(), k.p_exponent, k.p_bits);
  PowInLanes(k.q2, xq.data(), k.q_exponent, k.q_bits);
  // Garner: h ≡ (x_p − x_q)·(q²)^−1 (mod p²), below 2p². Multiply's bound is a·b < R·N
  // (its output then stays below 2N): p and q have b bits each, so x_q < q² < 2^(2b) and
  // R_p >= 2^(bits(p²) + 2) >= 2^(2b + 1), while (q²)^−1 in Montgomery form is below 2p²; so
  // x_q·(q²)^−1 < 2^(2b)·2p² <= R_p·p². u − v + 2p² < 4p² times R mod p² (< p²) is too.
  k.p2.Multiply(u.data(), xp.data(), k.q2_inverse.data());
  k.p2.Multiply(v.data(), xq.data(), k.q2_inverse.data());
  AddSubtractLanes(h.data(), u.data(), k.two_p2.data(), v.data(), lp);
  k.p2.Multiply(h.data(), h.data(), k.p2_one.data());
  // x = x_q + q²·h ≡ r^n (mod n²), below q² + q²·(2p² − 1) < 2n².
  MultiplyLanes(x.data(), k.q2.modulus_lanes(), lq, h.data(), lp);
  AddSubtractLanes(x.data(), x.data(), xq.data(), zero.data(), wide);
  k.n2.ToMontgomery(x.data(), x.data());
  FinishLaneEncryptions(k.n2, sk.public_key_, x.data(), ms, out);
}

void EncryptCrtBatch(const SecretKey& sk, std::span<const BigInt> ms, std::span<Ciphertext> out) {
  if (sk.lanes_ == nullptr) {
    for (size_t i = 0; i < ms.size(); ++i) out[i] = EncryptCrt(sk, ms[i]);
    return;
  }
  std::vector<BigInt> s_p(IfmaModulus::kLanes), s_q(IfmaModulus::kLanes);
  for (size_t first = 0; first < ms.size(); first += IfmaModulus::kLanes) {
    const size_t count = std::min(IfmaModulus::kLanes, ms.size() - first);
    for (size_t lane = 0; lane < count; ++lane) {
      DrawCrtBases(sk, &s_p[lane], &s_q[lane]);
    }
    EncryptCrtLanes(sk, ms.subspan(first, count), std::span(s_p).first(count),
                    std::span(s_q).first(count), out.subspan(first, count));
  }
}

// m from x_p = c^(p−1) mod p² and x_q = c^(q−1) mod q².
BigInt DecryptFromPowers(const SecretKey& sk, const BigInt& x_p, const BigInt& x_q) {
  BigInt m_p, m_q;
  mpz_mul(m_p.get(), LFunction(x_p, sk.p_).get(), sk.h_p_.get());
  mpz_mod(m_p.get(), m_p.get(), sk.p_.get());
  mpz_mul(m_q.get(), LFunction(x_q, sk.q_).get(), sk.h_q_.get());
  mpz_mod(m_q.get(), m_q.get(), sk.q_.get());
  // m = m_q + q·((m_p − m_q)·q^−1 mod p)
  BigInt m;
  mpz_sub(m.get(), m_p.get(), m_q.get());
  mpz_mul(m.get(), m.get(), sk.q_inv_mod_p_.get());
  mpz_mod(m.get(), m.get(), sk.p_.get());
  mpz_mul(m.get(), m.get(), sk.q_.get());
  mpz_add(m.get(), m.get(), m_q.get());
  return m;
}

Result<BigInt> Decrypt(const SecretKey& sk, const Ciphertext& c) {
  CS_RETURN_IF_ERROR(ValidateCiphertext(sk.public_key_, c));
  BigInt x_p, x_q;
  PowmSec(&x_p, Mod(c.value, sk.p_squared_), sk.p_minus_1_, sk.p_squared_);
  PowmSec(&x_q, Mod(c.value, sk.q_squared_), sk.q_minus_1_, sk.q_squared_);
  return DecryptFromPowers(sk, x_p, x_q);
}

Result<std::vector<BigInt>> DecryptBatch(const SecretKey& sk, std::span<const Ciphertext> cs) {
  for (size_t i = 0; i < cs.size(); ++i) {
    Status valid = ValidateCiphertext(sk.public_key_, cs[i]);
    if (!valid.ok()) return valid.WithContext("ciphertext " + std::to_string(i + 1));
  }
  std::vector<BigInt> out;
  out.reserve(cs.size());
  if (sk.lanes_ == nullptr) {
    for (const Ciphertext& c : cs) {
      CS_ASSIGN_OR_RETURN(BigInt m, Decrypt(sk, c));
      out.push_back(std::move(m));
    }
    return out;
  }
  // c mod p² and c mod q² depend on the secret moduli: SecretRemainder, at fixed sizes.
  const CrtLanes& k = *sk.lanes_;
  const size_t c_limbs = mpz_size(sk.public_key_.n_squared().get());
  SecretLanes xp(k.p2.limbs()), xq(k.q2.limbs());
  WipedLimbs limbs(k.wide);
  for (size_t first = 0; first < cs.size(); first += IfmaModulus::kLanes) {
    const size_t count = std::min(IfmaModulus::kLanes, cs.size() - first);
    for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) {
      const BigInt& c = cs[first + std::min(lane, count - 1)].value;
      const WipedLimbs c_p = SecretRemainder(c, c_limbs, sk.p_squared_);
      const WipedLimbs c_q = SecretRemainder(c, c_limbs, sk.q_squared_);
      SetLaneLimbs(xp.data(), lane, c_p.data(), c_p.size(), k.p2.limbs());
      SetLaneLimbs(xq.data(), lane, c_q.data(), c_q.size(), k.q2.limbs());
    }
    PowInLanes(k.p2, xp.data(), k.p_minus_1, k.p_bits);  // p − 1 has p's length (p odd)
    PowInLanes(k.q2, xq.data(), k.q_minus_1, k.q_bits);
    for (size_t lane = 0; lane < count; ++lane) {
      BigInt x_p, x_q;
      ExportLane(xp.data(), k.p2.limbs(), lane, limbs.data(), limbs.size());
      mpz_import(x_p.get(), limbs.size(), -1, sizeof(mp_limb_t), 0, 0, limbs.data());
      ExportLane(xq.data(), k.q2.limbs(), lane, limbs.data(), limbs.size());
      mpz_import(x_q.get(), limbs.size(), -1, sizeof(mp_limb_t), 0, 0, limbs.data());
      out.push_back(DecryptFromPowers(sk, x_p, x_q));
    }
  }
  return out;
}

Status ValidateCiphertext(const PublicKey& pk, const Ciphertext& c) {
  if (mpz_sgn(c.value.get()) <= 0) {
    return Status::InvalidArgument("ciphertext: value outside Z*_{n^2} (not positive)");
  }
  if (mpz_cmp(c.value.get(), pk.n_squared().get()) >= 0) {
    return Status::InvalidArgument("ciphertext: value outside Z*_{n^2} (not below n^2)");
  }
  BigInt g;
  mpz_gcd(g.get(), c.value.get(), pk.n().get());
  if (mpz_cmp_ui(g.get(), 1) != 0) {
    return Status::InvalidArgument("ciphertext: value outside Z*_{n^2} (shares a factor with n)");
  }
  return Status::OK();
}

// --- homomorphic operations ------------------------------------------------------------------

Ciphertext Add(const PublicKey& pk, const Ciphertext& a, const Ciphertext& b) {
  Ciphertext c;
  mpz_mul(c.value.get(), a.value.get(), b.value.get());
  mpz_mod(c.value.get(), c.value.get(), pk.n_squared().get());
  return c;
}

void AddInPlace(const PublicKey& pk, Ciphertext* acc, const Ciphertext& b) {
  // A per-thread scratch keeps the double-width product from reallocating on every call.
  thread_local BigInt product;
  mpz_mul(product.get(), acc->value.get(), b.value.get());
  mpz_tdiv_r(acc->value.get(), product.get(), pk.n_squared().get());
}

Ciphertext AddPlain(const PublicKey& pk, const Ciphertext& a, const BigInt& m) {
  BigInt gm;
  mpz_mul(gm.get(), ReduceModN(pk, m).get(), pk.n().get());
  mpz_add_ui(gm.get(), gm.get(), 1);
  Ciphertext c;
  mpz_mul(c.value.get(), a.value.get(), gm.get());
  mpz_mod(c.value.get(), c.value.get(), pk.n_squared().get());
  return c;
}

Ciphertext MulScalar(const PublicKey& pk, const Ciphertext& a, const BigInt& k) {
  Ciphertext c;
  mpz_powm(c.value.get(), a.value.get(), ReduceModN(pk, k).get(), pk.n_squared().get());
  return c;
}

Ciphertext Rerandomize(const PublicKey& pk, const Ciphertext& a) {
  Ciphertext c;
  mpz_mul(c.value.get(), a.value.get(), RandomNthPower(pk).get());
  mpz_mod(c.value.get(), c.value.get(), pk.n_squared().get());
  return c;
}

Ciphertext EncryptedZero() { return Ciphertext{BigInt(1)}; }

Result<BigInt> EncodeSigned(const PublicKey& pk, const BigInt& v) {
  // For odd n the integers in (−n/2, n/2] are exactly −⌊n/2⌋ … ⌊n/2⌋.
  BigInt neg_half;
  mpz_neg(neg_half.get(), pk.half_n().get());
  if (mpz_cmp(v.get(), pk.half_n().get()) > 0 || mpz_cmp(v.get(), neg_half.get()) < 0) {
    return Status::InvalidArgument("signed plaintext outside (-n/2, n/2]: it would wrap around");
  }
  return Mod(v, pk.n());
}

BigInt DecodeSigned(const PublicKey& pk, const BigInt& m) {
  BigInt out = Mod(m, pk.n());
  if (mpz_cmp(out.get(), pk.half_n().get()) > 0) mpz_sub(out.get(), out.get(), pk.n().get());
  return out;
}

// --- serialization ---------------------------------------------------------------------------

std::string PublicKeyToJson(const PublicKey& pk) {
  nlohmann::ordered_json j;
  j["format"] = kPublicFormat;
  j["version"] = kFormatVersion;
  j["n"] = pk.n().ToHex();
  return j.dump();
}

Result<PublicKey> PublicKeyFromJson(std::string_view json, bool allow_small) {
  const std::string what = "public key";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(what + ": " + JsonErrorText(e));
  }
  CS_RETURN_IF_ERROR(CheckJsonHeader(j, kPublicFormat, what));
  CS_ASSIGN_OR_RETURN(BigInt n, JsonHexField(j, "n", what));
  CS_RETURN_IF_ERROR(CheckModulus(n, allow_small, what));
  return PublicKey(std::move(n));
}

std::string SecretKeyToJson(const SecretKey& sk) {
  // Built by hand into wiped memory: a JSON library would copy the hex through its own
  // unwiped buffers. Hex digits need no escaping.
  const std::string n = sk.public_key().n().ToHex();
  const WipedString p = SecretHex(sk.p());
  const WipedString q = SecretHex(sk.q());
  WipedString out;
  out.reserve(n.size() + p.size() + q.size() + 128);
  out += "{\"format\":\"";
  out += kSecretFormat;
  out += "\",\"version\":";
  const std::string version = std::to_string(kFormatVersion);
  out.append(version.data(), version.size());
  out += ",\"n\":\"";
  out.append(n.data(), n.size());
  out += "\",\"p\":\"";
  out += p;
  out += "\",\"q\":\"";
  out += q;
  out += "\"}";
  return std::string(out.data(), out.size());
}

Result<SecretKey> SecretKeyFromJson(std::string_view json, bool allow_small) {
  const std::string what = "secret key";
  Result<FlatJsonObject> parsed = FlatJsonObject::Parse(json);
  if (!parsed.ok()) return parsed.status().WithContext(what);
  const FlatJsonObject& obj = *parsed;
  const FlatJsonField* format = obj.Find("format");
  if (format == nullptr) return Status::InvalidArgument(what + ": missing field 'format'");
  if (!format->is_string || format->value != kSecretFormat) {
    return Status::InvalidArgument(what + ": field 'format' must be \"" + kSecretFormat + "\"");
  }
  const FlatJsonField* version = obj.Find("version");
  if (version == nullptr) return Status::InvalidArgument(what + ": missing field 'version'");
  if (version->is_string) {
    return Status::InvalidArgument(what + ": field 'version' is not an unsigned integer");
  }
  if (version->value != std::to_string(kFormatVersion)) {
    return Status::InvalidArgument(what + ": unsupported version " +
                                   std::string(version->value.substr(0, 20)) +
                                   " (this build reads " + std::to_string(kFormatVersion) + ")");
  }
  CS_ASSIGN_OR_RETURN(BigInt n, FlatHexField(obj, "n", what));
  CS_ASSIGN_OR_RETURN(BigInt p, FlatHexField(obj, "p", what));
  CS_ASSIGN_OR_RETURN(BigInt q, FlatHexField(obj, "q", what));
  CS_RETURN_IF_ERROR(CheckModulus(n, allow_small, what));
  // Compare before the primality tests: a mismatch is the cheap, common corruption.
  BigInt product;
  mpz_mul(product.get(), p.get(), q.get());
  if (product != n) return Status::InvalidArgument(what + ": p*q does not equal n");
  return SecretKeyFromPrimes(p, q, allow_small);
}

std::string CiphertextToFixedBytes(const PublicKey& pk, const Ciphertext& c) {
  return c.value.ToBytes(pk.ciphertext_bytes());
}

Result<Ciphertext> CiphertextFromFixedBytes(const PublicKey& pk, std::string_view bytes) {
  if (bytes.size() != pk.ciphertext_bytes()) {
    return Status::Corruption("ciphertext: expected " + std::to_string(pk.ciphertext_bytes()) +
                              " bytes, got " + std::to_string(bytes.size()));
  }
  Ciphertext c{BigInt::FromBytes(bytes)};
  CS_RETURN_IF_ERROR(ValidateCiphertext(pk, c));
  return c;
}

std::string SerializeCiphertext(const PublicKey& pk, const Ciphertext& c) {
  const size_t len = pk.ciphertext_bytes();
  std::string out(kCiphertextMagic, 4);
  out.push_back(static_cast<char>(kCiphertextVersion));
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((len >> shift) & 0xff));
  }
  out += CiphertextToFixedBytes(pk, c);
  return out;
}

Result<Ciphertext> ParseCiphertext(const PublicKey& pk, std::string_view data) {
  if (data.size() < kCiphertextHeaderBytes) {
    return Status::Corruption("ciphertext: truncated header (" + std::to_string(data.size()) +
                              " of " + std::to_string(kCiphertextHeaderBytes) + " bytes)");
  }
  if (data.substr(0, 4) != std::string_view(kCiphertextMagic, 4)) {
    return Status::Corruption("ciphertext: bad magic (expected \"CSCT\")");
  }
  const uint8_t version = static_cast<uint8_t>(data[4]);
  if (version != kCiphertextVersion) {
    return Status::Corruption("ciphertext: unsupported version " + std::to_string(version) +
                              " (this build reads " + std::to_string(kCiphertextVersion) + ")");
  }
  uint64_t len = 0;
  for (size_t i = 5; i < kCiphertextHeaderBytes; ++i) {
    len = (len << 8) | static_cast<uint8_t>(data[i]);
  }
  const size_t body = data.size() - kCiphertextHeaderBytes;
  if (len != body) {
    return Status::Corruption("ciphertext: length field says " + std::to_string(len) +
                              " bytes but " + std::to_string(body) + " follow");
  }
  return CiphertextFromFixedBytes(pk, data.substr(kCiphertextHeaderBytes));
}

}  // namespace cipherstat::crypto
