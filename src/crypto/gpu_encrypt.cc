#include "crypto/gpu_encrypt.h"

#include <gmp.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "crypto/djn.h"
#include "crypto/gpu_group_kernel.h"
#include "crypto/gpu_kernel.h"

namespace cipherstat::crypto {

namespace {

constexpr unsigned kBlock = 64;

// x as `limbs` little-endian 32-bit limbs. REQUIRES: x fits.
void ToLimbs32(const BigInt& x, int limbs, uint32_t* out) {
  std::memset(out, 0, static_cast<size_t>(limbs) * sizeof(uint32_t));
  size_t count = 0;
  mpz_export(out, &count, -1, sizeof(uint32_t), 0, 0, x.get());
}

void FromLimbs32(const uint32_t* limbs, int count, BigInt* out) {
  mpz_import(out->get(), static_cast<size_t>(count), -1, sizeof(uint32_t), 0, 0, limbs);
}

int Limbs32(const BigInt& x) { return static_cast<int>((mpz_sizeinbase(x.get(), 2) + 31) / 32); }

// Adds the seconds since the last call (or construction) to the step named.
class StepClock {
 public:
  void Charge(double* step) {
    const auto now = std::chrono::steady_clock::now();
    *step += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Limbs of secrets (messages, randomness, primes), wiped however the scope is left.
struct SecretWords {
  explicit SecretWords(size_t count) : words(count) {}
  SecretWords(const SecretWords&) = delete;
  SecretWords& operator=(const SecretWords&) = delete;
  ~SecretWords() { sodium_memzero(words.data(), words.size() * sizeof(uint32_t)); }
  uint32_t* data() { return words.data(); }
  size_t bytes() const { return words.size() * sizeof(uint32_t); }
  std::vector<uint32_t> words;
};

}  // namespace

std::string GpuSteps::ToString() const {
  char text[200];
  std::snprintf(text, sizeof text,
                "load %.2f s, prepare %.2f s, upload %.2f s, kernel %.2f s, download %.2f s, "
                "finish %.2f s, check %.2f s",
                load, prepare, upload, kernel, download, finish, check);
  return text;
}

int GpuEncryptor::KernelLimbs(const BigInt& modulus, std::span<const int> built) {
  const int needed = Limbs32(modulus);
  for (int limbs : built) {
    if (limbs >= needed) return limbs;
  }
  return 0;
}

Status GpuEncryptor::Load(const std::string& library, const std::string& name, GpuKernel shape,
                          int group_lanes) {
  if (kGpuKernelPtx[0] == '\0') {
    return Status::NotSupported("this cipherstat was built without the GPU kernel (no clang)");
  }
  lanes_ = shape == GpuKernel::kGroup ? group_lanes : 1;
  StepClock clock;
  CS_ASSIGN_OR_RETURN(gpu_, CudaDriver::Load(library));
  CS_ASSIGN_OR_RETURN(
      std::vector<CudaDriver::Kernel> kernels,
      gpu_->LoadModule(kGpuKernelPtx, {shape == GpuKernel::kGroup ? name + "_group" : name}));
  kernel_ = kernels[0];
  clock.Charge(&steps_.load);
  return Status::OK();
}

Status GpuEncryptor::Launch(size_t count, std::vector<void*> params) const {
  // Blocks of kBlock threads hold whole groups (kBlock is a multiple of every lane count).
  static_assert(kBlock % gpu::kDjnLanes == 0 && kBlock % gpu::kPowLanes == 0);
  const size_t threads = count * static_cast<size_t>(lanes_);
  if (threads > (size_t{1} << 31)) return Status::InvalidArgument("GPU: batch too large");
  return gpu_->Launch(kernel_, static_cast<unsigned>(threads), kBlock, std::move(params));
}

std::vector<size_t> GpuEncryptor::SpotChecked(size_t count) {
  constexpr size_t kRandom = 6;
  std::vector<size_t> chosen;
  if (count <= kRandom + 2) {
    for (size_t i = 0; i < count; ++i) chosen.push_back(i);
    return chosen;
  }
  chosen = {0, count - 1};
  for (size_t k = 0; k < kRandom; ++k) {
    chosen.push_back(randombytes_uniform(static_cast<uint32_t>(count)));
  }
  return chosen;
}

Status GpuEncryptor::Differs(size_t index, const char* what) {
  return Status::IOError(
      "GPU: " + std::string(what) + " " + std::to_string(index) +
      " of a batch differs from the CPU's check: this GPU or its driver computes wrongly; "
      "nothing was written (encrypt with --device cpu)");
}

void GpuEncryptor::ForEach(size_t count, const std::function<void(size_t)>& step) const {
  constexpr size_t kGrain = 256;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t first; (first = next.fetch_add(kGrain)) < count;) {
      for (size_t i = first; i < std::min(count, first + kGrain); ++i) step(i);
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < static_cast<size_t>(threads_) && t * kGrain < count; ++t) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& th : pool) th.join();
}

Result<std::unique_ptr<CudaDriver::Buffer>> GpuEncryptor::Upload(std::span<const uint32_t> words) {
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer b, gpu_->Allocate(words.size_bytes()));
  CS_RETURN_IF_ERROR(gpu_->CopyToDevice(b, words.data(), words.size_bytes()));
  return std::make_unique<CudaDriver::Buffer>(std::move(b));
}

