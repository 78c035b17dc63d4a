#include "crypto/ifma.h"

#include <immintrin.h>
#include <sodium.h>

#include <algorithm>
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
// terms per round over L rounds, 4·L·2^52 < 2^62 for L <= kMaxLimbs, so nothing overflows
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

// 2^bits mod m without secret-dependent branches, since m may be p² or q².
BigInt PowerOfTwoMod(size_t bits, const BigInt& m) {
  BigInt power;
  mpz_setbit(power.get(), bits);
  const WipedLimbs limbs = SecretRemainder(power, mpz_size(power.get()), m);
  BigInt out;
  mpz_import(out.get(), limbs.size(), -1, sizeof(mp_limb_t), 0, 0, limbs.data());
  return out;
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

IfmaModulus::IfmaModulus(const BigInt& modulus, Secrecy secrecy)
    : modulus_(modulus),
      limbs_((mpz_sizeinbase(modulus.get(), 2) + 2 + 51) / 52),
      secrecy_(secrecy) {
  n_.resize(limbs_);
  const size_t k = mpz_size(modulus_.get());
  for (size_t lane = 0; lane < kLanes; ++lane)
    SetLane(n_.data(), lane, mpz_limbs_read(modulus_.get()), k);
  // N^−1 mod 2^64 by Newton's iteration (each step doubles the correct low bits).
  const uint64_t n0 = mpz_getlimbn(modulus_.get(), 0);
  uint64_t inv = n0;
  for (int i = 0; i < 5; ++i) inv *= 2 - n0 * inv;
  k0_ = (0 - inv) & kMask52;
  r_mod_n_ = PowerOfTwoMod(52 * limbs_, modulus_);
  if (secrecy_ == Secrecy::kPublic) mpz_invert(r_inverse_.get(), r_mod_n_.get(), modulus_.get());
  const BigInt r_squared = PowerOfTwoMod(2 * 52 * limbs_, modulus_);
  r_squared_.resize(limbs_);
  one_.resize(limbs_);
  const mp_limb_t one = 1;
  for (size_t lane = 0; lane < kLanes; ++lane) {
    SetLane(r_squared_.data(), lane, mpz_limbs_read(r_squared.get()), mpz_size(r_squared.get()));
    SetLane(one_.data(), lane, &one, 1);
  }
}

IfmaModulus::~IfmaModulus() {
  if (secrecy_ == Secrecy::kSecret) {
    sodium_memzero(n_.data(), n_.size() * sizeof(LaneBlock));
    sodium_memzero(&k0_, sizeof(k0_));
  }
}

void IfmaModulus::Multiply(LaneBlock* out, const LaneBlock* a, const LaneBlock* b) const {
  Multiply8(out, a, b, n_.data(), k0_, limbs_);
}

void IfmaModulus::SetLane(LaneBlock* out, size_t lane, const mp_limb_t* x, size_t k) const {
  SetLaneLimbs(out, lane, x, k, limbs_);
}

BigInt IfmaModulus::GetLane(const LaneBlock* in, size_t lane) const {
  std::vector<mp_limb_t> x((52 * limbs_ + 63) / 64);
  ExportLane(in, limbs_, lane, x.data(), x.size());
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
  if (e < 0 && secrecy_ == Secrecy::kSecret) std::abort();  // no inverse kept: a caller's bug
  const uint64_t magnitude = e < 0 ? static_cast<uint64_t>(-e) : static_cast<uint64_t>(e);
  mpz_powm_ui(out.get(), e < 0 ? r_inverse_.get() : r_mod_n_.get(), magnitude, modulus_.get());
  return out;
}

namespace {

constexpr size_t kWindowBits = 5;
constexpr size_t kWindowEntries = size_t{1} << kWindowBits;

// Bits [pos, pos + kWindowBits) of the e_bits-bit exponent e. Which limbs are read depends on
// pos and e_bits only.
uint64_t ExponentWindow(const mp_limb_t* e, size_t e_bits, size_t pos) {
  const size_t word = pos / 64, shift = pos % 64, words = (e_bits + 63) / 64;
  uint64_t bits = e[word] >> shift;
  if (shift + kWindowBits > 64 && word + 1 < words) bits |= e[word + 1] << (64 - shift);
  const size_t width = std::min(kWindowBits, e_bits - pos);
  return bits & ((uint64_t{1} << width) - 1);
}

// out = table entry `index` (the same in every lane) of `entries` entries of `limbs` blocks.
__attribute__((target("avx512f"))) void SelectSame(LaneBlock* out, const LaneBlock* table,
                                                   size_t entries, size_t limbs, uint64_t index) {
  const __m512i wanted = _mm512_set1_epi64(static_cast<long long>(index));
  for (size_t i = 0; i < limbs; ++i) _mm512_store_si512(out[i].v, _mm512_setzero_si512());
  for (size_t d = 0; d < entries; ++d) {
    const __mmask8 take =
        _mm512_cmpeq_epi64_mask(wanted, _mm512_set1_epi64(static_cast<long long>(d)));
    const LaneBlock* entry = table + d * limbs;
    for (size_t i = 0; i < limbs; ++i) {
      const __m512i x = _mm512_load_si512(out[i].v);
      _mm512_store_si512(out[i].v, _mm512_mask_mov_epi64(x, take, _mm512_load_si512(entry[i].v)));
    }
  }
}

}  // namespace

void IfmaModulus::ToMontgomery(LaneBlock* out, const LaneBlock* a) const {
  Multiply(out, a, r_squared_.data());
}

void IfmaModulus::FromMontgomery(LaneBlock* out, const LaneBlock* a) const {
  // a·1·R^−1 = (a + m·N)/R < (2N + R·N)/R: at most N, and N only for a ≡ 0.
  Multiply(out, a, one_.data());
}

void IfmaModulus::PowSecret(LaneBlock* out, const LaneBlock* base, const mp_limb_t* e,
                            size_t e_bits) const {
  const size_t l = limbs_;
  SecretLanes table(kWindowEntries * l), acc(l), pick(l);
  SetOne(table.data());
  std::copy(base, base + l, table.begin() + static_cast<ptrdiff_t>(l));
  for (size_t d = 2; d < kWindowEntries; ++d)
    Multiply(table.data() + d * l, table.data() + (d - 1) * l, base);
  const size_t windows = (e_bits + kWindowBits - 1) / kWindowBits;
  SelectSame(acc.data(), table.data(), kWindowEntries, l,
             ExponentWindow(e, e_bits, (windows - 1) * kWindowBits));
  for (size_t w = windows - 1; w-- > 0;) {
    for (size_t i = 0; i < kWindowBits; ++i) Multiply(acc.data(), acc.data(), acc.data());
    SelectSame(pick.data(), table.data(), kWindowEntries, l,
               ExponentWindow(e, e_bits, w * kWindowBits));
    Multiply(acc.data(), acc.data(), pick.data());
  }
  std::copy(acc.begin(), acc.end(), out);
}

__attribute__((target("avx512f,avx512ifma"))) void MultiplyLanes(LaneBlock* out, const LaneBlock* a,
                                                                 size_t la, const LaneBlock* b,
                                                                 size_t lb) {
  // Column sums gather at most 2·min(la, lb) terms below 2^52: below 2^61.
  __m512i t[2 * IfmaModulus::kMaxLimbs];
  const __m512i zero = _mm512_setzero_si512();
  for (size_t i = 0; i < la + lb; ++i) t[i] = zero;
  for (size_t i = 0; i < la; ++i) {
    const __m512i ai = _mm512_load_si512(a[i].v);
    for (size_t j = 0; j < lb; ++j) {
      const __m512i bj = _mm512_load_si512(b[j].v);
      t[i + j] = _mm512_madd52lo_epu64(t[i + j], ai, bj);
      t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], ai, bj);
    }
  }
  const __m512i mask = _mm512_set1_epi64(static_cast<long long>(kMask52));
  __m512i carry = zero;
  for (size_t i = 0; i < la + lb; ++i) {
    const __m512i x = _mm512_add_epi64(t[i], carry);
    carry = ShiftDown52(x);
    _mm512_store_si512(out[i].v, _mm512_and_si512(x, mask));
  }
}

