// Threshold Paillier costs (crypto/threshold.h): dealing a key (two safe primes), one
// custodian's partial decryption with its proof, verifying a proof, and combining t partials.
// Argument: bits of n. Run: ./build/threshold_bench --benchmark_filter=...
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "crypto/init.h"
#include "crypto/threshold.h"

namespace cipherstat::crypto {
namespace {

constexpr int kParties = 3;
constexpr int kThreshold = 2;

const ThresholdKey& KeyFor(int bits) {
  static std::map<int, std::unique_ptr<ThresholdKey>> keys;
  auto& slot = keys[bits];
  if (!slot) {
    auto key = GenerateThresholdKey(bits, kParties, kThreshold);
    if (!key.ok()) {
      std::fprintf(stderr, "GenerateThresholdKey(%d): %s\n", bits, key.status().ToString().c_str());
      std::abort();
    }
    slot = std::make_unique<ThresholdKey>(std::move(key).value());
  }
  return *slot;
}

void BM_SafePrime(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(RandomSafePrime(static_cast<size_t>(state.range(0))));
}
// Safe-prime search time varies widely; a few iterations show the typical cost. A 2048-bit
// threshold key needs two 1024-bit safe primes.
BENCHMARK(BM_SafePrime)->Arg(1024)->Iterations(4)->Unit(benchmark::kMillisecond);

void BM_PartialDecryptWithProof(benchmark::State& state) {
  const ThresholdKey& key = KeyFor(static_cast<int>(state.range(0)));
  const Ciphertext c = Encrypt(key.pub.pk, BigInt(12345));
  for (auto _ : state) benchmark::DoNotOptimize(PartialDecrypt(key.shares[0], c));
}
BENCHMARK(BM_PartialDecryptWithProof)->Arg(2048)->Unit(benchmark::kMillisecond);

void BM_VerifyPartial(benchmark::State& state) {
  const ThresholdKey& key = KeyFor(static_cast<int>(state.range(0)));
  const Ciphertext c = Encrypt(key.pub.pk, BigInt(12345));
  const PartialDecryption p = PartialDecrypt(key.shares[1], c);
  for (auto _ : state) benchmark::DoNotOptimize(VerifyPartial(key.pub, c, p));
}
BENCHMARK(BM_VerifyPartial)->Arg(2048)->Unit(benchmark::kMillisecond);

void BM_Combine(benchmark::State& state) {
  const ThresholdKey& key = KeyFor(static_cast<int>(state.range(0)));
  const Ciphertext c = Encrypt(key.pub.pk, BigInt(12345));
  std::vector<PartialDecryption> partials;
  for (int i = 0; i < kThreshold; ++i) partials.push_back(PartialDecrypt(key.shares[i], c));
  std::vector<const PartialDecryption*> ptrs;
  for (const auto& p : partials) ptrs.push_back(&p);
  for (auto _ : state) benchmark::DoNotOptimize(CombinePartials(key.pub, ptrs));
}
BENCHMARK(BM_Combine)->Arg(2048)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cipherstat::crypto

int main(int argc, char** argv) {
  if (!cipherstat::crypto::Init().ok()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
