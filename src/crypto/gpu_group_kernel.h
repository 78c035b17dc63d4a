// The GPU kernels' arithmetic with each number split across a group of TPI threads (in the
// spirit of NVlabs' CGBN): a thread holds LPT = L/TPI limbs of every operand in registers, and
// the threads of a group exchange limbs with warp shuffles. One thread per encryption
// (gpu_kernel.h) keeps only the running sum in registers and reads its operands from local
// memory; a group keeps everything in registers, runs TPI times as many threads at once with
// fewer registers each, and scans a TPI-th of each table entry per thread.
//
// The same source is C++ for two machines. On a GPU each thread runs the code for its own lane
// and holds one lane's limbs ([1][LPT] arrays). On the CPU (tests, the stub driver) one call runs
// the whole group: the arrays are [TPI][LPT], CS_FOR_LANE loops over the lanes, and the
// collective steps (Broadcast, FromNext, FromPrevious) move limbs between lanes as the shuffles
// do. Code inside a CS_FOR_LANE block touches only its own lane; collectives sit between blocks.
//
// Montgomery product, CIOS distributed over the group. Lane k holds limbs [k·LPT, (k+1)·LPT) of
// the running sum t and a spill word c_k at limb (k+1)·LPT. Per row i: a_i is broadcast from its
// lane; every lane adds a_i·b and then m·N to its limbs, carrying out of its top into c_k; m comes
// from lane 0's low limb; then t shifts down one limb: lane k's new top limb is lane k+1's old
// low limb plus c_k (both sat at limb (k+1)·LPT − 1 after the shift), the overflow staying in c_k.
// After the rows, TPI rounds pass each spill up one lane (the last lane's into the top word), and
// the conditional subtraction of N resolves its borrows across lanes in TPI more rounds. Every
// round and every shuffle runs whatever the values: time does not depend on the operands.
#pragma once

#include <cstdint>

#include "crypto/gpu_kernel.h"

namespace cipherstat::gpu {

#if defined(__CUDA_ARCH__)
inline constexpr bool kOnGpu = true;
#else
inline constexpr bool kOnGpu = false;
#endif

// Threads per encryption of the group kernels (gpu_kernel.cu): 16 or 24 limbs per thread for
// 2048- and 3072-bit keys, DJN's N = n² over 8, CRT's p² over 4.
inline constexpr int kDjnLanes = 8;
inline constexpr int kPowLanes = 4;

// The lanes a caller's arrays hold: one on the GPU, the whole group on the CPU.
template <int TPI>
inline constexpr int kHere = kOnGpu ? 1 : TPI;

#if defined(__CUDA_ARCH__)
// This thread's lane in its group (groups are TPI consecutive threads; blocks hold whole groups).
template <int TPI>
CS_GPU_FN int GroupLane() {
  return static_cast<int>(__nvvm_read_ptx_sreg_tid_x() % TPI);
}
#define CS_FOR_LANE(TPI) for (int h = 0, lane = GroupLane<TPI>(); h < 1; ++h)

// The shuffles over segments of TPI lanes (PTX shfl.sync, all 32 threads of the warp taking
// part): c packs the segment mask (32 − TPI) << 8 and, for idx and down, the clamp 0x1f.
template <int TPI>
CS_GPU_FN uint32_t ShuffleIndex(uint32_t v, int src) {
  uint32_t out;
  asm volatile("shfl.sync.idx.b32 %0, %1, %2, %3, %4;"
               : "=r"(out)
               : "r"(v), "r"(src), "r"(((32 - TPI) << 8) | 0x1f), "r"(0xffffffffu));
  return out;
}
template <int TPI>
CS_GPU_FN uint32_t ShuffleDown(uint32_t v) {
  uint32_t out;
  asm volatile("shfl.sync.down.b32 %0, %1, 1, %2, %3;"
               : "=r"(out)
               : "r"(v), "r"(((32 - TPI) << 8) | 0x1f), "r"(0xffffffffu));
  return out;
}
template <int TPI>
CS_GPU_FN uint32_t ShuffleUp(uint32_t v) {
  uint32_t out;
  asm volatile("shfl.sync.up.b32 %0, %1, 1, %2, %3;"
               : "=r"(out)
               : "r"(v), "r"((32 - TPI) << 8), "r"(0xffffffffu));
  return out;
}
#else
#define CS_FOR_LANE(TPI) for (int h = 0, lane = 0; h < (TPI); ++h, ++lane)
#endif

// x (one word per lane) becomes lane src's word in every lane.
template <int TPI>
CS_GPU_INLINE void Broadcast(uint32_t (&x)[kHere<TPI>], int src) {
#if defined(__CUDA_ARCH__)
  x[0] = ShuffleIndex<TPI>(x[0], src);
#else
  const uint32_t v = x[src];
  for (int l = 0; l < TPI; ++l) x[l] = v;
#endif
}

// Each lane's x becomes the next lane's, 0 in the last lane.
template <int TPI>
CS_GPU_INLINE void FromNext(uint32_t (&x)[kHere<TPI>]) {
#if defined(__CUDA_ARCH__)
  const uint32_t v = ShuffleDown<TPI>(x[0]);
  x[0] = GroupLane<TPI>() == TPI - 1 ? 0u : v;
#else
  for (int l = 0; l < TPI - 1; ++l) x[l] = x[l + 1];
  x[TPI - 1] = 0;
#endif
}

// Each lane's x becomes the previous lane's, 0 in lane 0.
template <int TPI>
CS_GPU_INLINE void FromPrevious(uint32_t (&x)[kHere<TPI>]) {
#if defined(__CUDA_ARCH__)
  const uint32_t v = ShuffleUp<TPI>(x[0]);
  x[0] = GroupLane<TPI>() == 0 ? 0u : v;
#else
  for (int l = TPI - 1; l > 0; --l) x[l] = x[l - 1];
  x[0] = 0;
#endif
}

// A number split over the group: lane k's limbs [k·LPT, (k+1)·LPT), for the lanes held here.
template <int TPI, int LPT>
struct Split {
  uint32_t limb[kHere<TPI>][LPT];
};

template <int TPI, int LPT>
CS_GPU_INLINE void Load(Split<TPI, LPT>* x, const uint32_t* from) {
  CS_FOR_LANE(TPI) {
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) x->limb[h][j] = from[lane * LPT + j];
  }
}

