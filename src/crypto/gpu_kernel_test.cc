// The GPU kernels' arithmetic (gpu_kernel.h), compiled for the CPU, against GMP.
#include "crypto/gpu_kernel.h"

#include <gmp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "crypto/bigint.h"
#include "crypto/cuda_driver.h"
#include "crypto/gpu_group_kernel.h"
#include "crypto/init.h"

namespace cipherstat::gpu {
namespace {

using crypto::BigInt;

std::vector<uint32_t> Limbs(const BigInt& x, int limbs) {
  std::vector<uint32_t> out(static_cast<size_t>(limbs), 0);
  size_t count = 0;
  mpz_export(out.data(), &count, -1, sizeof(uint32_t), 0, 0, x.get());
  EXPECT_LE(count, out.size());
  return out;
}

BigInt FromLimbs(const std::vector<uint32_t>& limbs) {
  BigInt x;
  mpz_import(x.get(), limbs.size(), -1, sizeof(uint32_t), 0, 0, limbs.data());
  return x;
}

BigInt RandomOdd(int bits) {
  BigInt bound;
  mpz_setbit(bound.get(), static_cast<mp_bitcnt_t>(bits));
  BigInt x = crypto::RandomBelow(bound);
  mpz_setbit(x.get(), static_cast<mp_bitcnt_t>(bits - 1));
  mpz_setbit(x.get(), 0);
  return x;
}

BigInt AllOnes(int bits) {
  BigInt x;
  mpz_setbit(x.get(), static_cast<mp_bitcnt_t>(bits));
  mpz_sub_ui(x.get(), x.get(), 1);
  return x;
}

class GpuKernelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::Init().ok()); }
};

// The product for an odd N of `bits` bits in the kernel built for L limbs (N may be far below
// R = 2^(32·L): a smaller key runs in the next size up).
template <int L>
void CheckMontgomery(int bits) {
  for (int trial = 0; trial < 4; ++trial) {
    const BigInt n = trial == 0 ? AllOnes(bits) : RandomOdd(bits);  // all ones: longest carries
    BigInt r, r_inv;
    mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * L));
    ASSERT_NE(mpz_invert(r_inv.get(), r.get(), n.get()), 0);
    BigInt n_minus_1;
    mpz_sub_ui(n_minus_1.get(), n.get(), 1);
    std::vector<BigInt> values = {BigInt(0), BigInt(1), n_minus_1, crypto::RandomBelow(n),
                                  crypto::RandomBelow(n)};
    const auto n_limbs = Limbs(n, L);
    const uint32_t factor = MontgomeryFactor(n_limbs[0]);
    EXPECT_EQ(static_cast<uint32_t>(factor * n_limbs[0]), 0xffffffffu) << "−N⁻¹ mod 2^32";
    for (const BigInt& a : values) {
      for (const BigInt& b : values) {
        std::vector<uint32_t> out(static_cast<size_t>(L));
        MontgomeryMultiply<L>(out.data(), Limbs(a, L).data(), Limbs(b, L).data(), n_limbs.data(),
                              factor);
        BigInt expected;
        mpz_mul(expected.get(), a.get(), b.get());
        mpz_mul(expected.get(), expected.get(), r_inv.get());
        mpz_mod(expected.get(), expected.get(), n.get());
        ASSERT_EQ(mpz_cmp(FromLimbs(out).get(), expected.get()), 0)
            << bits << " bits in " << L << " limbs, trial " << trial;
      }
    }
  }
}

TEST_F(GpuKernelTest, MontgomeryMultiplyEqualsGmp) {
  CheckMontgomery<1>(32);
  CheckMontgomery<2>(64);
  CheckMontgomery<64>(1000);
  CheckMontgomery<64>(2048);
  CheckMontgomery<96>(3072);
  CheckMontgomery<128>(2048);
  CheckMontgomery<128>(4096);
  CheckMontgomery<192>(4096);
  CheckMontgomery<192>(6144);
}

