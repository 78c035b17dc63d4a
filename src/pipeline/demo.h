// `cipherstat demo`: the whole pipeline on a generated cohort (or any CSV), each encrypted
// result printed beside the same figures computed on the plaintext.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "audit/trail.h"
#include "crypto/keystore.h"
#include "encoding/layout.h"
#include "encoding/schema.h"
#include "pipeline/table1.h"
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

// The schema the demo encrypts under: the one `schema` infers for `raw` — with, for the
// generated cohort (`generated`), the cross products of CD4, log viral load and age, and
// follow-up in 12-month bins for survival by arm.
Result<Schema> DemoSchema(const std::string& raw, bool generated);
// The queries the demo runs and checks: for the generated cohort eight over arm, site and sex;
// for another CSV a few that make sense for whatever schema was inferred.
std::vector<std::string> DemoQueries(const Schema& schema, const Layout& layout, bool generated);
// The demo's Table 1 (generated cohort only): by arm, over the columns the cohort has.
Table1Spec DemoTable1Spec();

// keygen → schema → clean → encrypt → query → release, as the owner and the compute party,
// narrated on options.out. The demo's throwaway key and data get their own audit log in the work
// folder, signed by the actor of `trail`, and verified at the end. Corruption when an
// encrypted result differs from the plaintext computation.
Status RunDemo(const DemoOptions& options, const audit::Trail& trail);

}  // namespace cipherstat::pipeline