// Writes x to `to`, or nothing if it is null (a group past the batch's end, which computes
// only to take part in its warp's shuffles).
template <int TPI, int LPT>
CS_GPU_INLINE void Store(uint32_t* to, const Split<TPI, LPT>& x) {
  if (to == nullptr) return;
  CS_FOR_LANE(TPI) {
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) to[lane * LPT + j] = x.limb[h][j];
  }
}

// out = a·b·R⁻¹ mod N for a, b < N < R = 2^(32·TPI·LPT); out may alias neither.
template <int TPI, int LPT>
CS_GPU_INLINE void GroupMultiply(Split<TPI, LPT>* out, const Split<TPI, LPT>& a,
                                 const Split<TPI, LPT>& b, const Split<TPI, LPT>& n,
                                 uint32_t n_factor) {
  constexpr int H = kHere<TPI>;
  // A spill takes two carries per row on top of what it held (below 4 after each shift): 64 bits.
  uint32_t t[H][LPT], word[H];
  uint64_t spill[H];
  CS_FOR_LANE(TPI) {
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) t[h][j] = 0;
    spill[h] = 0;
  }
  CS_NO_UNROLL
  for (int src = 0; src < TPI; ++src) {
    CS_UNROLL
    for (int k = 0; k < LPT; ++k) {
      // a_i, i = src·LPT + k, from its lane; t += a_i·b
      CS_FOR_LANE(TPI) { word[h] = a.limb[h][k]; }
      Broadcast<TPI>(word, src);
      CS_FOR_LANE(TPI) {
        spill[h] += MultiplyAdd<LPT>(t[h], word[h], b.limb[h]);
        word[h] = t[h][0] * n_factor;  // m, meaningful in lane 0
      }
      Broadcast<TPI>(word, 0);
      // t += m·N: lane 0's low limb becomes 0
      CS_FOR_LANE(TPI) {
        spill[h] += MultiplyAdd<LPT>(t[h], word[h], n.limb[h]);
        word[h] = t[h][0];
      }
      // t /= 2^32: each lane's top limb takes the next lane's low limb and its own spill
      FromNext<TPI>(word);
      CS_FOR_LANE(TPI) {
        CS_UNROLL
        for (int j = 0; j < LPT - 1; ++j) t[h][j] = t[h][j + 1];
        const uint64_t s = static_cast<uint64_t>(word[h]) + spill[h];
        t[h][LPT - 1] = static_cast<uint32_t>(s);
        spill[h] = s >> 32;
      }
    }
  }
  // Each spill belongs at the next lane's low limb; the last lane's is the top word. TPI rounds
  // carry any ripple through every lane.
  uint32_t top[H];
  CS_FOR_LANE(TPI) { top[h] = 0; }
  CS_NO_UNROLL
  for (int round = 0; round < TPI; ++round) {
    CS_FOR_LANE(TPI) {
      // Below 4 here: one word. Lanes are public: not a secret branch.
      if (lane == TPI - 1) top[h] += static_cast<uint32_t>(spill[h]);
      word[h] = static_cast<uint32_t>(spill[h]);
    }
    FromPrevious<TPI>(word);
    CS_FOR_LANE(TPI) {
      uint64_t carry = word[h];
      CS_UNROLL
      for (int j = 0; j < LPT; ++j) {
        const uint64_t s = static_cast<uint64_t>(t[h][j]) + carry;
        t[h][j] = static_cast<uint32_t>(s);
        carry = s >> 32;
      }
      spill[h] = carry;
    }
  }
  // t < 2N: d = t − N, both borrow-in cases per lane, then TPI rounds settle the borrows.
  uint32_t d0[H][LPT], d1[H][LPT], borrow0[H], borrow1[H], borrow_in[H];
  CS_FOR_LANE(TPI) {
    uint64_t b0 = 0, b1 = 1;
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) {
      const uint64_t x0 = static_cast<uint64_t>(t[h][j]) - n.limb[h][j] - b0;
      const uint64_t x1 = static_cast<uint64_t>(t[h][j]) - n.limb[h][j] - b1;
      d0[h][j] = static_cast<uint32_t>(x0);
      d1[h][j] = static_cast<uint32_t>(x1);
      b0 = (x0 >> 32) & 1;
      b1 = (x1 >> 32) & 1;
    }
    borrow0[h] = static_cast<uint32_t>(b0);
    borrow1[h] = static_cast<uint32_t>(b1);
    borrow_in[h] = 0;
  }
  CS_NO_UNROLL
  for (int round = 0; round < TPI; ++round) {
    CS_FOR_LANE(TPI) {
      const uint32_t in = 0u - borrow_in[h];  // all ones when a borrow comes in
      word[h] = (borrow1[h] & in) | (borrow0[h] & ~in);
    }
    FromPrevious<TPI>(word);
    CS_FOR_LANE(TPI) { borrow_in[h] = word[h]; }
  }
  // Keep t iff the whole subtraction borrowed and t had no top word: decided in the last lane.
  CS_FOR_LANE(TPI) {
    const uint32_t in = 0u - borrow_in[h];
    const uint32_t borrow_out = (borrow1[h] & in) | (borrow0[h] & ~in);
    const uint32_t top_set = (top[h] | (0u - top[h])) >> 31;
    word[h] = borrow_out & (top_set ^ 1u);
  }
  Broadcast<TPI>(word, TPI - 1);
  CS_FOR_LANE(TPI) {
    const uint32_t keep = 0u - word[h], in = 0u - borrow_in[h];
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) {
      const uint32_t d = (d1[h][j] & in) | (d0[h][j] & ~in);
      out->limb[h][j] = (t[h][j] & keep) | (d & ~keep);
    }
  }
}