Result<std::unique_ptr<GpuDjnEncryptor>> GpuDjnEncryptor::Create(const PublicKey& pk,
                                                                 const DjnEncryptor& cpu,
                                                                 const std::string& library,
                                                                 int threads, GpuKernel shape) {
  const BigInt& n2 = pk.n_squared();
  const int limbs = KernelLimbs(n2, gpu::kDjnLimbs);
  if (limbs == 0) return Status::InvalidArgument("GPU encryption handles keys of up to 3072 bits");
  std::unique_ptr<GpuDjnEncryptor> e(new GpuDjnEncryptor());
  CS_RETURN_IF_ERROR(
      e->Load(library, "cipherstat_djn_encrypt_" + std::to_string(limbs), shape, gpu::kDjnLanes));
  e->threads_ = std::max(1, threads);
  e->pk_ = pk;
  e->cpu_ = &cpu;
  e->limbs_ = limbs;
  e->exponent_bits_ = DjnEncryptor::ExponentBits(static_cast<int>(pk.bits()));
  e->exponent_bytes_ = static_cast<size_t>(e->exponent_bits_ + 7) / 8;
  e->windows_ = (e->exponent_bits_ + gpu::kWindowBits - 1) / gpu::kWindowBits;

  // T[j][d] = h_s^(d·64^j)·R mod n², R = 2^(32·limbs): public values (h_s is public).
  BigInt r;
  mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * limbs));
  std::vector<uint32_t> table(static_cast<size_t>(e->windows_) * gpu::kWindowEntries *
                              static_cast<size_t>(limbs));
  BigInt base = cpu.h_s(), power, entry;
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
  mpz_mod(r.get(), r.get(), n2.get());
  ToLimbs32(r, limbs, one_r.data());
  e->n_factor_ = gpu::MontgomeryFactor(n2_limbs[0]);
  CS_ASSIGN_OR_RETURN(e->table_, e->Upload(table));
  CS_ASSIGN_OR_RETURN(e->n2_, e->Upload(n2_limbs));
  CS_ASSIGN_OR_RETURN(e->one_r_, e->Upload(one_r));
  return e;
}

Status GpuDjnEncryptor::EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) {
  StepClock clock;
  std::vector<unsigned char> a(ms.size() * exponent_bytes_);
  randombytes_buf(a.data(), a.size());
  // Exactly exponent_bits_ bits each: clear the bits above them in each top byte.
  const int spare = static_cast<int>(exponent_bytes_ * 8) - exponent_bits_;
  for (size_t i = 0; spare > 0 && i < ms.size(); ++i) {
    a[(i + 1) * exponent_bytes_ - 1] &= static_cast<unsigned char>(0xffu >> spare);
  }
  clock.Charge(&steps_.prepare);
  Status s = EncryptWithExponents(ms, a.data(), out);
  sodium_memzero(a.data(), a.size());
  return s;
}

