// DJN encryption on a GPU: the kernel of gpu_djn_kernel.h, as PTX embedded at
// build time, run through the driver loaded at run time (cuda_driver.h). The randomness stays
// on the host: each ciphertext's exponent a is drawn with libsodium and copied to the GPU
// with the batch; the GPU has no generator of its own. The ciphertexts equal
// DjnEncryptor::EncryptWithExponents's for the same h_s and exponents.
//
// What the GPU sees is secret: the exponents (the encryptions' randomness) and the messages.
// The table scans read every entry, so no address depends on a; the Montgomery products'
// time does not depend on the operands. Other tenants of a shared GPU can still observe the
// memory traffic's volume and timing, which depend on the batch size only. The exponents stay
// in device memory until the buffer is reused or freed (not wiped there).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "crypto/cuda_driver.h"
#include "crypto/paillier.h"

namespace cipherstat::crypto {

// The PTX clang made from gpu_djn_kernel.cu; empty in a build without clang.
extern const char kDjnKernelPtx[];

class GpuDjnEncryptor {
 public:
  // Loads the driver from `library`, the kernel, and uploads h_s's fixed-base table.
  // NotSupported without a driver, a GPU or a kernel in this build; InvalidArgument for a key
  // larger than the kernel handles (3072-bit n).
  static Result<std::unique_ptr<GpuDjnEncryptor>> Create(const PublicKey& pk, const BigInt& h_s,
                                                         const std::string& library);
  // out[i] = (1 + ms[i]·n)·h_s^a mod n² with a fresh exponent per ciphertext.
  Status EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) const;
  // The same with given exponents, little-endian, exponent_bytes() each (tests).
  Status EncryptWithExponents(std::span<const BigInt> ms, const unsigned char* exponents,
                              std::span<Ciphertext> out) const;
  size_t exponent_bytes() const { return exponent_bytes_; }

 private:
  GpuDjnEncryptor() = default;
  PublicKey pk_;
  int exponent_bits_ = 0;
  size_t exponent_bytes_ = 0;
  int limbs_ = 0, windows_ = 0;
  uint32_t n_factor_ = 0;
  std::unique_ptr<CudaDriver> gpu_;
  std::unique_ptr<CudaDriver::Buffer> table_, n2_, one_r_;
};

}  // namespace cipherstat::crypto
