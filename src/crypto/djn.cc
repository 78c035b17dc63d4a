#include "crypto/djn.h"

#include <sodium.h>

#include <algorithm>

namespace cipherstat::crypto {
namespace {

constexpr int kWindowBits = 8;
constexpr int kEntriesPerWindow = (1 << kWindowBits) - 1;  // digits 1..255

}  // namespace

int DjnEncryptor::ExponentBits(int key_bits) {
  // 4× the security level of the modulus (NIST SP 800-57: 2048 → 112, 3072 → 128, 4096 →
  // about 152 bits), a multiple of the 8-bit window.
  if (key_bits <= 2048) return 448;
  if (key_bits <= 3072) return 512;
  return 608;
}

DjnEncryptor DjnEncryptor::Create(const PublicKey& pk) {
  // h = −x² mod n generates (with overwhelming probability) the squares' subgroup of Jacobi
  // symbol 1 elements; h_s = h^n mod n² lifts it to the n-th residues.
  const BigInt x = RandomUnit(pk.n());
  BigInt h, h_s;
  mpz_mul(h.get(), x.get(), x.get());
  mpz_mod(h.get(), h.get(), pk.n().get());
  mpz_sub(h.get(), pk.n().get(), h.get());
  mpz_powm(h_s.get(), h.get(), pk.n().get(), pk.n_squared().get());
  return FromBase(pk, h_s);
}

DjnEncryptor DjnEncryptor::FromBase(const PublicKey& pk, const BigInt& h_s) {
  DjnEncryptor e;
  e.n_ = pk.n();
  e.h_s_ = h_s;
  e.exponent_bits_ = ExponentBits(pk.bits());
  e.windows_ = e.exponent_bits_ / kWindowBits;
  e.mont_ = std::make_shared<const MontgomeryModulus>(pk.n_squared());
  const MontgomeryModulus& mont = *e.mont_;
  const size_t k = mont.limbs();
  e.table_.assign(static_cast<size_t>(e.windows_) * kEntriesPerWindow * k, 0);
  // base = h_s^(256^j)·R in Montgomery form; entry d = entry (d − 1) · base.
  e.one_.resize(k);
  mont.ToLimbs(mont.ToMontgomery(BigInt(1)), e.one_.data());
  std::vector<mp_limb_t> base(k);
  mont.ToLimbs(mont.ToMontgomery(h_s), base.data());
  for (int j = 0; j < e.windows_; ++j) {
    mp_limb_t* row = e.table_.data() + static_cast<size_t>(j) * kEntriesPerWindow * k;
    std::copy(base.begin(), base.end(), row);
    for (int d = 2; d <= kEntriesPerWindow; ++d) {
      mont.MulRedc(row + static_cast<size_t>(d - 1) * k, row + static_cast<size_t>(d - 2) * k,
                   base.data());
    }
    // base^256 = (base^255)·base.
    mont.MulRedc(base.data(), row + static_cast<size_t>(kEntriesPerWindow - 1) * k, base.data());
  }
  return e;
}

Ciphertext DjnEncryptor::Encrypt(const BigInt& m) const {
  std::vector<unsigned char> a(static_cast<size_t>(windows_));
  randombytes_buf(a.data(), a.size());
  Ciphertext c = Combine(m, a.data());
  sodium_memzero(a.data(), a.size());
  return c;
}

Ciphertext DjnEncryptor::EncryptWithExponent(const BigInt& m, const BigInt& a) const {
  std::vector<unsigned char> bytes(static_cast<size_t>(windows_), 0);
  size_t count = 0;
  mpz_export(bytes.data(), &count, -1, 1, 0, 0, a.get());  // REQUIRES a < 2^exponent_bits
  return Combine(m, bytes.data());
}

Ciphertext DjnEncryptor::Combine(const BigInt& m, const unsigned char* a_bytes) const {
  const MontgomeryModulus& mont = *mont_;
  const size_t k = mont.limbs();
  thread_local std::vector<mp_limb_t> acc, factor;
  acc = one_;  // so a = 0 needs no special case
  factor.resize(k);
  for (int j = 0; j < windows_; ++j) {
    const unsigned d = a_bytes[j];
    if (d == 0) continue;
    const mp_limb_t* entry =
        table_.data() + (static_cast<size_t>(j) * kEntriesPerWindow + d - 1) * k;
    mont.MulRedc(acc.data(), acc.data(), entry);
  }
  // Leaving Montgomery form and multiplying by g^m = 1 + m·n (< n² for m < n) in one step:
  // Redc(h_s^a·R · (1 + m·n)) = h_s^a·(1 + m·n).
  BigInt gm;
  mpz_mod(gm.get(), m.get(), n_.get());
  mpz_mul(gm.get(), gm.get(), n_.get());
  mpz_add_ui(gm.get(), gm.get(), 1);
  mont.ToLimbs(gm, factor.data());
  mont.MulRedc(acc.data(), acc.data(), factor.data());
  return Ciphertext{mont.FromLimbs(acc.data())};
}

}  // namespace cipherstat::crypto