// The product split over a group of TPI lanes (gpu_group_kernel.h, the whole group run here on
// the CPU) equals GMP's, for N up to R = 2^(32·TPI·LPT), edge and random operands.
template <int TPI, int LPT>
void CheckGroupMontgomery(int bits) {
  constexpr int L = TPI * LPT;
  for (int trial = 0; trial < 4; ++trial) {
    const BigInt n = trial == 0 ? AllOnes(bits) : RandomOdd(bits);  // all ones: longest carries
    BigInt r, r_inv, n_minus_1;
    mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * L));
    ASSERT_NE(mpz_invert(r_inv.get(), r.get(), n.get()), 0);
    mpz_sub_ui(n_minus_1.get(), n.get(), 1);
    const std::vector<BigInt> values = {BigInt(0), BigInt(1), n_minus_1, crypto::RandomBelow(n),
                                        crypto::RandomBelow(n)};
    Split<TPI, LPT> modulus, a, b, out;
    Load(&modulus, Limbs(n, L).data());
    const uint32_t factor = MontgomeryFactor(Limbs(n, L)[0]);
    for (const BigInt& x : values) {
      for (const BigInt& y : values) {
        Load(&a, Limbs(x, L).data());
        Load(&b, Limbs(y, L).data());
        GroupMultiply(&out, a, b, modulus, factor);
        std::vector<uint32_t> limbs(static_cast<size_t>(L));
        Store(limbs.data(), out);
        BigInt expected;
        mpz_mul(expected.get(), x.get(), y.get());
        mpz_mul(expected.get(), expected.get(), r_inv.get());
        mpz_mod(expected.get(), expected.get(), n.get());
        ASSERT_EQ(mpz_cmp(FromLimbs(limbs).get(), expected.get()), 0)
            << bits << " bits over " << TPI << " lanes of " << LPT << " limbs, trial " << trial;
      }
    }
  }
}

TEST_F(GpuKernelTest, GroupMultiplyEqualsGmp) {
  CheckGroupMontgomery<1, 4>(128);
  CheckGroupMontgomery<2, 1>(64);
  CheckGroupMontgomery<4, 2>(200);
  CheckGroupMontgomery<4, 16>(1000);
  CheckGroupMontgomery<4, 16>(2048);
  CheckGroupMontgomery<4, 24>(3072);
  CheckGroupMontgomery<8, 16>(2048);
  CheckGroupMontgomery<8, 16>(4096);
  CheckGroupMontgomery<8, 24>(6144);
}

TEST_F(GpuKernelTest, ExponentWindowsCoverEveryBitOnce) {
  const uint8_t a[3] = {0xb7, 0x5c, 0x03};  // 0x035cb7
  const uint32_t value = 0x035cb7;
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(ExponentWindow(a, 3, w, 6), (value >> (6 * w)) & 63) << w;
  }
  EXPECT_EQ(ExponentWindow(a, 3, 4, 6), 0u) << "past the end";
  for (int w = 0; w < 6; ++w) {
    EXPECT_EQ(ExponentWindow(a, 3, w, 4), (value >> (4 * w)) & 15) << w;
  }
}

// s^e mod N as PowMod computes it (N = p², e = p in standard encryption) in the kernel built
// for L limbs equals GMP's, for edge and random bases and exponents.
template <int L>
void CheckPowMod(int bits) {
  const BigInt n = RandomOdd(bits);
  BigInt r, r2, one_r, n_minus_1, e_bound;
  mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * L));
  mpz_mul(r2.get(), r.get(), r.get());
  mpz_mod(r2.get(), r2.get(), n.get());
  mpz_mod(one_r.get(), r.get(), n.get());
  mpz_sub_ui(n_minus_1.get(), n.get(), 1);
  const int e_bits = bits / 2;  // p's size beside p²
  const int e_bytes = (e_bits + 31) / 32 * 4;
  mpz_setbit(e_bound.get(), static_cast<mp_bitcnt_t>(e_bits));
  BigInt all_ones;
  mpz_sub_ui(all_ones.get(), e_bound.get(), 1);
  const auto n_limbs = Limbs(n, L);
  const uint32_t factor = MontgomeryFactor(n_limbs[0]);
  const std::vector<BigInt> bases = {BigInt(0), BigInt(1), n_minus_1, crypto::RandomBelow(n)};
  const std::vector<BigInt> exponents = {BigInt(0), BigInt(1), all_ones, RandomOdd(e_bits),
                                         crypto::RandomBelow(e_bound)};
  for (const BigInt& s : bases) {
    for (const BigInt& e : exponents) {
      std::vector<uint8_t> e_le(static_cast<size_t>(e_bytes), 0);
      size_t written = 0;
      mpz_export(e_le.data(), &written, -1, 1, 0, 0, e.get());
      std::vector<uint32_t> out(static_cast<size_t>(L));
      PowMod<L>(out.data(), Limbs(s, L).data(), e_le.data(), e_bytes, Limbs(r2, L).data(),
                Limbs(one_r, L).data(), n_limbs.data(), factor);
      BigInt expected;
      mpz_powm(expected.get(), s.get(), e.get(), n.get());
      ASSERT_EQ(mpz_cmp(FromLimbs(out).get(), expected.get()), 0)
          << bits << " bits in " << L << " limbs, s = " << s.ToHex() << ", e = " << e.ToHex();
    }
  }
}

