// Shared fixtures for the libFuzzer targets: a fixed key, schema, layout and scratch files.
//
// The key below is a TEST KEY published with the source; it protects nothing. It is fixed so
// that the checked-in seed corpora (segment records, result files) are valid under it and the
// fuzzer starts from inputs that reach deep into the readers.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/combiner.h"
#include "crypto/init.h"
#include "crypto/paillier.h"
#include "encoding/layout.h"
#include "encoding/schema.h"

namespace cipherstat::fuzz {

inline constexpr const char* kTestP =
    "F31A5D1D10BC0D832175455863FC2F00A0807125644AF3CF3E96A95CFE6EFE0DF3508D3B62E873EC51258054DCDA"
    "FD70B825BDFBB63B293B788895A3D0B9290D646B6DEA6F6F5A6E0AEED266503F9A05F36C0E9F139FE64600A3AE44"
    "D4884CFE297A6034758DD0C14F20F874A6B5E31BC7CDEC38710199619CFC56C363076AAB";
inline constexpr const char* kTestQ =
    "F8DE3E2B7DA0F17DFC71BA4AA2D24DF18C164EE119488F9F115D7D05FB9027BB10E17B670130986E6AAC443ED92E"
    "E9C630C8AC75830727D264773F82BB077525F47E8DC90A9C0243FB51C612735D4499ED1E18704E29042AD323ABFB"
    "BFDFF9878BD9137369B99BCF7D6FA607FB3A20802C742BDCDF9538B2505D98680E032BC9";

// A schema with every column kind: public categorical, private categorical, numeric with
// decimals, bins and levels, a derived indicator and a cross.
inline constexpr const char* kTestSchemaJson = R"({
 "format": "cipherstat-schema", "version": 1, "name": "cohort", "max_records": 1000,
 "columns": [
  {"name": "patient_id", "kind": "identifier"},
  {"name": "site", "kind": "categorical", "levels": ["Kampala", "Mbarara"], "public": true},
  {"name": "sex", "kind": "categorical", "levels": ["F", "M"]},
  {"name": "arm", "kind": "numeric", "min": 0, "max": 3, "decimals": 0,
   "levels": ["0", "1", "2", "3"]},
  {"name": "age", "kind": "numeric", "min": 18, "max": 90, "decimals": 0},
  {"name": "wtkg", "kind": "numeric", "min": 30, "max": 160, "decimals": 1},
  {"name": "cd4", "kind": "numeric", "min": 0, "max": 2000, "decimals": 0,
   "bins": [0, 200, 350, 500, "inf"]},
  {"name": "viral_load", "kind": "numeric", "min": 0, "max": 10000000, "decimals": 0}
 ],
 "derived": [{"name": "viral_suppressed", "column": "viral_load", "op": "<", "value": 200}],
 "crosses": [{"by": "arm", "over": ["cd4", "viral_suppressed"]},
             {"by": "sex", "over": ["age"]}],
 "missing_values": ["", "NA"]
})";

struct Fixture {
  crypto::SecretKey sk;
  Schema schema;
  Layout layout;
};

// Built once per process; aborts if the fixture itself is broken (a bug in the harness).
inline const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    if (!crypto::Init().ok()) std::abort();
    auto p = crypto::BigInt::FromHex(kTestP);
    auto q = crypto::BigInt::FromHex(kTestQ);
    if (!p.ok() || !q.ok()) std::abort();
    auto sk = crypto::SecretKeyFromPrimes(*p, *q);
    if (!sk.ok()) {
      std::fprintf(stderr, "fuzz fixture key: %s\n", sk.status().ToString().c_str());
      std::abort();
    }
    auto schema = SchemaFromJson(kTestSchemaJson);
    if (!schema.ok()) {
      std::fprintf(stderr, "fuzz fixture schema: %s\n", schema.status().ToString().c_str());
      std::abort();
    }
    auto layout = Layout::Build(*schema, static_cast<int>(sk->public_key().plaintext_bits()));
    if (!layout.ok()) std::abort();
    auto* f =
        new Fixture{std::move(sk).value(), std::move(schema).value(), std::move(layout).value()};
    return f;
  }();
  return *fixture;
}

// A published test combiner key (crypto/combiner.h), so that seeds sealed to it open.
inline const crypto::CombinerKey& FuzzCombiner() {
  static const crypto::CombinerKey* key = [] {
    auto k = crypto::CombinerKey::FromSecret(std::string(crypto_box_SECRETKEYBYTES, '\x2a'));
    if (!k.ok()) std::abort();
    return new crypto::CombinerKey(std::move(k).value());
  }();
  return *key;
}

// A per-process scratch file in /dev/shm (or /tmp) for readers that take a path.
inline const std::string& ScratchPath(const char* tag) {
  static const std::string base = [] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/cipherstat-fuzz-" + std::to_string(getpid());
  }();
  static thread_local std::string path;
  path = base + "-" + tag;
  return path;
}

inline void WriteScratch(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

}  // namespace cipherstat::fuzz
