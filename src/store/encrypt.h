// The owner's encrypt step: clean CSV → packed plaintexts → Paillier ciphertexts → dataset.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "crypto/gpu_encrypt.h"
#include "crypto/paillier.h"
#include "crypto/signing.h"
#include "encoding/schema.h"
#include "store/dataset.h"
#include "util/status.h"

namespace cipherstat {

// kStandard: Paillier as in crypto/paillier.h. kDjn: the short-exponent variant
// (crypto/djn.h) — several times faster, same ciphertexts to every reader and to Decrypt,
// but its security adds an assumption (README, "DJN mode").
enum class EncryptMode { kStandard, kDjn };

// Where the exponentiations run: kGpu fails when no GPU is usable, kAuto then uses the CPU.
// Both modes run on a GPU (crypto/gpu_encrypt.h); standard mode there needs the secret key.
enum class EncryptDevice { kCpu, kGpu, kAuto };

struct EncryptOptions {
  EncryptMode mode = EncryptMode::kStandard;
  EncryptDevice device = EncryptDevice::kCpu;
  std::string gpu_driver = "libcuda.so.1";  // the driver library to load for the GPU
  // Records per GPU batch: a launch runs one thread (or group of threads) per plaintext, and
  // needs many waves of the GPU's resident threads to keep its last wave's idle share small;
  // host memory grows with it (two batches in flight).
  uint64_t gpu_batch_records = 16384;
  crypto::GpuKernel gpu_kernel = crypto::GpuKernel::kGroup;  // crypto/gpu_encrypt.h
  int threads = 0;                                           // 0: all cores
  uint64_t records_per_segment = 4096;                       // records per segment file
  std::function<void(uint64_t records_done)> progress;
  // The data owner's signing key: signs the manifest (store/signed_manifest.h). Without it
  // the dataset is unsigned and decrypt refuses its results unless told --allow-unsigned.
  const crypto::SigningKey* signer = nullptr;
  // What clean did to the raw file (its report's rows_read and rows_written): recorded in the
  // manifest, which the owner signs, so that a release can say how many rows were read and
  // kept. rows_written must equal the records encrypted (else the report is another file's).
  struct CleanCounts {
    uint64_t rows_read = 0, rows_written = 0;
  };
  std::optional<CleanCounts> clean;
  // The owner's release policy, signed into the manifest: the smallest cell any release of
  // this dataset shows (store/dataset.h).
  uint64_t min_cell = kDefaultMinCell;
};

struct EncryptStats {
  uint64_t records = 0;
  std::string gpu;  // why the GPU was not used under kAuto, or "" (also "" on the CPU path)
  bool on_gpu = false;
  std::string gpu_steps;  // on the GPU: the seconds each step took (crypto::GpuSteps)
  int ciphertexts_per_record = 0;
  double packing_density = 0;  // data bits / plaintext bits
};

// Encrypts with the secret key's CRT fast path when `sk` is given, else with `pk`.
// REQUIRES: exactly one of pk, sk non-null. Streams the CSV with bounded memory; refuses more
// records than schema.max_records; on any error nothing is left at `out_path`.
Result<EncryptStats> EncryptCsv(const Schema& schema, const crypto::PublicKey* pk,
                                const crypto::SecretKey* sk, const std::string& csv_path,
                                const std::string& out_path, const EncryptOptions& options);

}  // namespace cipherstat