TEST_F(GpuKernelTest, PowModEqualsGmp) {
  CheckPowMod<2>(64);
  CheckPowMod<64>(1000);
  CheckPowMod<64>(2048);
  CheckPowMod<96>(2048);
  CheckPowMod<96>(3072);
}

// A DJN table over a random odd n (the arithmetic does not need n to be an RSA modulus).
struct DjnSetup {
  static constexpr int kNBits = 2048, kExponentBits = 448;
  static constexpr int kLimbs = 2 * kNBits / 32;
  static constexpr int kWindows = (kExponentBits + kWindowBits - 1) / kWindowBits;
  BigInt n = RandomOdd(kNBits), n2, h_s, one_r;
  std::vector<uint32_t> table, n2_limbs, one_r_limbs;
  uint32_t factor = 0;

  DjnSetup() {
    mpz_mul(n2.get(), n.get(), n.get());
    h_s = crypto::RandomBelow(n2);
    BigInt r;
    mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * kLimbs));
    mpz_mod(one_r.get(), r.get(), n2.get());
    // T[j][d] = h_s^(d·64^j)·R mod n²
    table.resize(static_cast<size_t>(kWindows) * kWindowEntries * kLimbs);
    BigInt base = h_s;  // h_s^(64^j)
    for (int j = 0; j < kWindows; ++j) {
      BigInt power(1);
      for (int d = 0; d < kWindowEntries; ++d) {
        BigInt entry;
        mpz_mul(entry.get(), power.get(), r.get());
        mpz_mod(entry.get(), entry.get(), n2.get());
        const auto entry_limbs = Limbs(entry, kLimbs);
        std::copy(entry_limbs.begin(), entry_limbs.end(),
                  table.begin() + (static_cast<ptrdiff_t>(j) * kWindowEntries + d) * kLimbs);
        mpz_mul(power.get(), power.get(), base.get());
        mpz_mod(power.get(), power.get(), n2.get());
      }
      mpz_powm_ui(base.get(), base.get(), kWindowEntries, n2.get());
    }
    n2_limbs = Limbs(n2, kLimbs);
    factor = MontgomeryFactor(n2_limbs[0]);
    one_r_limbs = Limbs(one_r, kLimbs);
  }
  BigInt GOf(const BigInt& m) const {  // 1 + m·n
    BigInt g;
    mpz_mul(g.get(), m.get(), n.get());
    mpz_add_ui(g.get(), g.get(), 1);
    return g;
  }
  BigInt Expected(const BigInt& m, const BigInt& a) const {
    BigInt c;
    mpz_powm(c.get(), h_s.get(), a.get(), n2.get());
    mpz_mul(c.get(), c.get(), GOf(m).get());
    mpz_mod(c.get(), c.get(), n2.get());
    return c;
  }
  static std::vector<uint8_t> ExponentBytes(const BigInt& a) {
    std::vector<uint8_t> bytes(kExponentBits / 8, 0);
    size_t count = 0;
    mpz_export(bytes.data(), &count, -1, 1, 0, 0, a.get());
    return bytes;
  }
};

// (1 + m·n)·h_s^a mod n² from the fixed-base table, as the kernel computes it, equals GMP's
// for edge and random exponents.
TEST_F(GpuKernelTest, DjnEncryptEqualsGmp) {
  const DjnSetup s;
  BigInt all_ones, top, bound;
  mpz_setbit(all_ones.get(), DjnSetup::kExponentBits);
  mpz_sub_ui(all_ones.get(), all_ones.get(), 1);
  mpz_setbit(top.get(), DjnSetup::kExponentBits - 1);
  mpz_setbit(bound.get(), DjnSetup::kExponentBits);
  for (const BigInt& a : {BigInt(0), BigInt(1), BigInt(63), BigInt(64), all_ones, top,
                          crypto::RandomBelow(bound), crypto::RandomBelow(bound)}) {
    const BigInt m = crypto::RandomBelow(s.n);
    const auto a_bytes = DjnSetup::ExponentBytes(a);
    std::vector<uint32_t> out(DjnSetup::kLimbs);
    DjnEncrypt<DjnSetup::kLimbs>(out.data(), s.table.data(), DjnSetup::kWindows, a_bytes.data(),
                                 static_cast<int>(a_bytes.size()),
                                 Limbs(s.GOf(m), DjnSetup::kLimbs).data(), s.one_r_limbs.data(),
                                 s.n2_limbs.data(), s.factor);
    EXPECT_EQ(mpz_cmp(FromLimbs(out).get(), s.Expected(m, a).get()), 0) << "a = " << a.ToHex();
  }
}

