// Paillier encryption arithmetic for one encryption per GPU thread, written once for two
// compilers: as CUDA device code (clang -x cuda → PTX, loaded through the driver at run time)
// and as ordinary C++, which is how the tests compare it with GMP on a machine without a GPU.
//
// Numbers are little-endian arrays of 32-bit limbs (the GPU's native word), L of them for the
// modulus N (n² for DJN: 128 limbs for 2048-bit n; p² or q² for CRT encryption: 64).
// Products are Montgomery products, R = 2^(32·L), by CIOS (coarsely integrated operand
// scanning) with a branch-free final subtraction. The limb count L is a compile-time constant
// (one kernel per key size): the inner loops unroll fully and the product's running sum stays
// in registers instead of local memory, which a loop over a run-time count would force.
//
// Two operations:
// - DjnEncrypt, for `encrypt --mode djn`:
// DJN's h_s^a is a product of table entries T[j][d] = h_s^(d·64^j)·R mod N, one per 6-bit
// window d of the secret exponent a (crypto/djn.h). The entry is chosen by reading all 64
// entries of the row and keeping one under a mask, so no address depends on a: on a GPU shared
// with others, a table lookup indexed by secret bits is a timing channel through the caches.
// The table (3 MB at 2048 bits) sits in L2 on the GPUs this is meant for, and every thread of a
// warp reads the same entry at the same step, so the full scans are broadcast loads from L2.
// - PowMod, for standard (CRT) encryption: x = s^e mod N with a secret base s per thread and an
// exponent e shared by the launch (the prime p, with N = p²: secret too). Left-to-right with
// 4-bit windows over a per-thread table of s^0..s^15, each entry chosen by the same masked scan
// and the window count fixed by the exponent's byte length, so neither time nor addresses
// depend on e or s.
//
// gpu_group_kernel.h does the same with each number split over a group of threads, and shares
// this file's pieces (MulWide, MultiplyAdd, ExponentWindow). crypto/gpu_encrypt.h runs them
// through the driver; gpu_kernel.cu holds the CUDA entry points.
#pragma once

#include <cstdint>

#if defined(__CUDA__)
#define CS_GPU_FN __attribute__((device)) inline
// Inlined even where clang would not: a caller's arrays passed by reference stay in registers
// only if the callee is inlined (else they live in local memory behind a pointer).
#define CS_GPU_INLINE __attribute__((device, always_inline)) inline
// Fully unrolled loops over a compile-time limb count turn the arrays they index into
// registers; the loop over a product's rows stays a loop.
#define CS_UNROLL _Pragma("unroll")
#define CS_NO_UNROLL _Pragma("unroll 1")
#else
#define CS_GPU_FN inline
#define CS_GPU_INLINE inline
#define CS_UNROLL
#define CS_NO_UNROLL
#endif

