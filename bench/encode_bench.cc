// Encoder and packing kernels on a generated cohort's inferred schema: records/s of
// RecordEncoder::Encode alone (no encryption), and the layout's packing density.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_main.h"
#include "data/clean.h"
#include "data/csv.h"
#include "data/generate.h"
#include "encoding/layout.h"

namespace cipherstat {
namespace {

struct Fixture {
  Schema schema;
  Layout layout;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
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

void BM_EncodeRecord(benchmark::State& state) {
  const Fixture& f = GetFixture();
  auto encoder = RecordEncoder::Create(f.schema, f.layout, f.header);
  if (!encoder.ok()) Die(encoder.status());
  std::vector<crypto::BigInt> plaintexts;
  std::vector<std::string> public_values;
  size_t i = 0;
  for (auto _ : state) {
    Status s = encoder->Encode(f.rows[i], &plaintexts, &public_values);
    benchmark::DoNotOptimize(s);
    if (++i == f.rows.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["slots"] = static_cast<double>(f.layout.slots().size());
  state.counters["ciphertexts"] = f.layout.num_ciphertexts();
  state.counters["density_pct"] = 100 * f.layout.density();
}
BENCHMARK(BM_EncodeRecord);

}  // namespace
}  // namespace cipherstat

int main(int argc, char** argv) { return RunBenchmarks(argc, argv); }
