#include "crypto/bigint.h"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace cipherstat::crypto {
namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A violated REQUIRES would otherwise silently truncate a ciphertext or loop forever.
[[noreturn]] void RequirementFailed(const char* what) {
  std::fprintf(stderr, "cipherstat: requirement violated: %s\n", what);
  std::abort();
}

}  // namespace

BigInt::BigInt() { mpz_init(value_); }
BigInt::BigInt(unsigned long value) { mpz_init_set_ui(value_, value); }
BigInt::BigInt(const BigInt& other) { mpz_init_set(value_, other.value_); }
// mpz_init does not allocate (GMP >= 6.2), so moving is a swap with an empty value.
BigInt::BigInt(BigInt&& other) noexcept {
  mpz_init(value_);
  mpz_swap(value_, other.value_);
}
BigInt& BigInt::operator=(const BigInt& other) {
  if (this != &other) mpz_set(value_, other.value_);
  return *this;
}
BigInt& BigInt::operator=(BigInt&& other) noexcept {
  mpz_swap(value_, other.value_);
  return *this;
}
BigInt::~BigInt() { mpz_clear(value_); }

Result<BigInt> BigInt::FromHex(std::string_view hex) {
  std::string_view digits = hex;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty()) return Status::InvalidArgument("not hexadecimal: empty");
  for (char c : digits) {
    // mpz_set_str alone would accept embedded whitespace; we want exactly one spelling.
    if (!IsHexDigit(c)) return Status::InvalidArgument("not hexadecimal");
  }
  // mpz_set_str needs a NUL-terminated copy; the text may be a prime, so wipe the copy.
  std::string copy(hex);
  BigInt out;
  int rc = mpz_set_str(out.value_, copy.c_str(), 16);
  sodium_memzero(copy.data(), copy.size());
  if (rc != 0) return Status::InvalidArgument("not hexadecimal");
  return out;
}

std::string BigInt::ToHex() const { return InBase(16); }

std::string BigInt::ToDecimal() const { return InBase(10); }

