#include "crypto/ifma.h"

#include <immintrin.h>

#include <cstdlib>
#include <cstring>

namespace cipherstat::crypto {

namespace {

constexpr uint64_t kMask52 = (uint64_t{1} << 52) - 1;

// x >> 52 per lane, as a vector-extension shift: GCC 12's _mm512_srli_epi64 trips
// -Wmaybe-uninitialized inside its own header.
__attribute__((target("avx512f"))) inline __m512i ShiftDown52(__m512i x) {
  return reinterpret_cast<__m512i>(reinterpret_cast<__v8du>(x) >> 52);
}

// Word-by-word Montgomery multiplication, eight lanes per instruction. T holds the running
// sum in redundant form (limbs above 52 bits): each round adds a·b_i and m·N, where m makes
// limb 0 vanish mod 2^52, then shifts T down one limb. A limb gathers at most four 52-bit
// terms per round over L rounds, 4·L·2^52 < 2^61 for L <= kMaxLimbs, so nothing overflows
// before the single carry pass at the end.
__attribute__((target("avx512f,avx512ifma"))) void Multiply8(LaneBlock* out, const LaneBlock* a,
                                                             const LaneBlock* b, const LaneBlock* n,
                                                             uint64_t k0, size_t limbs) {
  __m512i t[IfmaModulus::kMaxLimbs];
  const __m512i zero = _mm512_setzero_si512();
  for (size_t j = 0; j < limbs; ++j) t[j] = zero;
  const __m512i k0v = _mm512_set1_epi64(static_cast<long long>(k0));
  for (size_t i = 0; i < limbs; ++i) {
    const __m512i bi = _mm512_load_si512(b[i].v);
    __m512i a_prev = _mm512_load_si512(a[0].v);
    __m512i n_prev = _mm512_load_si512(n[0].v);
    __m512i t0 = _mm512_madd52lo_epu64(t[0], a_prev, bi);
    const __m512i m = _mm512_madd52lo_epu64(zero, t0, k0v);
    t0 = _mm512_madd52lo_epu64(t0, n_prev, m);
    const __m512i carry = ShiftDown52(t0);  // t0 ≡ 0 mod 2^52 now
    for (size_t j = 1; j < limbs; ++j) {
      const __m512i aj = _mm512_load_si512(a[j].v);
      const __m512i nj = _mm512_load_si512(n[j].v);
      __m512i x = t[j];
      x = _mm512_madd52lo_epu64(x, aj, bi);
      x = _mm512_madd52lo_epu64(x, nj, m);
      x = _mm512_madd52hi_epu64(x, a_prev, bi);
      x = _mm512_madd52hi_epu64(x, n_prev, m);
      t[j - 1] = x;
      a_prev = aj;
      n_prev = nj;
    }
    t[0] = _mm512_add_epi64(t[0], carry);
    const __m512i top = _mm512_madd52hi_epu64(zero, a_prev, bi);
    t[limbs - 1] = _mm512_madd52hi_epu64(top, n_prev, m);
  }
  const __m512i mask = _mm512_set1_epi64(static_cast<long long>(kMask52));
  __m512i carry = zero;
  for (size_t j = 0; j < limbs; ++j) {
    const __m512i x = _mm512_add_epi64(t[j], carry);
    carry = ShiftDown52(x);
    _mm512_store_si512(out[j].v, _mm512_and_si512(x, mask));
  }
}

}  // namespace

bool IfmaModulus::Available() {
  static const bool available = [] {
    const char* off = std::getenv("CIPHERSTAT_NO_IFMA");
    if (off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma");
  }();
  return available;
}

IfmaModulus::IfmaModulus(const BigInt& modulus)
    : modulus_(modulus), limbs_((mpz_sizeinbase(modulus.get(), 2) + 2 + 51) / 52) {
  n_.resize(limbs_);
  const size_t k = mpz_size(modulus_.get());
  for (size_t lane = 0; lane < kLanes; ++lane)
    SetLane(n_.data(), lane, mpz_limbs_read(modulus_.get()), k);
  // N^−1 mod 2^64 by Newton's iteration (each step doubles the correct low bits).
  const uint64_t n0 = mpz_getlimbn(modulus_.get(), 0);
  uint64_t inv = n0;
  for (int i = 0; i < 5; ++i) inv *= 2 - n0 * inv;
  k0_ = (0 - inv) & kMask52;
  mpz_setbit(r_mod_n_.get(), 52 * limbs_);
  mpz_mod(r_mod_n_.get(), r_mod_n_.get(), modulus_.get());
  mpz_invert(r_inverse_.get(), r_mod_n_.get(), modulus_.get());  // public values: N = n²
}

void IfmaModulus::Multiply(LaneBlock* out, const LaneBlock* a, const LaneBlock* b) const {
  Multiply8(out, a, b, n_.data(), k0_, limbs_);
}

void IfmaModulus::SetLane(LaneBlock* out, size_t lane, const mp_limb_t* x, size_t k) const {
  for (size_t i = 0; i < limbs_; ++i) {
    const size_t bit = 52 * i, word = bit / 64, shift = bit % 64;
    uint64_t limb = word < k ? x[word] >> shift : 0;
    if (shift > 12 && word + 1 < k) limb |= x[word + 1] << (64 - shift);
    out[i].v[lane] = limb & kMask52;
  }
}

BigInt IfmaModulus::GetLane(const LaneBlock* in, size_t lane) const {
  const size_t words = (52 * limbs_ + 63) / 64;
  std::vector<mp_limb_t> x(words + 1, 0);
  for (size_t i = 0; i < limbs_; ++i) {
    const size_t bit = 52 * i, word = bit / 64, shift = bit % 64;
    const uint64_t limb = in[i].v[lane];
    x[word] |= limb << shift;
    if (shift > 12) x[word + 1] |= limb >> (64 - shift);
  }
  BigInt out;
  mpz_import(out.get(), x.size(), -1, sizeof(mp_limb_t), 0, 0, x.data());
  mpz_mod(out.get(), out.get(), modulus_.get());
  return out;
}

void IfmaModulus::SetOne(LaneBlock* out, size_t first_lane) const {
  const size_t k = mpz_size(r_mod_n_.get());
  for (size_t lane = first_lane; lane < kLanes; ++lane)
    SetLane(out, lane, mpz_limbs_read(r_mod_n_.get()), k);
}

BigInt IfmaModulus::RPower(int64_t e) const {
  BigInt out;
  const uint64_t magnitude = e < 0 ? static_cast<uint64_t>(-e) : static_cast<uint64_t>(e);
  mpz_powm_ui(out.get(), e < 0 ? r_inverse_.get() : r_mod_n_.get(), magnitude, modulus_.get());
  return out;
}

}  // namespace cipherstat::crypto