// The same encryptions by a group of 8 lanes of 16 limbs (the 2048-bit key's GPU kernel).
TEST_F(GpuKernelTest, GroupDjnEncryptEqualsGmp) {
  const DjnSetup s;
  BigInt bound;
  mpz_setbit(bound.get(), DjnSetup::kExponentBits);
  for (const BigInt& a : {BigInt(0), BigInt(1), AllOnes(DjnSetup::kExponentBits),
                          crypto::RandomBelow(bound), crypto::RandomBelow(bound)}) {
    const BigInt m = crypto::RandomBelow(s.n);
    const auto a_bytes = DjnSetup::ExponentBytes(a);
    std::vector<uint32_t> out(DjnSetup::kLimbs);
    GroupDjnEncrypt<8, 16>(out.data(), s.table.data(), DjnSetup::kWindows, a_bytes.data(),
                           static_cast<int>(a_bytes.size()),
                           Limbs(s.GOf(m), DjnSetup::kLimbs).data(), s.one_r_limbs.data(),
                           s.n2_limbs.data(), s.factor);
    EXPECT_EQ(mpz_cmp(FromLimbs(out).get(), s.Expected(m, a).get()), 0) << "a = " << a.ToHex();
  }
}

// s^e mod N by a group (the standard-mode kernels: 4 lanes of 16 or 24 limbs).
template <int TPI, int LPT>
void CheckGroupPowMod(int bits) {
  constexpr int L = TPI * LPT;
  const BigInt n = RandomOdd(bits);
  BigInt r, r2, one_r, n_minus_1;
  mpz_setbit(r.get(), static_cast<mp_bitcnt_t>(32 * L));
  mpz_mul(r2.get(), r.get(), r.get());
  mpz_mod(r2.get(), r2.get(), n.get());
  mpz_mod(one_r.get(), r.get(), n.get());
  mpz_sub_ui(n_minus_1.get(), n.get(), 1);
  const int e_bytes = (bits / 2 + 31) / 32 * 4;
  for (const BigInt& base : {BigInt(0), BigInt(1), n_minus_1, crypto::RandomBelow(n)}) {
    for (const BigInt& e : {BigInt(1), AllOnes(bits / 2), RandomOdd(bits / 2)}) {
      std::vector<uint8_t> e_le(static_cast<size_t>(e_bytes), 0);
      size_t written = 0;
      mpz_export(e_le.data(), &written, -1, 1, 0, 0, e.get());
      std::vector<uint32_t> out(static_cast<size_t>(L));
      GroupPowMod<TPI, LPT>(out.data(), Limbs(base, L).data(), e_le.data(), e_bytes,
                            Limbs(r2, L).data(), Limbs(one_r, L).data(), Limbs(n, L).data(),
                            MontgomeryFactor(Limbs(n, L)[0]));
      BigInt expected;
      mpz_powm(expected.get(), base.get(), e.get(), n.get());
      ASSERT_EQ(mpz_cmp(FromLimbs(out).get(), expected.get()), 0)
          << bits << " bits, s = " << base.ToHex() << ", e = " << e.ToHex();
    }
  }
}

TEST_F(GpuKernelTest, GroupPowModEqualsGmp) {
  CheckGroupPowMod<4, 16>(2048);
  CheckGroupPowMod<4, 24>(3072);
  CheckGroupPowMod<2, 2>(100);
}