__attribute__((target("avx512f"))) void AddSubtractLanes(LaneBlock* out, const LaneBlock* a,
                                                         const LaneBlock* b, const LaneBlock* c,
                                                         size_t limbs) {
  const __m512i mask = _mm512_set1_epi64(static_cast<long long>(kMask52));
  __m512i carry = _mm512_setzero_si512();  // −1, 0 or 1 per lane
  for (size_t i = 0; i < limbs; ++i) {
    __m512i x = _mm512_add_epi64(_mm512_load_si512(a[i].v), _mm512_load_si512(b[i].v));
    x = _mm512_add_epi64(_mm512_sub_epi64(x, _mm512_load_si512(c[i].v)), carry);
    carry = reinterpret_cast<__m512i>(reinterpret_cast<__v8di>(x) >> 52);  // floor(x / 2^52)
    _mm512_store_si512(out[i].v, _mm512_and_si512(x, mask));
  }
}

__attribute__((target("avx512f"))) void SelectPerLane(LaneBlock* out, const uint64_t* entries,
                                                      size_t count, size_t limbs,
                                                      const uint64_t index[IfmaModulus::kLanes]) {
  // Per limb, the entries' values sit in count/8 vectors: vpermi2q picks, in every lane, entry
  // (index mod 16) of each group of 16 — a register shuffle whose time does not depend on the
  // indices — and a masked move keeps the group index/16 names. Every entry is loaded.
  const __m512i wanted = _mm512_loadu_si512(index);
  const __m512i within = _mm512_and_si512(wanted, _mm512_set1_epi64(15));
  const __m512i group_of = reinterpret_cast<__m512i>(reinterpret_cast<__v8du>(wanted) >> 4);
  const size_t groups = count / 16;
  __mmask8 take[kMaxSelectEntries / 16];  // secret: which lanes take group g
  for (size_t g = 0; g < groups; ++g) {
    take[g] = _mm512_cmpeq_epi64_mask(group_of, _mm512_set1_epi64(static_cast<long long>(g)));
  }
  for (size_t i = 0; i < limbs; ++i) {
    const uint64_t* row = entries + i * count;
    __m512i x = _mm512_setzero_si512();
    for (size_t g = 0; g < groups; ++g) {
      const __m512i low = _mm512_loadu_si512(row + 16 * g);
      const __m512i high = _mm512_loadu_si512(row + 16 * g + 8);
      x = _mm512_mask_mov_epi64(x, take[g], _mm512_permutex2var_epi64(low, within, high));
    }
    _mm512_store_si512(out[i].v, x);
  }
  sodium_memzero(take, sizeof(take));
}

