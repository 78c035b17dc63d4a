// The main() of every Google Benchmark executable in bench/: crypto::Init first (libsodium
// and GMP's wiping allocator), then the usual benchmark run.
#pragma once

#include <benchmark/benchmark.h>

#include "crypto/init.h"

inline int RunBenchmarks(int argc, char** argv) {
  if (!cipherstat::crypto::Init().ok()) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
