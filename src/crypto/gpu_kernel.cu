// The CUDA entry points of Paillier encryption on a GPU: one thread per encryption
// (gpu_kernel.h) or a group of threads per encryption (gpu_group_kernel.h), for each limb count.
// Compiled to PTX by Debian's clang, no CUDA toolkit:
//   clang++ -x cuda --cuda-device-only -nocudainc -nocudalib --cuda-gpu-arch=sm_80 -O3 -S
// and loaded by the driver, which compiles the PTX for the GPU it has.
#include "crypto/gpu_group_kernel.h"
#include "crypto/gpu_kernel.h"

namespace {
__attribute__((device)) inline int ThreadIndex() {
  return static_cast<int>(__nvvm_read_ptx_sreg_ctaid_x() * __nvvm_read_ptx_sreg_ntid_x() +
                          __nvvm_read_ptx_sreg_tid_x());
}
}  // namespace

template <int L>
__attribute__((device)) inline void DjnEntry(const uint32_t* table, int windows,
                                             const uint8_t* exponents, int exponent_bytes,
                                             const uint32_t* g_ms, const uint32_t* one_r,
                                             const uint32_t* n, uint32_t n_factor, int count,
                                             uint32_t* out) {
  const int i = ThreadIndex();
  if (i >= count) return;
  const int64_t offset = static_cast<int64_t>(i) * L;
  cipherstat::gpu::DjnEncrypt<L>(out + offset, table, windows,
                                 exponents + static_cast<int64_t>(i) * exponent_bytes,
                                 exponent_bytes, g_ms + offset, one_r, n, n_factor);
}

template <int L>
__attribute__((device)) inline void PowEntry(const uint32_t* bases, const uint8_t* exponent,
                                             int exponent_bytes, const uint32_t* r2,
                                             const uint32_t* one_r, const uint32_t* n,
                                             uint32_t n_factor, int count, uint32_t* out) {
  const int i = ThreadIndex();
  if (i >= count) return;
  const int64_t offset = static_cast<int64_t>(i) * L;
  cipherstat::gpu::PowMod<L>(out + offset, bases + offset, exponent, exponent_bytes, r2, one_r, n,
                             n_factor);
}

// A group of TPI threads per encryption (gpu_group_kernel.h). Every thread of a launched block
// takes part in the shuffles: a group past `count` computes on the last encryption's inputs
// and writes nothing.
template <int TPI, int LPT>
__attribute__((device)) inline void GroupDjnEntry(const uint32_t* table, int windows,
                                                  const uint8_t* exponents, int exponent_bytes,
                                                  const uint32_t* g_ms, const uint32_t* one_r,
                                                  const uint32_t* n, uint32_t n_factor, int count,
                                                  uint32_t* out) {
  const int group = ThreadIndex() / TPI, i = group < count ? group : count - 1;
  const int64_t offset = static_cast<int64_t>(i) * TPI * LPT;
  cipherstat::gpu::GroupDjnEncrypt<TPI, LPT>(group < count ? out + offset : nullptr, table, windows,
                                             exponents + static_cast<int64_t>(i) * exponent_bytes,
                                             exponent_bytes, g_ms + offset, one_r, n, n_factor);
}

template <int TPI, int LPT>
__attribute__((device)) inline void GroupPowEntry(const uint32_t* bases, const uint8_t* exponent,
                                                  int exponent_bytes, const uint32_t* r2,
                                                  const uint32_t* one_r, const uint32_t* n,
                                                  uint32_t n_factor, int count, uint32_t* out) {
  const int group = ThreadIndex() / TPI, i = group < count ? group : count - 1;
  const int64_t offset = static_cast<int64_t>(i) * TPI * LPT;
  cipherstat::gpu::GroupPowMod<TPI, LPT>(group < count ? out + offset : nullptr, bases + offset,
                                         exponent, exponent_bytes, r2, one_r, n, n_factor);
}

// One entry point per limb count of gpu::kDjnLimbs and gpu::kPowLimbs, named by it; the group
// kernels' names end in _group (gpu::kDjnLanes, gpu::kPowLanes threads per encryption).
#define CIPHERSTAT_DJN_KERNEL(L)                                                                  \
  extern "C" __attribute__((global)) void cipherstat_djn_encrypt_##L(                             \
      const uint32_t* table, int windows, const uint8_t* exponents, int exponent_bytes,           \
      const uint32_t* g_ms, const uint32_t* one_r, const uint32_t* n, uint32_t n_factor,          \
      int count, uint32_t* out) {                                                                 \
    DjnEntry<L>(table, windows, exponents, exponent_bytes, g_ms, one_r, n, n_factor, count, out); \
  }
#define CIPHERSTAT_POW_KERNEL(L)                                                               \
  extern "C" __attribute__((global)) void cipherstat_pow_mod_##L(                              \
      const uint32_t* bases, const uint8_t* exponent, int exponent_bytes, const uint32_t* r2,  \
      const uint32_t* one_r, const uint32_t* n, uint32_t n_factor, int count, uint32_t* out) { \
    PowEntry<L>(bases, exponent, exponent_bytes, r2, one_r, n, n_factor, count, out);          \
  }
#define CIPHERSTAT_DJN_GROUP_KERNEL(L)                                                           \
  extern "C" __attribute__((global)) void cipherstat_djn_encrypt_##L##_group(                    \
      const uint32_t* table, int windows, const uint8_t* exponents, int exponent_bytes,          \
      const uint32_t* g_ms, const uint32_t* one_r, const uint32_t* n, uint32_t n_factor,         \
      int count, uint32_t* out) {                                                                \
    constexpr int kLanes = cipherstat::gpu::kDjnLanes;                                           \
    GroupDjnEntry<kLanes, L / kLanes>(table, windows, exponents, exponent_bytes, g_ms, one_r, n, \
                                      n_factor, count, out);                                     \
  }
#define CIPHERSTAT_POW_GROUP_KERNEL(L)                                                         \
  extern "C" __attribute__((global)) void cipherstat_pow_mod_##L##_group(                      \
      const uint32_t* bases, const uint8_t* exponent, int exponent_bytes, const uint32_t* r2,  \
      const uint32_t* one_r, const uint32_t* n, uint32_t n_factor, int count, uint32_t* out) { \
    constexpr int kLanes = cipherstat::gpu::kPowLanes;                                         \
    GroupPowEntry<kLanes, L / kLanes>(bases, exponent, exponent_bytes, r2, one_r, n, n_factor, \
                                      count, out);                                             \
  }
CIPHERSTAT_DJN_KERNEL(128)
CIPHERSTAT_DJN_KERNEL(192)
CIPHERSTAT_POW_KERNEL(64)
CIPHERSTAT_POW_KERNEL(96)
CIPHERSTAT_DJN_GROUP_KERNEL(128)
CIPHERSTAT_DJN_GROUP_KERNEL(192)
CIPHERSTAT_POW_GROUP_KERNEL(64)
CIPHERSTAT_POW_GROUP_KERNEL(96)
