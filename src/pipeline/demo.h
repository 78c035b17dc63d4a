// `cipherstat demo`: the whole pipeline on a generated cohort (or any CSV), each encrypted
// result printed beside the same figures computed on the plaintext.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "audit/trail.h"
#include "crypto/keystore.h"
#include "util/status.h"

namespace cipherstat::pipeline {

struct DemoOptions {
  std::string data;  // a CSV; empty: generate a cohort
  uint64_t records = 1000;
  uint64_t seed = 42;
  int bits = crypto::kDefaultKeyBits;
  std::string workdir;  // empty: a new temporary folder
  int threads = 0;
  std::FILE* out = stdout;        // the narration
  std::FILE* progress = nullptr;  // encryption progress, when set (a terminal)
};

// keygen → schema → clean → encrypt → query → release, as the owner and the compute party,
// narrated on options.out. The demo's throwaway key and data get their own audit log in the work
// folder, signed by the actor of `trail`, and verified at the end. Corruption when an
// encrypted result differs from the plaintext computation.
Status RunDemo(const DemoOptions& options, const audit::Trail& trail);

}  // namespace cipherstat::pipeline
