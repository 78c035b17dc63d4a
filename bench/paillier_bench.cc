// Paillier costs at the key sizes we generate: keygen, public and CRT encryption, CRT
// decryption and one homomorphic addition. Argument: bits of n.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "bench_main.h"
#include "crypto/djn.h"
#include "crypto/ifma.h"
#include "crypto/montgomery.h"
#include "crypto/paillier.h"

namespace cipherstat::crypto {
namespace {

// One key per size for the whole run: key generation is benchmarked on its own.
const SecretKey& KeyFor(int bits) {
  static std::map<int, std::unique_ptr<SecretKey>> keys;
  auto& slot = keys[bits];
  if (!slot) {
    Result<SecretKey> sk = GenerateKey(bits);
    if (!sk.ok()) {
      std::fprintf(stderr, "GenerateKey(%d): %s\n", bits, sk.status().ToString().c_str());
      std::abort();
    }
    slot = std::make_unique<SecretKey>(std::move(sk).value());
  }
  return *slot;
}

void BM_KeyGen(benchmark::State& state) {
  const int bits = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Result<SecretKey> sk = GenerateKey(bits);
    benchmark::DoNotOptimize(sk);
  }
}
// Prime search time varies widely per run; a handful of iterations shows the typical cost.
BENCHMARK(BM_KeyGen)->Arg(2048)->Arg(3072)->Iterations(8)->Unit(benchmark::kMillisecond);

void BM_Encrypt(benchmark::State& state) {
  const PublicKey& pk = KeyFor(static_cast<int>(state.range(0))).public_key();
  const BigInt m = RandomBelow(pk.n());
  for (auto _ : state) benchmark::DoNotOptimize(Encrypt(pk, m));
}
BENCHMARK(BM_Encrypt)->Arg(2048)->Arg(3072)->Unit(benchmark::kMillisecond);

void BM_EncryptCrt(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  const BigInt m = RandomBelow(sk.public_key().n());
  for (auto _ : state) benchmark::DoNotOptimize(EncryptCrt(sk, m));
}
BENCHMARK(BM_EncryptCrt)->Arg(2048)->Arg(3072)->Unit(benchmark::kMillisecond);

// CRT encryption of a batch of 64 (eight rounds of eight IFMA lanes where the CPU has them);
// the time is per encryption, comparable with BM_EncryptCrt.
void BM_EncryptCrtBatch(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  std::vector<BigInt> ms(64);
  for (BigInt& m : ms) m = RandomBelow(sk.public_key().n());
  std::vector<Ciphertext> out(ms.size());
  for (auto _ : state) {
    EncryptCrtBatch(sk, ms, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ms.size()));
  state.counters["per_encryption"] =
      benchmark::Counter(static_cast<double>(state.iterations() * ms.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EncryptCrtBatch)->Arg(2048)->Arg(3072)->Unit(benchmark::kMillisecond);

// DJN short-exponent encryption from fixed-base tables (table build not timed), a batch of 64
// per iteration: eight rounds of eight IFMA lanes, or (second argument 0) the GMP path with
// masked table scans. The time is per encryption.
void BM_EncryptDjn(benchmark::State& state) {
  const PublicKey& pk = KeyFor(static_cast<int>(state.range(0))).public_key();
  const DjnEncryptor djn = DjnEncryptor::FromBase(pk, DjnEncryptor::Create(pk).h_s(),
                                                  /*allow_ifma=*/state.range(1) != 0);
  std::vector<BigInt> ms(64);
  for (BigInt& m : ms) m = RandomBelow(pk.n());
  std::vector<Ciphertext> out(ms.size());
  for (auto _ : state) {
    djn.EncryptBatch(ms, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ms.size()));
  state.counters["per_encryption"] =
      benchmark::Counter(static_cast<double>(state.iterations() * ms.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EncryptDjn)->ArgsProduct({{2048, 3072}, {1, 0}})->Unit(benchmark::kMillisecond);

// The textbook form the baselines use: g^m·r^n mod n² with two mpz_powm (m small).
void BM_EncryptTextbook(benchmark::State& state) {
  const PublicKey& pk = KeyFor(static_cast<int>(state.range(0))).public_key();
  BigInt g = pk.n(), gm, rn, c;
  mpz_add_ui(g.get(), g.get(), 1);
  const BigInt m(123456);
  for (auto _ : state) {
    const BigInt r = RandomUnit(pk.n());
    mpz_powm(gm.get(), g.get(), m.get(), pk.n_squared().get());
    mpz_powm(rn.get(), r.get(), pk.n().get(), pk.n_squared().get());
    mpz_mul(c.get(), gm.get(), rn.get());
    mpz_mod(c.get(), c.get(), pk.n_squared().get());
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_EncryptTextbook)->Arg(2048)->Unit(benchmark::kMillisecond);

void BM_Decrypt(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  const Ciphertext c = EncryptCrt(sk, RandomBelow(sk.public_key().n()));
  for (auto _ : state) benchmark::DoNotOptimize(Decrypt(sk, c));
}
BENCHMARK(BM_Decrypt)->Arg(2048)->Arg(3072)->Unit(benchmark::kMillisecond);

// CRT decryption of a batch of 64; items/s counts decryptions.
void BM_DecryptBatch(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  std::vector<BigInt> ms(64);
  for (BigInt& m : ms) m = RandomBelow(sk.public_key().n());
  std::vector<Ciphertext> cs(ms.size());
  EncryptCrtBatch(sk, ms, cs);
  for (auto _ : state) benchmark::DoNotOptimize(DecryptBatch(sk, cs));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(cs.size()));
}
BENCHMARK(BM_DecryptBatch)->Arg(2048)->Arg(3072)->Unit(benchmark::kMillisecond);

void BM_AddInPlace(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  const PublicKey& pk = sk.public_key();
  Ciphertext acc = EncryptCrt(sk, BigInt(1));
  const Ciphertext b = EncryptCrt(sk, BigInt(2));
  for (auto _ : state) {
    AddInPlace(pk, &acc, b);
    benchmark::DoNotOptimize(acc);
  }
}
BENCHMARK(BM_AddInPlace)->Arg(2048)->Arg(3072)->Unit(benchmark::kMicrosecond);

// The same homomorphic addition as a Montgomery product (what Mapper does per ciphertext).
// Second argument: 1 lets the accumulator use the IFMA lanes (where the CPU has them), 0 keeps
// it on the mpn path.
void BM_AddMontgomery(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  const PublicKey& pk = sk.public_key();
  auto modulus = std::make_shared<const MontgomeryModulus>(pk.n_squared(), state.range(1) != 0);
  if (state.range(1) != 0 && modulus->ifma() == nullptr) state.SkipWithError("no AVX-512 IFMA");
  ProductAccumulator acc(modulus);
  acc.Multiply(EncryptCrt(sk, BigInt(1)).value);
  const Ciphertext b = EncryptCrt(sk, BigInt(2));
  for (auto _ : state) {
    acc.Multiply(b.value);
    benchmark::DoNotOptimize(acc);
  }
}
BENCHMARK(BM_AddMontgomery)->ArgsProduct({{2048, 3072}, {0, 1}})->Unit(benchmark::kMicrosecond);

// The raw kernel: one k-limb Montgomery product, no padding copy.
void BM_MulRedc(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  const MontgomeryModulus mont(sk.public_key().n_squared());
  std::vector<mp_limb_t> a(mont.limbs()), b(mont.limbs());
  mont.ToLimbs(EncryptCrt(sk, BigInt(1)).value, a.data());
  mont.ToLimbs(EncryptCrt(sk, BigInt(2)).value, b.data());
  for (auto _ : state) {
    mont.MulRedc(a.data(), a.data(), b.data());
    benchmark::DoNotOptimize(a.data());
  }
}
BENCHMARK(BM_MulRedc)->Arg(2048)->Arg(3072)->Unit(benchmark::kMicrosecond);

// Eight Montgomery products in one IFMA call; items/s counts products.
void BM_IfmaMultiply8(benchmark::State& state) {
  if (!IfmaModulus::Available()) {
    state.SkipWithError("no AVX-512 IFMA");
    return;
  }
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  const IfmaModulus ifma(sk.public_key().n_squared());
  std::vector<LaneBlock> a(ifma.limbs()), b(ifma.limbs());
  const MontgomeryModulus mont(sk.public_key().n_squared());
  std::vector<mp_limb_t> limbs(mont.limbs());
  for (size_t lane = 0; lane < IfmaModulus::kLanes; ++lane) {
    mont.ToLimbs(EncryptCrt(sk, BigInt(lane)).value, limbs.data());
    ifma.SetLane(a.data(), lane, limbs.data(), limbs.size());
    mont.ToLimbs(EncryptCrt(sk, BigInt(lane + 1)).value, limbs.data());
    ifma.SetLane(b.data(), lane, limbs.data(), limbs.size());
  }
  for (auto _ : state) {
    ifma.Multiply(a.data(), a.data(), b.data());
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(IfmaModulus::kLanes));
}
BENCHMARK(BM_IfmaMultiply8)->Arg(2048)->Arg(3072)->Unit(benchmark::kMicrosecond);

// Validating a ciphertext (gcd with n): what the Mapper no longer pays per input.
void BM_ValidateCiphertext(benchmark::State& state) {
  const SecretKey& sk = KeyFor(static_cast<int>(state.range(0)));
  const Ciphertext c = EncryptCrt(sk, BigInt(3));
  for (auto _ : state) benchmark::DoNotOptimize(ValidateCiphertext(sk.public_key(), c));
}
BENCHMARK(BM_ValidateCiphertext)->Arg(2048)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cipherstat::crypto

int main(int argc, char** argv) { return RunBenchmarks(argc, argv); }
