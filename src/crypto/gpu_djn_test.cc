// GpuDjnEncryptor through the stub driver (tests/cuda_stub.cc runs the kernel's source on the
// CPU): the same ciphertexts as DjnEncryptor for the same exponents, fresh randomness per
// ciphertext, decryption to the message.
#include "crypto/gpu_djn.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "crypto/djn.h"
#include "crypto/init.h"

namespace cipherstat::crypto {
namespace {

class GpuDjnTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(Init().ok());
    auto sk = GenerateKey(2048);
    ASSERT_TRUE(sk.ok());
    sk_ = new SecretKey(std::move(sk).value());
  }
  static void TearDownTestSuite() { delete sk_; }
  // A CPU encryptor and a GPU one (through the stub driver) over the same h_s.
  static std::unique_ptr<GpuDjnEncryptor> OnGpu(const DjnEncryptor& cpu) {
    auto gpu = GpuDjnEncryptor::Create(sk_->public_key(), cpu.h_s(), CIPHERSTAT_CUDA_STUB);
    EXPECT_TRUE(gpu.ok()) << gpu.status().ToString();
    return gpu.ok() ? std::move(gpu).value() : nullptr;
  }
  static SecretKey* sk_;
};
SecretKey* GpuDjnTest::sk_ = nullptr;

TEST_F(GpuDjnTest, SameCiphertextsAsTheCpuForTheSameExponents) {
  if (kDjnKernelPtx[0] == '\0') GTEST_SKIP() << "built without clang: no GPU kernel";
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

TEST_F(GpuDjnTest, EveryCiphertextGetsItsOwnRandomnessAndDecrypts) {
  if (kDjnKernelPtx[0] == '\0') GTEST_SKIP() << "built without clang: no GPU kernel";
  const auto gpu = OnGpu(DjnEncryptor::Create(sk_->public_key()));
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

TEST_F(GpuDjnTest, NoDriverOrNoGpuIsNotSupported) {
  const PublicKey& pk = sk_->public_key();
  const BigInt h_s(4);
  auto missing = GpuDjnEncryptor::Create(pk, h_s, "/nonexistent/libcuda.so.1");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotSupported) << missing.status().ToString();
}

}  // namespace
}  // namespace cipherstat::crypto