void SetLaneLimbs(LaneBlock* out, size_t lane, const mp_limb_t* x, size_t k, size_t limbs) {
  uint64_t digits[2 * IfmaModulus::kMaxLimbs];
  ToLimbs52(x, k, digits, limbs);
  for (size_t i = 0; i < limbs; ++i) out[i].v[lane] = digits[i];
  sodium_memzero(digits, limbs * sizeof(uint64_t));  // x may be secret (p², a random base)
}

void ToLimbs52(const mp_limb_t* x, size_t k, uint64_t* out, size_t limbs) {
  for (size_t i = 0; i < limbs; ++i) {
    const size_t bit = 52 * i, word = bit / 64, shift = bit % 64;
    uint64_t limb = word < k ? x[word] >> shift : 0;
    if (shift > 12 && word + 1 < k) limb |= x[word + 1] << (64 - shift);
    out[i] = limb & kMask52;
  }
}

void ExportLane(const LaneBlock* in, size_t limbs, size_t lane, mp_limb_t* out, size_t k) {
  std::fill(out, out + k, 0);
  for (size_t i = 0; i < limbs; ++i) {
    const size_t bit = 52 * i, word = bit / 64, shift = bit % 64;
    const uint64_t limb = in[i].v[lane];
    if (word < k) out[word] |= limb << shift;
    if (shift > 12 && word + 1 < k) out[word + 1] |= limb >> (64 - shift);
  }
}

}  // namespace cipherstat::crypto
