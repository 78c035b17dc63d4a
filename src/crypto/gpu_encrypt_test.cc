// The GPU encryptors through the stub driver (tests/cuda_stub.cc runs the kernels' source on
// the CPU): DJN gives the same ciphertexts as DjnEncryptor for the same exponents; CRT gives
// ciphertexts whose residues mod p² and q² are GMP's for the same bases; both draw fresh
// randomness per ciphertext and decrypt to the message.
#include "crypto/gpu_encrypt.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "crypto/djn.h"
#include "crypto/init.h"

namespace cipherstat::crypto {
namespace {

// Every test runs with both kernel shapes (GpuKernel).
class GpuEncryptTest : public ::testing::TestWithParam<GpuKernel> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(Init().ok());
    auto sk = GenerateKey(2048);
    ASSERT_TRUE(sk.ok());
    sk_ = new SecretKey(std::move(sk).value());
  }
  static void TearDownTestSuite() { delete sk_; }
  // A CPU encryptor and a GPU one (through the stub driver) over the same h_s.
  std::unique_ptr<GpuDjnEncryptor> OnGpu(const DjnEncryptor& cpu) {
    auto gpu = GpuDjnEncryptor::Create(sk_->public_key(), cpu, CIPHERSTAT_CUDA_STUB, 3, GetParam());
    EXPECT_TRUE(gpu.ok()) << gpu.status().ToString();
    return gpu.ok() ? std::move(gpu).value() : nullptr;
  }
  // The GPU encryptor keeps a pointer to `cpu`: no temporaries.
  std::unique_ptr<GpuDjnEncryptor> OnGpu(const DjnEncryptor&&) = delete;
  static SecretKey* sk_;
};
SecretKey* GpuEncryptTest::sk_ = nullptr;

TEST_P(GpuEncryptTest, SameCiphertextsAsTheCpuForTheSameExponents) {
  if (kGpuKernelPtx[0] == '\0') GTEST_SKIP() << "built without clang: no GPU kernel";
  const PublicKey& pk = sk_->public_key();
  const DjnEncryptor cpu = DjnEncryptor::Create(pk);
  const auto gpu = OnGpu(cpu);
  ASSERT_NE(gpu, nullptr);
  const size_t count = 70, bytes = gpu->exponent_bytes();
  ASSERT_EQ(bytes * 8, static_cast<size_t>(cpu.exponent_bits()));
  std::vector<BigInt> ms, as;
  std::vector<unsigned char> exponents(count * bytes);
  BigInt bound;
  mpz_setbit(bound.get(), static_cast<mp_bitcnt_t>(cpu.exponent_bits()));
  for (size_t i = 0; i < count; ++i) {
    ms.push_back(RandomBelow(pk.n()));
    as.push_back(i == 0 ? BigInt(0) : RandomBelow(bound));
    size_t written = 0;
    mpz_export(exponents.data() + i * bytes, &written, -1, 1, 0, 0, as.back().get());
  }
  std::vector<Ciphertext> on_gpu(count), on_cpu(count);
  ASSERT_TRUE(gpu->EncryptWithExponents(ms, exponents.data(), on_gpu).ok());
  cpu.EncryptWithExponents(ms, as, on_cpu);
  for (size_t i = 0; i < count; ++i) EXPECT_EQ(on_gpu[i].value, on_cpu[i].value) << i;
}

TEST_P(GpuEncryptTest, EveryCiphertextGetsItsOwnRandomnessAndDecrypts) {
  if (kGpuKernelPtx[0] == '\0') GTEST_SKIP() << "built without clang: no GPU kernel";
  const DjnEncryptor cpu = DjnEncryptor::Create(sk_->public_key());
  const auto gpu = OnGpu(cpu);
  ASSERT_NE(gpu, nullptr);
  const std::vector<BigInt> ms(40, BigInt(7));  // equal messages: only the randomizers differ
  std::vector<Ciphertext> cs(ms.size());
  ASSERT_TRUE(gpu->EncryptBatch(ms, cs).ok());
  std::set<std::string> distinct;
  for (const Ciphertext& c : cs) {
    distinct.insert(c.value.ToHex());
    auto m = Decrypt(*sk_, c);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(*m, BigInt(7));
  }
  EXPECT_EQ(distinct.size(), ms.size()) << "two ciphertexts share h_s^a";
}