Status GpuDjnEncryptor::EncryptWithExponents(std::span<const BigInt> ms,
                                             const unsigned char* exponents,
                                             std::span<Ciphertext> out) {
  if (ms.size() != out.size()) return Status::InvalidArgument("GPU: batch sizes differ");
  if (ms.empty()) return Status::OK();
  for (const BigInt& m : ms) {
    if (mpz_sgn(m.get()) < 0 || mpz_cmp(m.get(), pk_.n().get()) >= 0) {
      return Status::InvalidArgument("GPU: a plaintext outside [0, n)");
    }
  }
  StepClock clock;
  const size_t count = ms.size(), limbs = static_cast<size_t>(limbs_);
  SecretWords g_ms(count * limbs);  // the messages
  ForEach(count, [&](size_t i) {
    BigInt g;
    mpz_mul(g.get(), ms[i].get(), pk_.n().get());  // 1 + m·n < n² for 0 <= m < n
    mpz_add_ui(g.get(), g.get(), 1);
    ToLimbs32(g, limbs_, g_ms.data() + i * limbs);
  });
  clock.Charge(&steps_.prepare);
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer exps, gpu_->Allocate(count * exponent_bytes_));
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer gs, gpu_->Allocate(g_ms.bytes()));
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer results, gpu_->Allocate(g_ms.bytes()));
  CS_RETURN_IF_ERROR(gpu_->CopyToDevice(exps, exponents, count * exponent_bytes_));
  CS_RETURN_IF_ERROR(gpu_->CopyToDevice(gs, g_ms.data(), g_ms.bytes()));
  clock.Charge(&steps_.upload);
  uint64_t table = table_->address(), exps_at = exps.address(), gs_at = gs.address(),
           one = one_r_->address(), n2 = n2_->address(), results_at = results.address();
  int windows = windows_, bytes = static_cast<int>(exponent_bytes_),
      count_arg = static_cast<int>(count);
  uint32_t factor = n_factor_;
  CS_RETURN_IF_ERROR(Launch(count, {&table, &windows, &exps_at, &bytes, &gs_at, &one, &n2, &factor,
                                    &count_arg, &results_at}));
  clock.Charge(&steps_.kernel);
  std::vector<uint32_t> c(count * limbs);
  CS_RETURN_IF_ERROR(gpu_->CopyFromDevice(c.data(), results, c.size() * sizeof(uint32_t)));
  clock.Charge(&steps_.download);
  ForEach(count, [&](size_t i) { FromLimbs32(c.data() + i * limbs, limbs_, &out[i].value); });
  clock.Charge(&steps_.finish);
  // The sample again on the CPU, with the same exponents.
  const std::vector<size_t> sample = SpotChecked(count);
  std::vector<BigInt> sample_ms(sample.size()), sample_as(sample.size());
  for (size_t k = 0; k < sample.size(); ++k) {
    sample_ms[k] = ms[sample[k]];
    mpz_import(sample_as[k].get(), exponent_bytes_, -1, 1, 0, 0,
               exponents + sample[k] * exponent_bytes_);
  }
  std::vector<Ciphertext> expected(sample.size());
  cpu_->EncryptWithExponents(sample_ms, sample_as, expected);
  for (size_t k = 0; k < sample.size(); ++k) {
    if (expected[k].value != out[sample[k]].value) return Differs(sample[k], "ciphertext");
  }
  clock.Charge(&steps_.check);
  steps_.encryptions += count;
  return Status::OK();
}

Result<std::unique_ptr<GpuCrtEncryptor>> GpuCrtEncryptor::Create(const SecretKey& sk,
                                                                 const std::string& library,
                                                                 int threads, GpuKernel shape) {
  // p and q have the same size (SecretKeyFromPrimes), so one kernel serves both halves.
  BigInt p2;
  mpz_mul(p2.get(), sk.p().get(), sk.p().get());
  const int limbs = KernelLimbs(p2, gpu::kPowLimbs);
  if (limbs == 0) return Status::InvalidArgument("GPU encryption handles keys of up to 3072 bits");
  std::unique_ptr<GpuCrtEncryptor> e(new GpuCrtEncryptor());
  CS_RETURN_IF_ERROR(
      e->Load(library, "cipherstat_pow_mod_" + std::to_string(limbs), shape, gpu::kPowLanes));
  e->sk_ = &sk;
  e->threads_ = std::max(1, threads);
  CS_ASSIGN_OR_RETURN(e->p_, e->MakeHalf(sk.p(), limbs));
  CS_ASSIGN_OR_RETURN(e->q_, e->MakeHalf(sk.q(), limbs));
  return e;
}

Result<GpuCrtEncryptor::Half> GpuCrtEncryptor::MakeHalf(const BigInt& prime, int limbs_of_kernel) {
  Half h;
  h.prime = prime;
  mpz_mul(h.square.get(), prime.get(), prime.get());
  const BigInt& modulus = h.square;
  if (Limbs32(modulus) > limbs_of_kernel) {
    return Status::InvalidArgument("GPU: p and q differ in size");
  }
  BigInt r, r2;
  h.limbs = limbs_of_kernel;
  const size_t limbs = static_cast<size_t>(h.limbs);
  mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * h.limbs));
  mpz_mul(r2.get(), r.get(), r.get());
  mpz_mod(r2.get(), r2.get(), modulus.get());
  mpz_mod(r.get(), r.get(), modulus.get());
  // The exponent, the prime itself, as little-endian bytes padded to whole 32-bit words.
  h.exponent_bytes = Limbs32(prime) * 4;
  // All four follow from the secret prime.
  SecretWords m(limbs), r_limbs(limbs), r2_limbs(limbs),
      exponent(static_cast<size_t>(h.exponent_bytes) / 4);
  ToLimbs32(modulus, h.limbs, m.data());
  ToLimbs32(r, h.limbs, r_limbs.data());
  ToLimbs32(r2, h.limbs, r2_limbs.data());
  ToLimbs32(prime, static_cast<int>(exponent.words.size()), exponent.data());
  h.factor = gpu::MontgomeryFactor(m.words[0]);
  // The bytes of little-endian 32-bit words are the little-endian bytes of the number on the
  // little-endian hosts and GPUs this runs on.
  static_assert(std::endian::native == std::endian::little);
  CS_ASSIGN_OR_RETURN(h.modulus, Upload(m.words));
  CS_ASSIGN_OR_RETURN(h.r2, Upload(r2_limbs.words));
  CS_ASSIGN_OR_RETURN(h.one_r, Upload(r_limbs.words));
  CS_ASSIGN_OR_RETURN(h.exponent, Upload(exponent.words));
  return h;
}

