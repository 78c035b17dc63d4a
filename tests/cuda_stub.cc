// A stand-in for the NVIDIA driver (libcuda.so.1) in tests: the driver API entry points that
// crypto/cuda_driver.cc resolves, with "device" memory in host memory and the kernels of
// crypto/gpu_kernel.cu run on the CPU from the same source the PTX is built from
// (crypto/gpu_kernel.h). CIPHERSTAT_CUDA_STUB_DEVICES=0 makes it a driver without a GPU;
// CIPHERSTAT_CUDA_STUB_WRONG=1 a GPU whose last thread of every launch computes wrongly.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "crypto/gpu_group_kernel.h"
#include "crypto/gpu_kernel.h"

namespace {
const char kModuleMark[] = "cipherstat_djn_encrypt";  // in the real PTX's text
int modules_loaded = 0;

// Flips a bit of the last thread's result when told to compute wrongly.
void MaybeWrong(uint32_t* out, unsigned long long threads, int count, int limbs) {
  const char* wrong = std::getenv("CIPHERSTAT_CUDA_STUB_WRONG");
  if (wrong == nullptr || std::strcmp(wrong, "1") != 0 || count <= 0) return;
  const unsigned long long last = std::min(threads, static_cast<unsigned long long>(count)) - 1;
  out[last * static_cast<unsigned long long>(limbs) + 1] ^= 1u;
}

template <typename T>
T Param(void** params, int i) {
  return *static_cast<T*>(params[i]);
}
template <typename T>
T* Pointer(void** params, int i) {
  return reinterpret_cast<T*>(Param<unsigned long long>(params, i));
}

// A kernel of `threads` threads, `per` threads per encryption (1, or a group's lanes: the group
// kernels' CPU form runs a whole group per call), each encryption by `Encrypt`.
// cipherstat_djn_encrypt_L's parameters, in order: table, windows, exponents, exponent_bytes,
// g_ms, one_r, n, n_factor, count, out (crypto/gpu_kernel.cu).
template <int L, int per, auto Encrypt>
void Djn(unsigned long long threads, void** params) {
  const int exponent_bytes = Param<int>(params, 3), count = Param<int>(params, 8);
  const unsigned long long encryptions = threads / per;
  for (unsigned long long i = 0; i < encryptions && i < static_cast<unsigned long long>(count);
       ++i) {
    Encrypt(Pointer<uint32_t>(params, 9) + i * L, Pointer<const uint32_t>(params, 0),
            Param<int>(params, 1), Pointer<const uint8_t>(params, 2) + i * exponent_bytes,
            exponent_bytes, Pointer<const uint32_t>(params, 4) + i * L,
            Pointer<const uint32_t>(params, 5), Pointer<const uint32_t>(params, 6),
            Param<uint32_t>(params, 7));
  }
  MaybeWrong(Pointer<uint32_t>(params, 9), encryptions, count, L);
}

// cipherstat_pow_mod_L's: bases, exponent, exponent_bytes, r2, one_r, n, n_factor, count, out.
template <int L, int per, auto Raise>
void Pow(unsigned long long threads, void** params) {
  const int count = Param<int>(params, 7);
  const unsigned long long encryptions = threads / per;
  for (unsigned long long i = 0; i < encryptions && i < static_cast<unsigned long long>(count);
       ++i) {
    Raise(Pointer<uint32_t>(params, 8) + i * L, Pointer<const uint32_t>(params, 0) + i * L,
          Pointer<const uint8_t>(params, 1), Param<int>(params, 2),
          Pointer<const uint32_t>(params, 3), Pointer<const uint32_t>(params, 4),
          Pointer<const uint32_t>(params, 5), Param<uint32_t>(params, 6));
  }
  MaybeWrong(Pointer<uint32_t>(params, 8), encryptions, count, L);
}

using cipherstat::gpu::kDjnLanes;
using cipherstat::gpu::kPowLanes;
template <int L>
constexpr auto kDjnThread = Djn<L, 1, cipherstat::gpu::DjnEncrypt<L>>;
template <int L>
constexpr auto kDjnGroup =
    Djn<L, kDjnLanes, cipherstat::gpu::GroupDjnEncrypt<kDjnLanes, L / kDjnLanes>>;
template <int L>
constexpr auto kPowThread = Pow<L, 1, cipherstat::gpu::PowMod<L>>;
template <int L>
constexpr auto kPowGroup =
    Pow<L, kPowLanes, cipherstat::gpu::GroupPowMod<kPowLanes, L / kPowLanes>>;

struct StubKernel {
  const char* name;
  void (*run)(unsigned long long threads, void** params);
};
const StubKernel kKernels[] = {{"cipherstat_djn_encrypt_128", kDjnThread<128>},
                               {"cipherstat_djn_encrypt_192", kDjnThread<192>},
                               {"cipherstat_pow_mod_64", kPowThread<64>},
                               {"cipherstat_pow_mod_96", kPowThread<96>},
                               {"cipherstat_djn_encrypt_128_group", kDjnGroup<128>},
                               {"cipherstat_djn_encrypt_192_group", kDjnGroup<192>},
                               {"cipherstat_pow_mod_64_group", kPowGroup<64>},
                               {"cipherstat_pow_mod_96_group", kPowGroup<96>}};

}  // namespace