std::string BigInt::InBase(int base) const {
  // sizeinbase may overestimate by one; room for sign and NUL.
  std::string out(mpz_sizeinbase(value_, base) + 2, '\0');
  mpz_get_str(out.data(), base, value_);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string BigInt::ToBytes(size_t width) const {
  if (mpz_sgn(value_) < 0) RequirementFailed("BigInt::ToBytes of a negative value");
  size_t needed = (bits() + 7) / 8;
  if (needed > width) RequirementFailed("BigInt::ToBytes value wider than width");
  std::string out(width, '\0');
  size_t written = 0;
  if (needed > 0) {
    mpz_export(out.data() + (width - needed), &written, /*order=*/1, /*size=*/1, /*endian=*/1,
               /*nails=*/0, value_);
  }
  return out;
}

BigInt BigInt::FromBytes(std::string_view bytes) {
  BigInt out;
  if (!bytes.empty()) {
    mpz_import(out.value_, bytes.size(), /*order=*/1, /*size=*/1, /*endian=*/1, /*nails=*/0,
               bytes.data());
  }
  return out;
}

size_t BigInt::bits() const { return mpz_sgn(value_) == 0 ? 0 : mpz_sizeinbase(value_, 2); }

BigInt BigInt::FromLong(long value) {
  BigInt out;
  mpz_set_si(out.value_, value);
  return out;
}

BigInt BigInt::Power(unsigned long base, unsigned long exponent) {
  BigInt out;
  mpz_ui_pow_ui(out.value_, base, exponent);
  return out;
}

std::optional<long> BigInt::ToLong() const {
  if (!mpz_fits_slong_p(value_)) return std::nullopt;
  return mpz_get_si(value_);
}

double BigInt::ToDouble() const { return mpz_get_d(value_); }

BigInt& BigInt::operator+=(const BigInt& other) {
  mpz_add(value_, value_, other.value_);
  return *this;
}

BigInt& BigInt::operator-=(const BigInt& other) {
  mpz_sub(value_, value_, other.value_);
  return *this;
}

BigInt& BigInt::operator*=(const BigInt& other) {
  mpz_mul(value_, value_, other.value_);
  return *this;
}

double NearestDouble(const BigInt& numerator, const BigInt& denominator) {
  if (mpz_sgn(denominator.get()) == 0) RequirementFailed("NearestDouble needs denominator != 0");
  mpq_t q, error_truncated, error_away;
  mpq_inits(q, error_truncated, error_away, nullptr);
  mpz_set(mpq_numref(q), numerator.get());
  mpz_set(mpq_denref(q), denominator.get());
  mpq_canonicalize(q);
  // mpq_get_d truncates; take the neighbour away from zero instead when it is nearer, which
  // only exact arithmetic can tell.
  double d = mpq_get_d(q);
  const double away = std::nextafter(d, mpq_sgn(q) >= 0 ? HUGE_VAL : -HUGE_VAL);
  if (std::isfinite(away)) {
    mpq_set_d(error_truncated, d);
    mpq_sub(error_truncated, q, error_truncated);
    mpq_abs(error_truncated, error_truncated);
    mpq_set_d(error_away, away);
    mpq_sub(error_away, q, error_away);
    mpq_abs(error_away, error_away);
    if (mpq_cmp(error_away, error_truncated) < 0) d = away;
  }
  mpq_clears(q, error_truncated, error_away, nullptr);
  return d;
}

BigInt RandomBelow(const BigInt& bound) {
  return RandomBelow(bound, [](unsigned char* out, size_t size) { randombytes_buf(out, size); });
}

BigInt RandomBelow(const BigInt& bound,
                   const std::function<void(unsigned char* out, size_t size)>& fill) {
  if (mpz_sgn(bound.get()) <= 0) RequirementFailed("RandomBelow needs bound > 0");
  const size_t bits = bound.bits();
  const size_t bytes = (bits + 7) / 8;
  // Masking the top byte to the bound's bit length keeps each draw accepted with p > 1/2.
  const unsigned char top_mask = static_cast<unsigned char>(0xff >> (bytes * 8 - bits));
  std::vector<unsigned char> buf(bytes);
  BigInt out;
  for (;;) {
    fill(buf.data(), buf.size());
    buf[0] &= top_mask;
    mpz_import(out.get(), buf.size(), 1, 1, 1, 0, buf.data());
    if (mpz_cmp(out.get(), bound.get()) < 0) break;
  }
  sodium_memzero(buf.data(), buf.size());
  return out;
}

WipedLimbs SecretRemainder(const BigInt& x, size_t x_limbs, const BigInt& m) {
  const auto dn = static_cast<mp_size_t>(mpz_size(m.get()));
  if (dn == 0 || mpz_sgn(x.get()) < 0 || mpz_size(x.get()) > x_limbs) {
    RequirementFailed("SecretRemainder needs m > 0 and 0 <= x < 2^(64 x_limbs)");
  }
  const auto nn = std::max(static_cast<mp_size_t>(x_limbs), dn);
  WipedLimbs n(static_cast<size_t>(nn), 0);
  std::copy(mpz_limbs_read(x.get()), mpz_limbs_read(x.get()) + mpz_size(x.get()), n.begin());
  WipedLimbs scratch(static_cast<size_t>(mpn_sec_div_r_itch(nn, dn)));
  mpn_sec_div_r(n.data(), nn, mpz_limbs_read(m.get()), dn, scratch.data());
  n.resize(static_cast<size_t>(dn));
  return n;
}

BigInt RandomUnit(const BigInt& m) {
  if (mpz_cmp_ui(m.get(), 1) <= 0) RequirementFailed("RandomUnit needs m > 1");
  BigInt x, g;
  for (;;) {
    x = RandomBelow(m);
    if (mpz_sgn(x.get()) == 0) continue;
    mpz_gcd(g.get(), x.get(), m.get());
    if (mpz_cmp_ui(g.get(), 1) == 0) return x;
  }
}

std::vector<unsigned long> OddPrimesBelow(unsigned long limit) {
  std::vector<bool> composite(limit, false);
  std::vector<unsigned long> primes;
  for (unsigned long i = 3; i < limit; i += 2) {
    if (composite[i]) continue;
    primes.push_back(i);
    for (unsigned long j = i * i; j < limit; j += 2 * i) composite[j] = true;
  }
  return primes;
}

}  // namespace cipherstat::crypto
