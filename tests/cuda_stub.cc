// A stand-in for the NVIDIA driver (libcuda.so.1) in tests: the driver API entry points that
// crypto/cuda_driver.cc resolves, with "device" memory in host memory and the one kernel,
// cipherstat_djn_encrypt, run on the CPU from the same source the PTX is built from
// (crypto/gpu_djn_kernel.h). CIPHERSTAT_CUDA_STUB_DEVICES=0 makes it a driver without a GPU.
#include <cstdlib>
#include <cstring>
#include <string>

#include "crypto/gpu_djn_kernel.h"

namespace {
const char kKernel[] = "cipherstat_djn_encrypt";
int modules_loaded = 0;
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
  if (std::strstr(static_cast<const char*>(image), kKernel) == nullptr) return 200;
  ++modules_loaded;
  *module = &modules_loaded;
  return 0;
}
int cuModuleUnload(void*) { return 0; }
int cuModuleGetFunction(void** function, void*, const char* name) {
  if (std::strcmp(name, kKernel) != 0) return 500;  // CUDA_ERROR_NOT_FOUND
  *function = const_cast<char*>(kKernel);
  return 0;
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
// The kernel's parameters, in order: table, windows, exponents, exponent_bytes, g_ms, one_r,
// n, n_factor, limbs, count, out (gpu_djn_kernel.cu).
int cuLaunchKernel(void* function, unsigned grid_x, unsigned, unsigned, unsigned block_x, unsigned,
                   unsigned, unsigned, void*, void** params, void**) {
  if (function != kKernel) return 400;  // CUDA_ERROR_INVALID_HANDLE
  auto pointer = [&](int i) { return *static_cast<unsigned long long*>(params[i]); };
  auto integer = [&](int i) { return *static_cast<int*>(params[i]); };
  const auto* table = reinterpret_cast<const uint32_t*>(pointer(0));
  const int windows = integer(1);
  const auto* exponents = reinterpret_cast<const uint8_t*>(pointer(2));
  const int exponent_bytes = integer(3);
  const auto* g_ms = reinterpret_cast<const uint32_t*>(pointer(4));
  const auto* one_r = reinterpret_cast<const uint32_t*>(pointer(5));
  const auto* n = reinterpret_cast<const uint32_t*>(pointer(6));
  const uint32_t n_factor = *static_cast<uint32_t*>(params[7]);
  const int limbs = integer(8), count = integer(9);
  auto* out = reinterpret_cast<uint32_t*>(pointer(10));
  for (unsigned long long i = 0; i < static_cast<unsigned long long>(grid_x) * block_x; ++i) {
    if (i >= static_cast<unsigned long long>(count)) break;
    cipherstat::gpu::DjnEncrypt(out + i * limbs, table, windows, exponents + i * exponent_bytes,
                                exponent_bytes, g_ms + i * limbs, one_r, n, n_factor, limbs);
  }
  return 0;
}
int cuCtxSynchronize() { return 0; }
int cuGetErrorString(int error, const char** text) {
  *text = error == 200 ? "device kernel image is invalid" : "stub error";
  return 0;
}

}  // extern "C"