extern "C" {

int cuInit(unsigned) { return 0; }
int cuDeviceGetCount(int* count) {
  const char* devices = std::getenv("CIPHERSTAT_CUDA_STUB_DEVICES");
  *count = devices ? std::atoi(devices) : 1;
  return 0;
}
int cuDeviceGet(int* device, int ordinal) {
  *device = ordinal;
  return 0;
}
int cuCtxCreate_v2(void** context, unsigned, int) {
  *context = &modules_loaded;
  return 0;
}
int cuCtxDestroy_v2(void*) { return 0; }
int cuModuleLoadData(void** module, const void* image) {
  // Real PTX names its entry; anything else is refused as the driver would (200: invalid image).
  if (std::strstr(static_cast<const char*>(image), kModuleMark) == nullptr) return 200;
  ++modules_loaded;
  *module = &modules_loaded;
  return 0;
}
int cuModuleUnload(void*) { return 0; }
int cuModuleGetFunction(void** function, void*, const char* name) {
  for (const StubKernel& kernel : kKernels) {
    if (std::strcmp(name, kernel.name) == 0) {
      *function = const_cast<StubKernel*>(&kernel);
      return 0;
    }
  }
  return 500;  // CUDA_ERROR_NOT_FOUND
}
int cuMemAlloc_v2(unsigned long long* address, size_t bytes) {
  void* p = std::malloc(bytes == 0 ? 1 : bytes);
  if (p == nullptr) return 2;  // CUDA_ERROR_OUT_OF_MEMORY
  *address = reinterpret_cast<unsigned long long>(p);
  return 0;
}
int cuMemFree_v2(unsigned long long address) {
  std::free(reinterpret_cast<void*>(address));
  return 0;
}
int cuMemcpyHtoD_v2(unsigned long long to, const void* from, size_t bytes) {
  std::memcpy(reinterpret_cast<void*>(to), from, bytes);
  return 0;
}
int cuMemcpyDtoH_v2(void* to, unsigned long long from, size_t bytes) {
  std::memcpy(to, reinterpret_cast<const void*>(from), bytes);
  return 0;
}

int cuLaunchKernel(void* function, unsigned grid_x, unsigned, unsigned, unsigned block_x, unsigned,
                   unsigned, unsigned, void*, void** params, void**) {
  for (const StubKernel& kernel : kKernels) {
    if (function == &kernel) {
      kernel.run(static_cast<unsigned long long>(grid_x) * block_x, params);
      return 0;
    }
  }
  return 400;  // CUDA_ERROR_INVALID_HANDLE
}
int cuCtxSynchronize() { return 0; }
int cuGetErrorString(int error, const char** text) {
  *text = error == 200 ? "device kernel image is invalid" : "stub error";
  return 0;
}

}  // extern "C"