// x = row[digit], each lane reading its limbs of every one of the row's `entries` entries.
template <int TPI, int LPT>
CS_GPU_INLINE void GroupSelect(Split<TPI, LPT>* x, const uint32_t* row, int entries,
                               uint32_t digit) {
  CS_FOR_LANE(TPI) {
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) x->limb[h][j] = 0;
    CS_NO_UNROLL
    for (uint32_t d = 0; d < static_cast<uint32_t>(entries); ++d) {
      const uint32_t mask = 0u - static_cast<uint32_t>(d == digit);
      const uint32_t* entry = row + static_cast<uint64_t>(d) * (TPI * LPT) + lane * LPT;
      CS_UNROLL
      for (int j = 0; j < LPT; ++j) x->limb[h][j] |= entry[j] & mask;
    }
  }
}

// DjnEncrypt (gpu_kernel.h) by a group: out = (1 + m·n)·h_s^a mod N, each argument a whole
// number in memory (L = TPI·LPT limbs), each lane reading and writing its limbs; no write if
// out is null.
template <int TPI, int LPT>
CS_GPU_FN void GroupDjnEncrypt(uint32_t* out, const uint32_t* table, int windows, const uint8_t* a,
                               int a_bytes, const uint32_t* g_m, const uint32_t* one_r,
                               const uint32_t* n, uint32_t n_factor) {
  Split<TPI, LPT> modulus, acc, entry, next;
  Load(&modulus, n);
  Load(&acc, one_r);
  CS_NO_UNROLL
  for (int w = 0; w < windows; ++w) {
    const uint32_t* row =
        table + static_cast<uint64_t>(w) * kWindowEntries * static_cast<uint64_t>(TPI * LPT);
    GroupSelect(&entry, row, kWindowEntries, ExponentWindow(a, a_bytes, w, kWindowBits));
    GroupMultiply(&next, acc, entry, modulus, n_factor);
    acc = next;
  }
  Load(&entry, g_m);
  GroupMultiply(&next, acc, entry, modulus, n_factor);
  Store(out, next);
}