// The host side (crypto/cuda_driver.h) against a stub driver that runs the kernel's source on
// the CPU: buffers, copies, module loading, a launch of 37 threads in blocks of 16, and the
// failures a machine without a GPU gives.
TEST_F(GpuKernelTest, DriverRunsTheKernelThroughAStub) {
  auto missing = crypto::CudaDriver::Load("/nonexistent/libcuda.so.1");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(missing.status().message().find("no GPU driver"), std::string::npos);

  auto driver = crypto::CudaDriver::Load(CIPHERSTAT_CUDA_STUB);
  ASSERT_TRUE(driver.ok()) << driver.status().ToString();
  crypto::CudaDriver& gpu = **driver;
  const auto bad = gpu.LoadModule("not ptx", {"cipherstat_djn_encrypt"});
  EXPECT_NE(bad.status().message().find("device kernel image is invalid"), std::string::npos)
      << bad.status().ToString();
  const auto unknown = gpu.LoadModule("// PTX\n.visible .entry cipherstat_djn_encrypt_128(",
                                      {"cipherstat_djn_encrypt_128", "no_such_kernel"});
  EXPECT_NE(unknown.status().message().find("cuModuleGetFunction"), std::string::npos)
      << unknown.status().ToString();
  const auto kernels = gpu.LoadModule("// PTX\n.visible .entry cipherstat_djn_encrypt_128(",
                                      {"cipherstat_djn_encrypt_128"});
  ASSERT_TRUE(kernels.ok()) << kernels.status().ToString();

  const DjnSetup s;
  const int count = 37, limbs = DjnSetup::kLimbs, windows = DjnSetup::kWindows;
  const int exponent_bytes = DjnSetup::kExponentBits / 8;
  BigInt bound;
  mpz_setbit(bound.get(), DjnSetup::kExponentBits);
  std::vector<BigInt> ms, as;
  std::vector<uint8_t> exponents;
  std::vector<uint32_t> g_ms;
  for (int i = 0; i < count; ++i) {
    ms.push_back(crypto::RandomBelow(s.n));
    as.push_back(crypto::RandomBelow(bound));
    const auto bytes = DjnSetup::ExponentBytes(as.back());
    exponents.insert(exponents.end(), bytes.begin(), bytes.end());
    const auto g = Limbs(s.GOf(ms.back()), limbs);
    g_ms.insert(g_ms.end(), g.begin(), g.end());
  }
  auto upload = [&](const void* data, size_t bytes) {
    auto buffer = gpu.Allocate(bytes);
    EXPECT_TRUE(buffer.ok());
    EXPECT_TRUE(gpu.CopyToDevice(*buffer, data, bytes).ok());
    return std::move(buffer).value();
  };
  const auto table = upload(s.table.data(), s.table.size() * 4);
  const auto exps = upload(exponents.data(), exponents.size());
  const auto gs = upload(g_ms.data(), g_ms.size() * 4);
  const auto one = upload(s.one_r_limbs.data(), s.one_r_limbs.size() * 4);
  const auto n2 = upload(s.n2_limbs.data(), s.n2_limbs.size() * 4);
  auto out = gpu.Allocate(static_cast<size_t>(count) * limbs * 4);
  ASSERT_TRUE(out.ok());
  uint64_t table_address = table.address(), exps_address = exps.address(),
           gs_address = gs.address(), one_address = one.address(), n2_address = n2.address(),
           out_address = out->address();
  int windows_arg = windows, bytes_arg = exponent_bytes, count_arg = count;
  uint32_t factor = s.factor;
  ASSERT_TRUE(gpu.Launch((*kernels)[0], count, 16,
                         {&table_address, &windows_arg, &exps_address, &bytes_arg, &gs_address,
                          &one_address, &n2_address, &factor, &count_arg, &out_address})
                  .ok());
  std::vector<uint32_t> results(static_cast<size_t>(count) * limbs);
  ASSERT_TRUE(gpu.CopyFromDevice(results.data(), *out, results.size() * 4).ok());
  for (int i = 0; i < count; ++i) {
    const std::vector<uint32_t> c(results.begin() + i * limbs, results.begin() + (i + 1) * limbs);
    EXPECT_EQ(mpz_cmp(FromLimbs(c).get(), s.Expected(ms[i], as[i]).get()), 0) << i;
  }

  ::setenv("CIPHERSTAT_CUDA_STUB_DEVICES", "0", 1);
  auto no_gpu = crypto::CudaDriver::Load(CIPHERSTAT_CUDA_STUB);
  ::unsetenv("CIPHERSTAT_CUDA_STUB_DEVICES");
  EXPECT_EQ(no_gpu.status().code(), Status::Code::kNotSupported) << no_gpu.status().ToString();
}

}  // namespace
}  // namespace cipherstat::gpu