Status GpuCrtEncryptor::Raise(const Half& half, std::span<const BigInt> bases,
                              std::vector<BigInt>* xs) {
  StepClock clock;
  const size_t count = bases.size(), limbs = static_cast<size_t>(half.limbs);
  SecretWords words(count * limbs);  // the bases, then their powers: the randomness
  ForEach(count, [&](size_t i) { ToLimbs32(bases[i], half.limbs, words.data() + i * limbs); });
  clock.Charge(&steps_.prepare);
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer in, gpu_->Allocate(words.bytes()));
  CS_ASSIGN_OR_RETURN(CudaDriver::Buffer results, gpu_->Allocate(words.bytes()));
  CS_RETURN_IF_ERROR(gpu_->CopyToDevice(in, words.data(), words.bytes()));
  clock.Charge(&steps_.upload);
  uint64_t bases_at = in.address(), exponent = half.exponent->address(), r2 = half.r2->address(),
           one = half.one_r->address(), n = half.modulus->address(), results_at = results.address();
  int bytes = half.exponent_bytes, count_arg = static_cast<int>(count);
  uint32_t factor = half.factor;
  CS_RETURN_IF_ERROR(Launch(
      count, {&bases_at, &exponent, &bytes, &r2, &one, &n, &factor, &count_arg, &results_at}));
  clock.Charge(&steps_.kernel);
  CS_RETURN_IF_ERROR(gpu_->CopyFromDevice(words.data(), results, words.bytes()));
  clock.Charge(&steps_.download);
  xs->resize(count);
  ForEach(count, [&](size_t i) { FromLimbs32(words.data() + i * limbs, half.limbs, &(*xs)[i]); });
  clock.Charge(&steps_.finish);
  // Every power: x = s^prime mod prime² gives x ≡ s (mod prime) by Fermat, one reduction each.
  std::atomic<size_t> wrong{count};
  ForEach(count, [&](size_t i) {
    BigInt residue;
    mpz_mod(residue.get(), (*xs)[i].get(), half.prime.get());
    if (mpz_cmp(residue.get(), bases[i].get()) != 0) wrong.store(i);
  });
  if (wrong.load() < count) return Differs(wrong.load(), "power");
  // A sample in full, which the residue alone cannot tell from a multiple of prime off.
  BigInt expected;
  for (size_t i : SpotChecked(count)) {
    if (mpz_sgn(bases[i].get()) == 0) {
      mpz_set_ui(expected.get(), 0);
    } else {
      mpz_powm_sec(expected.get(), bases[i].get(), half.prime.get(), half.square.get());
    }
    if (mpz_cmp(expected.get(), (*xs)[i].get()) != 0) return Differs(i, "power");
  }
  clock.Charge(&steps_.check);
  return Status::OK();
}

Status GpuCrtEncryptor::EncryptBatch(std::span<const BigInt> ms, std::span<Ciphertext> out) {
  StepClock clock;
  std::vector<BigInt> s_p(ms.size()), s_q(ms.size());
  ForEach(ms.size(), [&](size_t i) { DrawCrtBases(*sk_, &s_p[i], &s_q[i]); });
  clock.Charge(&steps_.prepare);
  return EncryptWithBases(ms, s_p, s_q, out);
}

Status GpuCrtEncryptor::EncryptWithBases(std::span<const BigInt> ms, std::span<const BigInt> s_p,
                                         std::span<const BigInt> s_q, std::span<Ciphertext> out) {
  if (ms.size() != out.size() || s_p.size() != ms.size() || s_q.size() != ms.size()) {
    return Status::InvalidArgument("GPU: batch sizes differ");
  }
  if (ms.empty()) return Status::OK();
  std::vector<BigInt> x_p, x_q;
  CS_RETURN_IF_ERROR(Raise(p_, s_p, &x_p));
  CS_RETURN_IF_ERROR(Raise(q_, s_q, &x_q));
  StepClock clock;
  ForEach(ms.size(), [&](size_t i) {
    out[i] = FinishCrtEncryption(*sk_, ms[i], std::move(x_p[i]), std::move(x_q[i]));
  });
  clock.Charge(&steps_.finish);
  steps_.encryptions += ms.size();
  return Status::OK();
}

}  // namespace cipherstat::crypto
