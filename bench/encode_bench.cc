// Encoder and packing kernels on a generated cohort's inferred schema: records/s of
// RecordEncoder::Encode alone (no encryption), without and with tags (encoding/authenticator.h,
// a fresh random per record as the encrypt step draws it), the layout's packing density, and
// Authenticator::Check on a decrypted-size sum (the plaintext sums of all the rows).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench_main.h"
#include "data/clean.h"
#include "data/csv.h"
#include "data/generate.h"
#include "encoding/authenticator.h"
#include "encoding/layout.h"

namespace cipherstat {
namespace {

struct Fixture {
  Schema schema;
  Layout layout;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::unique_ptr<Authenticator> tags;  // under a fresh key, over `layout`
};

void Die(const Status& s) {
  std::fprintf(stderr, "%s\n", s.ToString().c_str());
  std::abort();
}

// 10k generated, cleaned rows in memory, and their schema's layout for a 2048-bit key.
const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    const std::string dir = std::filesystem::temp_directory_path().string() + "/cs-encode-bench";
    std::filesystem::create_directories(dir);
    Status s = GenerateCohort({10000, 3}, dir + "/raw.csv");
    if (!s.ok()) Die(s);
    auto schema = InferSchema(dir + "/raw.csv", InferOptions());
    if (!schema.ok()) Die(schema.status());
    f->schema = std::move(schema).value();
    CleanReport report;
    s = CleanCsv(f->schema, dir + "/raw.csv", dir + "/clean.csv", &report);
    if (!s.ok()) Die(s);
    auto layout = Layout::Build(f->schema, 2046);
    if (!layout.ok()) Die(layout.status());
    f->layout = std::move(layout).value();
    f->tags = std::make_unique<Authenticator>(TagKey::Generate(), f->layout);
    CsvReader reader;
    s = reader.OpenWithHeader(dir + "/clean.csv", &f->header);
    if (!s.ok()) Die(s);
    std::vector<std::string> row;
    bool eof = false;
    while (true) {
      s = reader.Next(&row, &eof);
      if (!s.ok()) Die(s);
      if (eof) break;
      f->rows.push_back(row);
    }
    std::filesystem::remove_all(dir);
    return f;
  }();
  return *fixture;
}

// Encode without (range 0) and with (range 1) tags, in one process so that the ratio holds.
void BM_EncodeRecord(benchmark::State& state) {
  const Fixture& f = GetFixture();
  const Authenticator* tags = state.range(0) ? f.tags.get() : nullptr;
  auto encoder = RecordEncoder::Create(f.schema, f.layout, f.header);
  if (!encoder.ok()) Die(encoder.status());
  std::vector<crypto::BigInt> plaintexts;
  std::vector<std::string> public_values;
  size_t i = 0;
  for (auto _ : state) {
    const TagValue r = tags ? RandomTagValue() : 0;
    Status s = encoder->Encode(f.rows[i], &plaintexts, &public_values, tags, r);
    benchmark::DoNotOptimize(s);
    if (++i == f.rows.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["slots"] = static_cast<double>(f.layout.slots().size());
  state.counters["ciphertexts"] = f.layout.num_ciphertexts();
  state.counters["density_pct"] = 100 * f.layout.density();
}
BENCHMARK(BM_EncodeRecord)->ArgName("tags")->Arg(0)->Arg(1);

// Check of one decrypted sum: each ciphertext's plaintext summed over all the fixture's rows
// (as decrypt sees a group's sum), checked in turn; items are single Checks.
void BM_CheckSum(benchmark::State& state) {
  const Fixture& f = GetFixture();
  auto encoder = RecordEncoder::Create(f.schema, f.layout, f.header);
  if (!encoder.ok()) Die(encoder.status());
  const int ciphertexts = f.layout.num_ciphertexts();
  std::vector<crypto::BigInt> sums(static_cast<size_t>(ciphertexts));
  std::vector<crypto::BigInt> plaintexts;
  std::vector<std::string> public_values;
  TagValue randoms = 0;
  for (const auto& row : f.rows) {
    const TagValue r = RandomTagValue();
    Status s = encoder->Encode(row, &plaintexts, &public_values, f.tags.get(), r);
    if (!s.ok()) Die(s);
    randoms = TagAdd(randoms, r);
    for (size_t k = 0; k < sums.size(); ++k) {
      mpz_add(sums[k].get(), sums[k].get(), plaintexts[k].get());
    }
  }
  for (int k = 0; k < ciphertexts; ++k) {
    if (!f.tags->Check(k, sums[static_cast<size_t>(k)], randoms)) {
      Die(Status::Corruption("an honest sum failed its check"));
    }
  }
  int k = 0;
  for (auto _ : state) {
    bool ok = f.tags->Check(k, sums[static_cast<size_t>(k)], randoms);
    benchmark::DoNotOptimize(ok);
    if (++k == ciphertexts) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["records_summed"] = static_cast<double>(f.rows.size());
  state.counters["ciphertexts"] = ciphertexts;
}
BENCHMARK(BM_CheckSum);

}  // namespace
}  // namespace cipherstat

int main(int argc, char** argv) { return RunBenchmarks(argc, argv); }
