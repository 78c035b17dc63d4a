// Paillier encryption on a GPU: the kernels of gpu_kernel.h and gpu_group_kernel.h, as PTX
// embedded at build time, run through the driver loaded at run time (cuda_driver.h). Two
// encryptors, one per mode of `encrypt`:
// - GpuDjnEncryptor: DJN, (1 + m·n)·h_s^a mod n², the fixed-base power on the GPU. Equals
//   DjnEncryptor::EncryptWithExponents for the same h_s and exponents.
// - GpuCrtEncryptor: standard encryption by CRT, as EncryptCrt (crypto/paillier.h): the GPU
//   raises s_p^p mod p² and s_q^q mod q²; the host draws the bases and finishes (the product
//   with the plaintext's factor and the recombination mod n², EncryptCrt's last step).
//
// The randomness stays on the host: each ciphertext's exponent a (DJN) or bases s_p, s_q (CRT)
// are drawn with libsodium and copied to the GPU with the batch; the GPU has no generator of
// its own. What the GPU sees is secret: the randomness, the messages (DJN) and, for CRT, the
// primes p and q (the exponents and the moduli p², q²). The kernels' table reads cover every
// entry, so no address depends on a secret, and the Montgomery products' time does not depend
// on the operands; other tenants of a shared GPU can still observe the memory traffic's volume
// and timing, which depend on the batch size and key size only. Device memory is not wiped:
// the secrets stay there until the buffers are reused by another allocation (ARCHITECTURE.md).
//
// The host checks the GPU's results before using them, and fails the batch on a difference
// (so `encrypt` stops and writes nothing, instead of writing ciphertexts that decrypt to
// something else): in standard mode every power, x ≡ s (mod p) by Fermat, one reduction each;
// in both modes a sample recomputed in full on the CPU (DJN: by the DjnEncryptor whose h_s the
// GPU uses; CRT: mpz_powm_sec) — the first and last thread, where a launch-geometry fault
// shows, and six drawn at random after the download. DJN has no cheap whole-batch check, so
// there a fault confined to a few threads can pass the sample.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/cuda_driver.h"
#include "crypto/djn.h"
#include "crypto/paillier.h"

namespace cipherstat::crypto {

// How a kernel maps encryptions to GPU threads. kGroup splits each number over a group of
// threads that exchange limbs by warp shuffles, every operand in registers
// (gpu_group_kernel.h); kThread runs one encryption per thread, its running sums in registers
// and its operands in local memory (gpu_kernel.h). Which is faster is for a GPU to say:
// bench/gpu_check.sh runs both.
enum class GpuKernel { kGroup, kThread };

// The PTX clang made from gpu_kernel.cu; empty in a build without clang.
extern const char kGpuKernelPtx[];

// Wall-clock seconds spent in each step of an encryptor's batches, summed; the steps of one
// batch run one after another.
struct GpuSteps {
  double load = 0;      // the driver, a context, and the kernel (the driver compiles its PTX)
  double prepare = 0;   // host: randomness, and numbers into 32-bit limbs
  double upload = 0;    // host to device copies
  double kernel = 0;    // the launches, to completion
  double download = 0;  // device to host copies
  double finish = 0;    // host: limbs into ciphertexts (CRT: the product and recombination)
  double check = 0;     // host: the spot checks of the GPU's results
  uint64_t encryptions = 0;
  std::string ToString() const;  // "load 0.80 s, prepare 0.12 s, …" for `encrypt`'s report
};

class GpuEncryptor {
 public:
  virtual ~GpuEncryptor() = default;
  // out[i] encrypts ms[i] (0 <= ms[i] < n) with fresh randomness. One batch at a time.
  virtual Status EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) = 0;
  const GpuSteps& steps() const { return steps_; }

