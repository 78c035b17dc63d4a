#include "crypto/djn.h"

#include <sodium.h>

#include <algorithm>
#include <cstdint>

namespace cipherstat::crypto {
namespace {

constexpr size_t kWindowBits = 6;
constexpr size_t kEntries = size_t{1} << kWindowBits;  // digits 0..63

// Digit j of an exponent given as `bytes` little-endian bytes: bits [6j, 6j + 6). Which bytes
// are read depends on j only.
uint64_t Digit(const unsigned char* a, size_t bytes, size_t j) {
  const size_t bit = j * kWindowBits, byte = bit / 8;
  unsigned value = a[byte];
  if (byte + 1 < bytes) value |= unsigned{a[byte + 1]} << 8;
  return (value >> (bit % 8)) & (kEntries - 1);
}

}  // namespace

int DjnEncryptor::ExponentBits(int key_bits) {
  // 4× the security level of the modulus (NIST SP 800-57: 2048 → 112, 3072 → 128, 4096 →
  // about 152 bits), a multiple of 8 (whole random bytes).
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

DjnEncryptor DjnEncryptor::FromBase(const PublicKey& pk, const BigInt& h_s, bool allow_ifma) {
  DjnEncryptor e;
  e.pk_ = pk;
  e.h_s_ = h_s;
  e.exponent_bits_ = ExponentBits(pk.bits());
  e.windows_ = (static_cast<size_t>(e.exponent_bits_) + kWindowBits - 1) / kWindowBits;
  const BigInt& n2 = pk.n_squared();
  e.mont_ = std::make_shared<const MontgomeryModulus>(n2, allow_ifma);
  if (e.mont_->ifma() != nullptr) e.ifma_ = std::make_shared<const IfmaModulus>(n2);
  // Entry (j, d) = base_j^d with base_j = h_s^(64^j), built with mpz (public values), then
  // stored in the chosen path's Montgomery form.
  const size_t l = e.ifma_ ? e.ifma_->limbs() : e.mont_->limbs();
  const size_t shift = e.ifma_ ? 52 * l : 64 * l;  // log2 of that form's R
  (e.ifma_ ? e.table52_ : e.table_).assign(e.windows_ * kEntries * l, 0);
  BigInt base = h_s, power, form;
  std::vector<uint64_t> digits(l);
  for (size_t j = 0; j < e.windows_; ++j) {
    power = BigInt(1);
    for (size_t d = 0; d < kEntries; ++d) {
      if (d > 0) {
        mpz_mul(power.get(), power.get(), base.get());
        mpz_mod(power.get(), power.get(), n2.get());
      }
      mpz_mul_2exp(form.get(), power.get(), shift);
      mpz_mod(form.get(), form.get(), n2.get());
      if (e.ifma_) {
        ToLimbs52(mpz_limbs_read(form.get()), mpz_size(form.get()), digits.data(), l);
        for (size_t i = 0; i < l; ++i) e.table52_[(j * l + i) * kEntries + d] = digits[i];
      } else {
        e.mont_->ToLimbs(form, &e.table_[(j * kEntries + d) * l]);
      }
    }
    mpz_mul(base.get(), power.get(), base.get());  // base^64 = base^63·base
    mpz_mod(base.get(), base.get(), n2.get());
  }
  return e;
}

Ciphertext DjnEncryptor::Encrypt(const BigInt& m) const {
  Ciphertext c;
  EncryptBatch(std::span(&m, 1), std::span(&c, 1));
  return c;
}

void DjnEncryptor::EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) const {
  EncryptChunks(ms, out, [](size_t, size_t count, size_t bytes, unsigned char* a) {
    randombytes_buf(a, count * bytes);
  });
}

Ciphertext DjnEncryptor::EncryptWithExponent(const BigInt& m, const BigInt& a) const {
  Ciphertext c;
  EncryptWithExponents(std::span(&m, 1), std::span(&a, 1), std::span(&c, 1));
  return c;
}

void DjnEncryptor::EncryptWithExponents(std::span<const BigInt> ms, std::span<const BigInt> as,
                                        std::span<Ciphertext> out) const {
  EncryptChunks(ms, out, [&](size_t first, size_t count, size_t bytes, unsigned char* a) {
    std::fill(a, a + count * bytes, 0);
    for (size_t lane = 0; lane < count; ++lane) {
      size_t written = 0;  // REQUIRES a < 2^exponent_bits
      mpz_export(a + lane * bytes, &written, -1, 1, 0, 0, as[first + lane].get());
    }
  });
}

void DjnEncryptor::EncryptChunks(std::span<const BigInt> ms, std::span<Ciphertext> out,
                                 const ExponentFill& fill) const {
  const size_t bytes = static_cast<size_t>(exponent_bits_) / 8;
  std::vector<unsigned char, WipingAllocator<unsigned char>> a(IfmaModulus::kLanes * bytes);
  const unsigned char* lanes[IfmaModulus::kLanes];
  for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) lanes[lane] = a.data() + lane * bytes;
  const size_t step = ifma_ ? IfmaModulus::kLanes : 1;
  for (size_t first = 0; first < ms.size(); first += step) {
    const size_t count = std::min(step, ms.size() - first);
    fill(first, count, bytes, a.data());
    if (ifma_) {
      CombineLanes(ms.subspan(first, count), lanes, out.subspan(first, count));
    } else {
      out[first] = CombineScalar(ms[first], lanes[0]);
    }
  }
}