// x = powers[digit], each lane reading its limbs of every one of the kPowEntries powers.
template <int TPI, int LPT>
CS_GPU_INLINE void SelectPower(Split<TPI, LPT>* x, const Split<TPI, LPT> (&powers)[kPowEntries],
                               uint32_t digit) {
  CS_FOR_LANE(TPI) {
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) x->limb[h][j] = 0;
    CS_NO_UNROLL
    for (uint32_t d = 0; d < static_cast<uint32_t>(kPowEntries); ++d) {
      const uint32_t mask = 0u - static_cast<uint32_t>(d == digit);
      CS_UNROLL
      for (int j = 0; j < LPT; ++j) x->limb[h][j] |= powers[d].limb[h][j] & mask;
    }
  }
}

// PowMod (gpu_kernel.h) by a group: out = s^e mod N, each argument a whole number in memory,
// the powers s^0..s^15 in each lane's local memory.
template <int TPI, int LPT>
CS_GPU_FN void GroupPowMod(uint32_t* out, const uint32_t* s, const uint8_t* e, int e_bytes,
                           const uint32_t* r2, const uint32_t* one_r, const uint32_t* n,
                           uint32_t n_factor) {
  Split<TPI, LPT> modulus, acc, entry, next, powers[kPowEntries];
  Load(&modulus, n);
  Load(&acc, s);
  Load(&entry, r2);
  Load(&powers[0], one_r);
  GroupMultiply(&powers[1], acc, entry, modulus, n_factor);  // s·R
  CS_NO_UNROLL
  for (int d = 2; d < kPowEntries; ++d) {
    GroupMultiply(&powers[d], powers[d - 1], powers[1], modulus, n_factor);
  }
  acc = powers[0];
  CS_NO_UNROLL
  for (int w = e_bytes * 8 / kPowWindowBits - 1; w >= 0; --w) {
    CS_NO_UNROLL
    for (int k = 0; k < kPowWindowBits; ++k) {
      GroupMultiply(&next, acc, acc, modulus, n_factor);
      acc = next;
    }
    SelectPower(&entry, powers, ExponentWindow(e, e_bytes, w, kPowWindowBits));
    GroupMultiply(&next, acc, entry, modulus, n_factor);
    acc = next;
  }
  CS_FOR_LANE(TPI) {
    CS_UNROLL
    for (int j = 0; j < LPT; ++j) entry.limb[h][j] = lane == 0 && j == 0 ? 1u : 0u;
  }
  GroupMultiply(&next, acc, entry, modulus, n_factor);
  Store(out, next);
}

}  // namespace cipherstat::gpu
