#include "crypto/gpu_djn.h"

#include <gmp.h>
#include <sodium.h>

#include <cstring>
#include <vector>

#include "crypto/djn.h"
#include "crypto/gpu_djn_kernel.h"

namespace cipherstat::crypto {

namespace {

constexpr unsigned kBlock = 64;

// x as `limbs` little-endian 32-bit limbs. REQUIRES: x fits.
void ToLimbs32(const BigInt& x, int limbs, uint32_t* out) {
  std::memset(out, 0, static_cast<size_t>(limbs) * sizeof(uint32_t));
  size_t count = 0;
  mpz_export(out, &count, -1, sizeof(uint32_t), 0, 0, x.get());
}

}  // namespace

Result<std::unique_ptr<GpuDjnEncryptor>> GpuDjnEncryptor::Create(const PublicKey& pk,
                                                                 const BigInt& h_s,
                                                                 const std::string& library) {
  if (kDjnKernelPtx[0] == '\0') {
    return Status::NotSupported("this cipherstat was built without the GPU kernel (no clang)");
  }
  const size_t n2_bits = mpz_sizeinbase(pk.n_squared().get(), 2);
  const int limbs = static_cast<int>((n2_bits + 31) / 32);
  if (limbs > gpu::kMaxLimbs) {
    return Status::InvalidArgument("GPU encryption handles keys of up to 3072 bits");
  }
  std::unique_ptr<GpuDjnEncryptor> e(new GpuDjnEncryptor());
  e->pk_ = pk;
  e->limbs_ = limbs;
  e->exponent_bits_ = DjnEncryptor::ExponentBits(static_cast<int>(pk.bits()));
  e->exponent_bytes_ = static_cast<size_t>(e->exponent_bits_ + 7) / 8;
  e->windows_ = (e->exponent_bits_ + gpu::kWindowBits - 1) / gpu::kWindowBits;
  CS_ASSIGN_OR_RETURN(e->gpu_, CudaDriver::Load(library));
  CS_RETURN_IF_ERROR(e->gpu_->LoadKernel(kDjnKernelPtx, "cipherstat_djn_encrypt"));

  // T[j][d] = h_s^(d·64^j)·R mod n², R = 2^(32·limbs): public values (h_s is public).
  const BigInt& n2 = pk.n_squared();
  BigInt r;
  mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * limbs));
  std::vector<uint32_t> table(static_cast<size_t>(e->windows_) * gpu::kWindowEntries *
                              static_cast<size_t>(limbs));
  BigInt base = h_s, power, entry;
  for (int j = 0; j < e->windows_; ++j) {
    mpz_set_ui(power.get(), 1);
    for (int d = 0; d < gpu::kWindowEntries; ++d) {
      mpz_mul(entry.get(), power.get(), r.get());
      mpz_mod(entry.get(), entry.get(), n2.get());
      ToLimbs32(entry, limbs,
                table.data() + (static_cast<size_t>(j) * gpu::kWindowEntries + d) * limbs);
      mpz_mul(power.get(), power.get(), base.get());
      mpz_mod(power.get(), power.get(), n2.get());
    }
    mpz_powm_ui(base.get(), base.get(), gpu::kWindowEntries, n2.get());
  }
  std::vector<uint32_t> n2_limbs(static_cast<size_t>(limbs)), one_r(static_cast<size_t>(limbs));
  ToLimbs32(n2, limbs, n2_limbs.data());
  BigInt r_mod;
  mpz_mod(r_mod.get(), r.get(), n2.get());
  ToLimbs32(r_mod, limbs, one_r.data());
  e->n_factor_ = gpu::MontgomeryFactor(n2_limbs[0]);
  auto upload = [&](const std::vector<uint32_t>& v,
                    std::unique_ptr<CudaDriver::Buffer>* out) -> Status {
    CS_ASSIGN_OR_RETURN(CudaDriver::Buffer b, e->gpu_->Allocate(v.size() * sizeof(uint32_t)));
    CS_RETURN_IF_ERROR(e->gpu_->CopyToDevice(b, v.data(), v.size() * sizeof(uint32_t)));
    *out = std::make_unique<CudaDriver::Buffer>(std::move(b));
    return Status::OK();
  };
  CS_RETURN_IF_ERROR(upload(table, &e->table_));
  CS_RETURN_IF_ERROR(upload(n2_limbs, &e->n2_));
  CS_RETURN_IF_ERROR(upload(one_r, &e->one_r_));
  return e;
}

Status GpuDjnEncryptor::EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) const {
  std::vector<unsigned char> a(ms.size() * exponent_bytes_);
  randombytes_buf(a.data(), a.size());
  // Exactly exponent_bits_ bits each: clear the bits above them in each top byte.
  const int spare = static_cast<int>(exponent_bytes_ * 8) - exponent_bits_;
  for (size_t i = 0; spare > 0 && i < ms.size(); ++i) {
    a[(i + 1) * exponent_bytes_ - 1] &= static_cast<unsigned char>(0xffu >> spare);
  }
  Status s = EncryptWithExponents(ms, a.data(), out);
  sodium_memzero(a.data(), a.size());
  return s;
}

Status GpuDjnEncryptor::EncryptWithExponents(std::span<const BigInt> ms,
                                             const unsigned char* exponents,
                                             std::span<Ciphertext> out) const {
  if (ms.size() != out.size()) return Status::InvalidArgument("GPU: batch sizes differ");
  if (ms.empty()) return Status::OK();
  const size_t count = ms.size(), limbs = static_cast<size_t>(limbs_);
  std::vector<uint32_t> g_ms(count * limbs);
  BigInt g;
  for (size_t i = 0; i < count; ++i) {
    mpz_mul(g.get(), ms[i].get(), pk_.n().get());  // 1 + m·n < n² for 0 <= m < n
    mpz_add_ui(g.get(), g.get(), 1);
    ToLimbs32(g, limbs_, g_ms.data() + i * limbs);
  }
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer exps, gpu_->Allocate(count * exponent_bytes_));
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer gs, gpu_->Allocate(g_ms.size() * sizeof(uint32_t)));
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer results, gpu_->Allocate(g_ms.size() * sizeof(uint32_t)));
  CS_RETURN_IF_ERROR(gpu_->CopyToDevice(exps, exponents, count * exponent_bytes_));
  CS_RETURN_IF_ERROR(gpu_->CopyToDevice(gs, g_ms.data(), g_ms.size() * sizeof(uint32_t)));
  sodium_memzero(g_ms.data(), g_ms.size() * sizeof(uint32_t));  // the messages
  uint64_t table = table_->address(), exps_at = exps.address(), gs_at = gs.address(),
           one = one_r_->address(), n2 = n2_->address(), results_at = results.address();
  int windows = windows_, bytes = static_cast<int>(exponent_bytes_), limbs_arg = limbs_,
      count_arg = static_cast<int>(count);
  uint32_t factor = n_factor_;
  CS_RETURN_IF_ERROR(gpu_->Launch(static_cast<unsigned>(count), kBlock,
                                  {&table, &windows, &exps_at, &bytes, &gs_at, &one, &n2, &factor,
                                   &limbs_arg, &count_arg, &results_at}));
  std::vector<uint32_t> c(count * limbs);
  CS_RETURN_IF_ERROR(gpu_->CopyFromDevice(c.data(), results, c.size() * sizeof(uint32_t)));
  for (size_t i = 0; i < count; ++i) {
    mpz_import(out[i].value.get(), limbs, -1, sizeof(uint32_t), 0, 0, c.data() + i * limbs);
  }
  return Status::OK();
}

}  // namespace cipherstat::crypto