void DjnEncryptor::CombineLanes(std::span<const BigInt> ms, const unsigned char* const* a_bytes,
                                std::span<Ciphertext> out) const {
  const IfmaModulus& ifma = *ifma_;
  const size_t l = ifma.limbs(), bytes = static_cast<size_t>(exponent_bits_) / 8;
  SecretLanes acc(l), pick(l);
  uint64_t digits[IfmaModulus::kLanes];
  auto select = [&](LaneBlock* to, size_t j) {
    for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane)
      digits[lane] = Digit(a_bytes[lane], bytes, j);
    SelectPerLane(to, &table52_[j * kEntries * l], kEntries, l, digits);
  };
  select(acc.data(), 0);
  for (size_t j = 1; j < windows_; ++j) {
    select(pick.data(), j);
    ifma.Multiply(acc.data(), acc.data(), pick.data());
  }
  sodium_memzero(digits, sizeof(digits));
  FinishLaneEncryptions(ifma, pk_, acc.data(), ms, out);  // acc = h_s^a·R
}

Ciphertext DjnEncryptor::CombineScalar(const BigInt& m, const unsigned char* a_bytes) const {
  const MontgomeryModulus& mont = *mont_;
  const size_t k = mont.limbs(), bytes = static_cast<size_t>(exponent_bits_) / 8;
  thread_local std::vector<mp_limb_t> acc, pick;
  acc.resize(k);
  pick.resize(k);
  const auto entries = static_cast<mp_size_t>(kEntries);
  mpn_sec_tabselect(acc.data(), table_.data(), static_cast<mp_size_t>(k), entries,
                    static_cast<mp_size_t>(Digit(a_bytes, bytes, 0)));
  for (size_t j = 1; j < windows_; ++j) {
    mpn_sec_tabselect(pick.data(), &table_[j * kEntries * k], static_cast<mp_size_t>(k), entries,
                      static_cast<mp_size_t>(Digit(a_bytes, bytes, j)));
    mont.MulRedcSecret(acc.data(), acc.data(), pick.data());
  }
  // Leaving Montgomery form and multiplying by g^m = 1 + m·n (< n² for m < n) in one step:
  // Redc(h_s^a·R · (1 + m·n)) = h_s^a·(1 + m·n).
  BigInt gm;
  mpz_mod(gm.get(), m.get(), pk_.n().get());
  mpz_mul(gm.get(), gm.get(), pk_.n().get());
  mpz_add_ui(gm.get(), gm.get(), 1);
  mont.ToLimbs(gm, pick.data());
  mont.MulRedcSecret(acc.data(), acc.data(), pick.data());
  Ciphertext c{mont.FromLimbs(acc.data())};
  sodium_memzero(acc.data(), k * sizeof(mp_limb_t));
  sodium_memzero(pick.data(), k * sizeof(mp_limb_t));  // 1 + m·n: the plaintext
  return c;
}

}  // namespace cipherstat::crypto