namespace cipherstat::gpu {

inline constexpr int kWindowBits = 6;  // DJN's fixed-base table
inline constexpr int kWindowEntries = 1 << kWindowBits;
inline constexpr int kPowWindowBits = 4;  // PowMod's per-thread table
inline constexpr int kPowEntries = 1 << kPowWindowBits;
// The limb counts the kernels are built for (gpu_kernel.cu): N = n² for 2048- and 3072-bit n
// (DJN), N = p² for the same keys (PowMod). A smaller N runs in the next size up: Montgomery
// arithmetic needs N < R only.
inline constexpr int kDjnLimbs[] = {128, 192};
inline constexpr int kPowLimbs[] = {64, 96};

// −N⁻¹ mod 2^32, for N odd (Newton's iteration, host or device).
CS_GPU_FN uint32_t MontgomeryFactor(uint32_t n0) {
  uint32_t inv = n0;  // correct to 3 bits for odd n0
  for (int i = 0; i < 4; ++i) inv *= 2 - n0 * inv;
  return 0u - inv;
}

// a·b as 64 bits: on the GPU one mul.wide.u32, which clang does not always find by itself in
// unrolled code (it emitted 64-bit products of masked operands, several instructions each).
CS_GPU_FN uint64_t MulWide(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  uint64_t product;
  asm("mul.wide.u32 %0, %1, %2;" : "=l"(product) : "r"(a), "r"(b));
  return product;
#else
  return static_cast<uint64_t>(a) * b;
#endif
}

// t += w·x over K limbs; returns the carry out of the top limb.
template <int K>
CS_GPU_INLINE uint64_t MultiplyAdd(uint32_t* t, uint32_t w, const uint32_t* x) {
  uint64_t carry = 0;
  CS_UNROLL
  for (int j = 0; j < K; ++j) {
    const uint64_t s = MulWide(w, x[j]) + t[j] + carry;
    t[j] = static_cast<uint32_t>(s);
    carry = s >> 32;
  }
  return carry;
}

// out = a·b·R⁻¹ mod N for a, b < N < R = 2^(32·L); out may alias neither. Time and memory
// accesses depend on L only. The running sum t is indexed only by unrolled loops, so on the
// GPU it stays in registers; a, b and N are read limb by limb.
template <int L>
CS_GPU_FN void MontgomeryMultiply(uint32_t* out, const uint32_t* a, const uint32_t* b,
                                  const uint32_t* n, uint32_t n_factor) {
  uint32_t t[L + 2];
  CS_UNROLL
  for (int i = 0; i < L + 2; ++i) t[i] = 0;
  CS_NO_UNROLL
  for (int i = 0; i < L; ++i) {
    // t += a[i]·b
    uint64_t s = static_cast<uint64_t>(t[L]) + MultiplyAdd<L>(t, a[i], b);
    t[L] = static_cast<uint32_t>(s);
    t[L + 1] = static_cast<uint32_t>(s >> 32);
    // t = (t + m·N) / 2^32 with m making the low limb zero
    const uint32_t m = t[0] * n_factor;
    s = MulWide(m, n[0]) + t[0];
    uint64_t carry = s >> 32;
    CS_UNROLL
    for (int j = 1; j < L; ++j) {
      s = MulWide(m, n[j]) + t[j] + carry;
      t[j - 1] = static_cast<uint32_t>(s);
      carry = s >> 32;
    }
    s = static_cast<uint64_t>(t[L]) + carry;
    t[L - 1] = static_cast<uint32_t>(s);
    t[L] = t[L + 1] + static_cast<uint32_t>(s >> 32);
  }
  // t < 2N: subtract N, keep the difference unless it borrowed (and t had no top limb).
  uint64_t borrow = 0;
  CS_UNROLL
  for (int j = 0; j < L; ++j) {
    const uint64_t d = static_cast<uint64_t>(t[j]) - n[j] - borrow;
    out[j] = static_cast<uint32_t>(d);
    borrow = (d >> 32) & 1;
  }
  const uint32_t top_set = (t[L] | (0u - t[L])) >> 31;  // 1 iff t[L] != 0
  const uint32_t keep_t = static_cast<uint32_t>(borrow) & (top_set ^ 1u);
  const uint32_t mask = 0u - keep_t;  // all ones: t was already below N
  CS_UNROLL
  for (int j = 0; j < L; ++j) out[j] = (t[j] & mask) | (out[j] & ~mask);
}

// out = row[digit], reading every one of the row's `entries` entries of L limbs.
template <int L>
CS_GPU_FN void SelectEntry(uint32_t* out, const uint32_t* row, int entries, uint32_t digit) {
  CS_UNROLL
  for (int j = 0; j < L; ++j) out[j] = 0;
  CS_NO_UNROLL
  for (uint32_t d = 0; d < static_cast<uint32_t>(entries); ++d) {
    const uint32_t mask = 0u - static_cast<uint32_t>(d == digit);
    const uint32_t* entry = row + static_cast<uint64_t>(d) * static_cast<uint64_t>(L);
    CS_UNROLL
    for (int j = 0; j < L; ++j) out[j] |= entry[j] & mask;
  }
}

// The `w`-th window of `bits` bits (at most 8) of the little-endian exponent bytes (zero past
// the end).
CS_GPU_FN uint32_t ExponentWindow(const uint8_t* a, int a_bytes, int w, int bits) {
  const int bit = w * bits;
  uint32_t v = 0;
  for (int k = 0; k < 2; ++k) {  // a window spans at most two bytes
    const int byte = bit / 8 + k;
    if (byte < a_bytes) v |= static_cast<uint32_t>(a[byte]) << (8 * k);
  }
  return (v >> (bit % 8)) & ((1u << bits) - 1);
}

template <int L>
CS_GPU_FN void Copy(uint32_t* out, const uint32_t* in) {
  CS_UNROLL
  for (int j = 0; j < L; ++j) out[j] = in[j];
}

// out = (1 + m·n)·h_s^a mod N, normal form. `table` holds `windows` rows of kWindowEntries
// Montgomery-form entries; `one_r` is R mod N; `g_m` is 1 + m·n mod N in normal form.
template <int L>
CS_GPU_FN void DjnEncrypt(uint32_t* out, const uint32_t* table, int windows, const uint8_t* a,
                          int a_bytes, const uint32_t* g_m, const uint32_t* one_r,
                          const uint32_t* n, uint32_t n_factor) {
  uint32_t acc[L], entry[L], next[L];
  Copy<L>(acc, one_r);
  CS_NO_UNROLL
  for (int w = 0; w < windows; ++w) {
    const uint32_t* row =
        table + static_cast<uint64_t>(w) * kWindowEntries * static_cast<uint64_t>(L);
    SelectEntry<L>(entry, row, kWindowEntries, ExponentWindow(a, a_bytes, w, kWindowBits));
    MontgomeryMultiply<L>(next, acc, entry, n, n_factor);
    Copy<L>(acc, next);
  }
  // acc = h_s^a·R; one more product with g_m (normal form) leaves g_m·h_s^a, normal form.
  MontgomeryMultiply<L>(out, acc, g_m, n, n_factor);
}

// out = s^e mod N, normal form, for s < N. `r2` is R² mod N and `one_r` R mod N; `e` has
// e_bytes little-endian bytes, all of whose bits are processed (time depends on e_bytes only).
template <int L>
CS_GPU_FN void PowMod(uint32_t* out, const uint32_t* s, const uint8_t* e, int e_bytes,
                      const uint32_t* r2, const uint32_t* one_r, const uint32_t* n,
                      uint32_t n_factor) {
  uint32_t table[kPowEntries * L], acc[L], next[L], entry[L];
  // table[d] = s^d·R mod N
  Copy<L>(table, one_r);
  MontgomeryMultiply<L>(table + L, s, r2, n, n_factor);
  CS_NO_UNROLL
  for (int d = 2; d < kPowEntries; ++d) {
    MontgomeryMultiply<L>(table + d * L, table + (d - 1) * L, table + L, n, n_factor);
  }
  Copy<L>(acc, one_r);
  CS_NO_UNROLL
  for (int w = e_bytes * 8 / kPowWindowBits - 1; w >= 0; --w) {
    CS_NO_UNROLL
    for (int k = 0; k < kPowWindowBits; ++k) {
      MontgomeryMultiply<L>(next, acc, acc, n, n_factor);
      Copy<L>(acc, next);
    }
    SelectEntry<L>(entry, table, kPowEntries, ExponentWindow(e, e_bytes, w, kPowWindowBits));
    MontgomeryMultiply<L>(next, acc, entry, n, n_factor);
    Copy<L>(acc, next);
  }
  // acc = s^e·R; a product with 1 leaves s^e in normal form.
  CS_UNROLL
  for (int j = 0; j < L; ++j) entry[j] = j == 0 ? 1u : 0u;
  MontgomeryMultiply<L>(out, acc, entry, n, n_factor);
}

}  // namespace cipherstat::gpu