 protected:
  GpuEncryptor() = default;
  // The smallest limb count of `built` (gpu::kDjnLimbs or gpu::kPowLimbs) that holds
  // `modulus`, or 0 if none does.
  static int KernelLimbs(const BigInt& modulus, std::span<const int> built);
  // Loads the driver from `library` and the kernel named `name` (+ "_group" for kGroup, which
  // runs `group_lanes` threads per encryption) from this build's PTX. NotSupported without a
  // driver, a GPU or a kernel in this build.
  Status Load(const std::string& library, const std::string& name, GpuKernel shape,
              int group_lanes);
  // Runs the loaded kernel over `count` encryptions and waits for it.
  Status Launch(size_t count, std::vector<void*> params) const;
  // step(i) for every i < count, spread over threads_ host threads.
  void ForEach(size_t count, const std::function<void(size_t)>& step) const;
  // A device buffer holding `words`.
  Result<std::unique_ptr<CudaDriver::Buffer>> Upload(std::span<const uint32_t> words);

  // The indices of a batch of `count` the host recomputes.
  static std::vector<size_t> SpotChecked(size_t count);
  // The error for a GPU power that differs from the host's.
  static Status Differs(size_t index, const char* what);

  std::unique_ptr<CudaDriver> gpu_;
  CudaDriver::Kernel kernel_;
  int lanes_ = 1;    // GPU threads per encryption
  int threads_ = 1;  // host threads that prepare and finish a batch
  GpuSteps steps_;
};

class GpuDjnEncryptor : public GpuEncryptor {
 public:
  // Loads the GPU and uploads the fixed-base table of `cpu`'s h_s; `cpu`, which recomputes the
  // spot-checked ciphertexts, must outlive the encryptor. `threads` host threads prepare and
  // finish each batch. InvalidArgument for a key larger than the kernel handles (3072-bit n).
  static Result<std::unique_ptr<GpuDjnEncryptor>> Create(const PublicKey& pk,
                                                         const DjnEncryptor& cpu,
                                                         const std::string& library, int threads,
                                                         GpuKernel shape = GpuKernel::kGroup);
  Status EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) override;
  // The same with given exponents, little-endian, exponent_bytes() each (tests).
  Status EncryptWithExponents(std::span<const BigInt> ms, const unsigned char* exponents,
                              std::span<Ciphertext> out);
  size_t exponent_bytes() const { return exponent_bytes_; }

 private:
  GpuDjnEncryptor() = default;
  PublicKey pk_;
  const DjnEncryptor* cpu_ = nullptr;
  int exponent_bits_ = 0;
  size_t exponent_bytes_ = 0;
  int limbs_ = 0, windows_ = 0;
  uint32_t n_factor_ = 0;
  std::unique_ptr<CudaDriver::Buffer> table_, n2_, one_r_;
};

class GpuCrtEncryptor : public GpuEncryptor {
 public:
  // Loads the GPU and uploads p, q and their squares' Montgomery constants. `sk` must outlive
  // the encryptor; `threads` host threads finish each batch. InvalidArgument for a key larger
  // than the kernel handles (3072-bit n).
  static Result<std::unique_ptr<GpuCrtEncryptor>> Create(const SecretKey& sk,
                                                         const std::string& library, int threads,
                                                         GpuKernel shape = GpuKernel::kGroup);
  Status EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) override;
  // The same with given bases, s_p in [1, p) and s_q in [1, q) (tests).
  Status EncryptWithBases(std::span<const BigInt> ms, std::span<const BigInt> s_p,
                          std::span<const BigInt> s_q, std::span<Ciphertext> out);

 private:
  // One prime's half: x = s^prime mod prime² on the GPU.
  struct Half {
    BigInt prime, square;  // prime²
    int limbs = 0;         // of prime²
    int exponent_bytes = 0;
    uint32_t factor = 0;
    std::unique_ptr<CudaDriver::Buffer> modulus, r2, one_r, exponent;  // on the GPU
  };
  GpuCrtEncryptor() = default;
  Result<Half> MakeHalf(const BigInt& prime, int limbs_of_kernel);
  // xs[i] = bases[i]^prime mod prime² for every base.
  Status Raise(const Half& half, std::span<const BigInt> bases, std::vector<BigInt>* xs);
  const SecretKey* sk_ = nullptr;
  Half p_, q_;
};

}  // namespace cipherstat::crypto
