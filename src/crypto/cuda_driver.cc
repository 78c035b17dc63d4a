#include "crypto/cuda_driver.h"

#include <dlfcn.h>

namespace cipherstat::crypto {

// The driver API's types, as cuda.h declares them (we do not include it: no toolkit needed).
namespace {
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = void*;
using CUmodule = void*;
using CUfunction = void*;
using CUstream = void*;
}  // namespace

struct CudaDriver::Api {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int*);
  CUresult (*cuDeviceGet)(CUdevice*, int);
  CUresult (*cuCtxCreate_v2)(CUcontext*, unsigned, CUdevice);
  CUresult (*cuCtxDestroy_v2)(CUcontext);
  CUresult (*cuModuleLoadData)(CUmodule*, const void*);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction*, CUmodule, const char*);
  CUresult (*cuMemAlloc_v2)(CUdeviceptr*, size_t);
  CUresult (*cuMemFree_v2)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD_v2)(CUdeviceptr, const void*, size_t);
  CUresult (*cuMemcpyDtoH_v2)(void*, CUdeviceptr, size_t);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, CUstream, void**, void**);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuGetErrorString)(CUresult, const char**);
};

namespace {

template <typename F>
bool Resolve(void* library, const char* name, F* out) {
  *out = reinterpret_cast<F>(::dlsym(library, name));
  return *out != nullptr;
}

}  // namespace

Result<std::unique_ptr<CudaDriver>> CudaDriver::Load(const std::string& library) {
  std::unique_ptr<CudaDriver> d(new CudaDriver());
  d->library_ = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (d->library_ == nullptr) {
    const char* why = ::dlerror();
    return Status::NotSupported("no GPU driver: cannot load " + library + " (" +
                                (why ? why : "unknown") + ")");
  }
  d->api_ = std::make_unique<Api>();
  Api& a = *d->api_;
  const bool all = Resolve(d->library_, "cuInit", &a.cuInit) &&
                   Resolve(d->library_, "cuDeviceGetCount", &a.cuDeviceGetCount) &&
                   Resolve(d->library_, "cuDeviceGet", &a.cuDeviceGet) &&
                   Resolve(d->library_, "cuCtxCreate_v2", &a.cuCtxCreate_v2) &&
                   Resolve(d->library_, "cuCtxDestroy_v2", &a.cuCtxDestroy_v2) &&
                   Resolve(d->library_, "cuModuleLoadData", &a.cuModuleLoadData) &&
                   Resolve(d->library_, "cuModuleUnload", &a.cuModuleUnload) &&
                   Resolve(d->library_, "cuModuleGetFunction", &a.cuModuleGetFunction) &&
                   Resolve(d->library_, "cuMemAlloc_v2", &a.cuMemAlloc_v2) &&
                   Resolve(d->library_, "cuMemFree_v2", &a.cuMemFree_v2) &&
                   Resolve(d->library_, "cuMemcpyHtoD_v2", &a.cuMemcpyHtoD_v2) &&
                   Resolve(d->library_, "cuMemcpyDtoH_v2", &a.cuMemcpyDtoH_v2) &&
                   Resolve(d->library_, "cuLaunchKernel", &a.cuLaunchKernel) &&
                   Resolve(d->library_, "cuCtxSynchronize", &a.cuCtxSynchronize) &&
                   Resolve(d->library_, "cuGetErrorString", &a.cuGetErrorString);
  if (!all) {
    return Status::NotSupported(library + " lacks a driver API function cipherstat needs");
  }
  CS_RETURN_IF_ERROR(d->Check(a.cuInit(0), "cuInit"));
  int devices = 0;
  CS_RETURN_IF_ERROR(d->Check(a.cuDeviceGetCount(&devices), "cuDeviceGetCount"));
  if (devices == 0) return Status::NotSupported("the GPU driver sees no GPU");
  CUdevice device = 0;
  CS_RETURN_IF_ERROR(d->Check(a.cuDeviceGet(&device, 0), "cuDeviceGet"));
  CS_RETURN_IF_ERROR(d->Check(a.cuCtxCreate_v2(&d->context_, 0, device), "cuCtxCreate"));
  return d;
}

CudaDriver::~CudaDriver() {
  if (api_ != nullptr) {
    if (module_ != nullptr) api_->cuModuleUnload(module_);
    if (context_ != nullptr) api_->cuCtxDestroy_v2(context_);
  }
  if (library_ != nullptr) ::dlclose(library_);
}

Status CudaDriver::Check(int result, const char* call) const {
  if (result == 0) return Status::OK();
  const char* text = nullptr;
  if (api_ != nullptr && api_->cuGetErrorString != nullptr) api_->cuGetErrorString(result, &text);
  return Status::IOError(std::string("GPU: ") + call + " failed (" + std::to_string(result) +
                         (text ? ": " + std::string(text) : std::string()) + ")");
}

CudaDriver::Buffer::Buffer(Buffer&& other) noexcept
    : driver_(other.driver_), address_(other.address_), bytes_(other.bytes_) {
  other.address_ = 0;
}

CudaDriver::Buffer::~Buffer() {
  if (address_ != 0) driver_->api_->cuMemFree_v2(address_);
}

Result<CudaDriver::Buffer> CudaDriver::Allocate(size_t bytes) const {
  CUdeviceptr address = 0;
  CS_RETURN_IF_ERROR(Check(api_->cuMemAlloc_v2(&address, bytes), "cuMemAlloc"));
  return Buffer(this, address, bytes);
}

Status CudaDriver::CopyToDevice(const Buffer& to, const void* from, size_t bytes) const {
  if (bytes > to.bytes()) return Status::InvalidArgument("GPU: copy past the buffer");
  return Check(api_->cuMemcpyHtoD_v2(to.address(), from, bytes), "cuMemcpyHtoD");
}

Status CudaDriver::CopyFromDevice(void* to, const Buffer& from, size_t bytes) const {
  if (bytes > from.bytes()) return Status::InvalidArgument("GPU: copy past the buffer");
  return Check(api_->cuMemcpyDtoH_v2(to, from.address(), bytes), "cuMemcpyDtoH");
}

Result<std::vector<CudaDriver::Kernel>> CudaDriver::LoadModule(
    const std::string& ptx, const std::vector<std::string>& kernels) {
  if (module_ != nullptr) {
    api_->cuModuleUnload(module_);
    module_ = nullptr;
  }
  CS_RETURN_IF_ERROR(Check(api_->cuModuleLoadData(&module_, ptx.c_str()), "cuModuleLoadData"));
  std::vector<Kernel> found(kernels.size());
  for (size_t i = 0; i < kernels.size(); ++i) {
    CS_RETURN_IF_ERROR(
        Check(api_->cuModuleGetFunction(&found[i].function, module_, kernels[i].c_str()),
              "cuModuleGetFunction"));
  }
  return found;
}

Status CudaDriver::Launch(Kernel kernel, unsigned threads, unsigned block,
                          std::vector<void*> params) const {
  if (kernel.function == nullptr) return Status::InvalidArgument("GPU: no kernel loaded");
  if (threads == 0) return Status::OK();
  const unsigned blocks = (threads + block - 1) / block;
  CS_RETURN_IF_ERROR(Check(api_->cuLaunchKernel(kernel.function, blocks, 1, 1, block, 1, 1, 0,
                                                nullptr, params.data(), nullptr),
                           "cuLaunchKernel"));
  return Check(api_->cuCtxSynchronize(), "cuCtxSynchronize");
}

}  // namespace cipherstat::crypto
