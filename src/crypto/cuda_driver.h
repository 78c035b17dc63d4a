// The NVIDIA driver, loaded at run time: no CUDA toolkit at build time and no
// link-time dependency, so cipherstat builds and runs where there is no GPU. `Load` dlopens
// libcuda.so.1 (or, in tests, a stub with the same entry points) and resolves the handful of
// driver API functions the GPU encryptor uses; every failure is a Status naming the call and
// the driver's own message, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace cipherstat::crypto {

class CudaDriver {
 public:
  // Loads `library` (dlopen), initialises the driver and creates a context on device 0.
  // NotSupported when the library or a GPU is missing: the caller falls back to the CPU.
  static Result<std::unique_ptr<CudaDriver>> Load(const std::string& library = "libcuda.so.1");
  ~CudaDriver();
  CudaDriver(const CudaDriver&) = delete;
  CudaDriver& operator=(const CudaDriver&) = delete;

  // Device memory, freed with the object.
  class Buffer {
   public:
    Buffer(Buffer&& other) noexcept;
    ~Buffer();
    uint64_t address() const { return address_; }
    size_t bytes() const { return bytes_; }

   private:
    friend class CudaDriver;
    Buffer(const CudaDriver* driver, uint64_t address, size_t bytes)
        : driver_(driver), address_(address), bytes_(bytes) {}
    const CudaDriver* driver_;
    uint64_t address_;
    size_t bytes_;
  };
  Result<Buffer> Allocate(size_t bytes) const;
  Status CopyToDevice(const Buffer& to, const void* from, size_t bytes) const;
  Status CopyFromDevice(void* to, const Buffer& from, size_t bytes) const;

  // A kernel of the loaded module.
  struct Kernel {
    void* function = nullptr;
  };
  // Loads a PTX module (NUL-terminated text), replacing any loaded before, and finds each of
  // `kernels` in it, in order.
  Result<std::vector<Kernel>> LoadModule(const std::string& ptx,
                                         const std::vector<std::string>& kernels);
  // Runs `kernel` on `threads` threads in blocks of `block`, with `params` the addresses of
  // its arguments in order, and waits for it.
  Status Launch(Kernel kernel, unsigned threads, unsigned block, std::vector<void*> params) const;

 private:
  struct Api;
  CudaDriver() = default;
  Status Check(int result, const char* call) const;

  void* library_ = nullptr;
  std::unique_ptr<Api> api_;
  void* context_ = nullptr;
  void* module_ = nullptr;
};

}  // namespace cipherstat::crypto