// c ≡ (1 + m·n)·s_p^p (mod p²) and likewise mod q², computed here with mpz_powm: what
// EncryptCrt's distribution argument (crypto/paillier.h) is about.
TEST_P(GpuEncryptTest, CrtCiphertextsAreGmpsPowersOfTheBases) {
  if (kGpuKernelPtx[0] == '\0') GTEST_SKIP() << "built without clang: no GPU kernel";
  auto gpu = GpuCrtEncryptor::Create(*sk_, CIPHERSTAT_CUDA_STUB, 2, GetParam());
  ASSERT_TRUE(gpu.ok()) << gpu.status().ToString();
  const PublicKey& pk = sk_->public_key();
  const BigInt &p = sk_->p(), &q = sk_->q();
  BigInt p2, q2, p_minus_1;
  mpz_mul(p2.get(), p.get(), p.get());
  mpz_mul(q2.get(), q.get(), q.get());
  mpz_sub_ui(p_minus_1.get(), p.get(), 1);
  const size_t count = 9;
  std::vector<BigInt> ms, s_p, s_q;
  for (size_t i = 0; i < count; ++i) {
    ms.push_back(i == 0 ? BigInt(0) : RandomBelow(pk.n()));
    s_p.push_back(i == 1 ? BigInt(1) : i == 2 ? p_minus_1 : RandomBelow(p));
    s_q.push_back(i == 1 ? BigInt(1) : RandomBelow(q));
  }
  std::vector<Ciphertext> out(count);
  ASSERT_TRUE((*gpu)->EncryptWithBases(ms, s_p, s_q, out).ok());
  auto expect_residue = [&](const Ciphertext& c, const BigInt& m, const BigInt& s,
                            const BigInt& prime, const BigInt& modulus) {
    BigInt x, g;
    mpz_powm(x.get(), s.get(), prime.get(), modulus.get());
    mpz_mul(g.get(), m.get(), pk.n().get());
    mpz_add_ui(g.get(), g.get(), 1);
    mpz_mul(x.get(), x.get(), g.get());
    mpz_mod(x.get(), x.get(), modulus.get());
    BigInt residue;
    mpz_mod(residue.get(), c.value.get(), modulus.get());
    return mpz_cmp(residue.get(), x.get()) == 0;
  };
  for (size_t i = 0; i < count; ++i) {
    EXPECT_TRUE(expect_residue(out[i], ms[i], s_p[i], p, p2)) << i;
    EXPECT_TRUE(expect_residue(out[i], ms[i], s_q[i], q, q2)) << i;
    EXPECT_LT(mpz_cmp(out[i].value.get(), pk.n_squared().get()), 0) << i;
    auto m = Decrypt(*sk_, out[i]);
    ASSERT_TRUE(m.ok()) << i;
    EXPECT_EQ(*m, ms[i]) << i;
  }
  EXPECT_EQ((*gpu)->steps().encryptions, count);
}

TEST_P(GpuEncryptTest, CrtEveryCiphertextGetsItsOwnRandomnessAndDecrypts) {
  if (kGpuKernelPtx[0] == '\0') GTEST_SKIP() << "built without clang: no GPU kernel";
  auto gpu = GpuCrtEncryptor::Create(*sk_, CIPHERSTAT_CUDA_STUB, 3, GetParam());
  ASSERT_TRUE(gpu.ok()) << gpu.status().ToString();
  const std::vector<BigInt> ms(12, BigInt(5));  // equal messages: only the randomizers differ
  std::vector<Ciphertext> cs(ms.size());
  ASSERT_TRUE((*gpu)->EncryptBatch(ms, cs).ok());
  std::set<std::string> distinct;
  for (const Ciphertext& c : cs) {
    distinct.insert(c.value.ToHex());
    auto m = Decrypt(*sk_, c);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(*m, BigInt(5));
  }
  EXPECT_EQ(distinct.size(), ms.size()) << "two ciphertexts share r^n";
}

TEST_P(GpuEncryptTest, NoDriverOrNoGpuIsNotSupported) {
  const PublicKey& pk = sk_->public_key();
  const DjnEncryptor cpu = DjnEncryptor::Create(pk);
  auto missing = GpuDjnEncryptor::Create(pk, cpu, "/nonexistent/libcuda.so.1", 1);
  EXPECT_EQ(missing.status().code(), Status::Code::kNotSupported) << missing.status().ToString();
  auto missing_crt = GpuCrtEncryptor::Create(*sk_, "/nonexistent/libcuda.so.1", 1);
  EXPECT_EQ(missing_crt.status().code(), Status::Code::kNotSupported)
      << missing_crt.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Shapes, GpuEncryptTest,
                         ::testing::Values(GpuKernel::kGroup, GpuKernel::kThread),
                         [](const ::testing::TestParamInfo<GpuKernel>& shape) {
                           return shape.param == GpuKernel::kGroup ? "Group" : "Thread";
                         });

}  // namespace
}  // namespace cipherstat::crypto
