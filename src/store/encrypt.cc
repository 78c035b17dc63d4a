#include "store/encrypt.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <iterator>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "crypto/djn.h"
#include "crypto/gpu_encrypt.h"
#include "crypto/ifma.h"
#include "data/csv.h"
#include "encoding/authenticator.h"
#include "encoding/layout.h"
#include "store/dataset.h"
#include "store/signed_manifest.h"

namespace cipherstat {

namespace {

constexpr size_t kBatchRecords = 512;

struct PendingRecord {
  TagValue r = 0;  // the random in its tags (encoding/authenticator.h)
  std::vector<crypto::BigInt> plaintexts;
  std::vector<std::string> public_values;
  std::vector<crypto::Ciphertext> ciphertexts;
};

// Encrypts every plaintext of the batch on the GPU if given, else spreading chunks of eight
// (one round of the IFMA lanes, crypto/ifma.h) over the threads.
Status EncryptBatch(std::vector<PendingRecord>* batch, size_t count, int threads,
                    const crypto::PublicEncryptor* public_only, const crypto::SecretKey* sk,
                    const crypto::DjnEncryptor* djn, crypto::GpuEncryptor* gpu) {
  constexpr size_t kChunk = crypto::IfmaModulus::kLanes;
  const size_t per_record = (*batch)[0].plaintexts.size();
  std::vector<crypto::BigInt> plaintexts;
  plaintexts.reserve(count * per_record);
  for (size_t r = 0; r < count; ++r) {
    for (crypto::BigInt& m : (*batch)[r].plaintexts) plaintexts.push_back(std::move(m));
  }
  std::vector<crypto::Ciphertext> ciphertexts(plaintexts.size());
  const std::span<const crypto::BigInt> in(plaintexts);
  const std::span<crypto::Ciphertext> out(ciphertexts);
  if (gpu != nullptr) {
    CS_RETURN_IF_ERROR(gpu->EncryptBatch(in, out));
  } else {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t first; (first = next.fetch_add(kChunk)) < in.size();) {
        const size_t size = std::min(kChunk, in.size() - first);
        if (djn) {
          djn->EncryptBatch(in.subspan(first, size), out.subspan(first, size));
        } else if (sk) {
          crypto::EncryptCrtBatch(*sk, in.subspan(first, size), out.subspan(first, size));
        } else {
          public_only->EncryptBatch(in.subspan(first, size), out.subspan(first, size));
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
  }
  for (size_t r = 0; r < count; ++r) {
    PendingRecord& rec = (*batch)[r];
    rec.plaintexts.clear();
    rec.ciphertexts.assign(std::make_move_iterator(ciphertexts.begin() + r * per_record),
                           std::make_move_iterator(ciphertexts.begin() + (r + 1) * per_record));
  }
  return Status::OK();
}

}  // namespace

Result<EncryptStats> EncryptCsv(const Schema& schema, const crypto::PublicKey* pk,
                                const crypto::SecretKey* sk, const std::string& csv_path,
                                const std::string& out_path, const EncryptOptions& options) {
  const crypto::PublicKey& key = sk ? sk->public_key() : *pk;
  CS_ASSIGN_OR_RETURN(Layout layout, Layout::Build(schema, static_cast<int>(key.plaintext_bits())));
  CsvReader reader;
  std::vector<std::string> header, row;
  bool eof = false;
  // The header checks every CSV reader applies (data/csv.h): a repeated name is refused here
  // rather than resolved to its last position.
  CS_RETURN_IF_ERROR(reader.OpenTable(csv_path, &header));
  auto encoder = RecordEncoder::Create(schema, layout, header);
  if (!encoder.ok()) return encoder.status().WithContext(csv_path);

  DatasetWriter writer;
  CS_RETURN_IF_ERROR(writer.Open(out_path, key, schema, layout, options.records_per_segment));
  writer.SetMinCell(options.min_cell);
  const TagKey tag_key = TagKey::Generate();
  const Authenticator tags(tag_key, layout);
  writer.SetTagKey(tag_key);
  if (options.signer != nullptr) {
    const crypto::SigningKey* signer = options.signer;
    writer.SetSigner([signer](const Manifest& m) { return SignManifest(m, *signer); });
  }
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::unique_ptr<crypto::DjnEncryptor> djn;
  std::unique_ptr<crypto::PublicEncryptor> public_only;
  if (sk == nullptr && options.mode == EncryptMode::kStandard) {
    public_only = std::make_unique<crypto::PublicEncryptor>(key);
  }
  if (options.mode == EncryptMode::kDjn) {
    djn = std::make_unique<crypto::DjnEncryptor>(crypto::DjnEncryptor::Create(key));
  }
  EncryptStats stats;
  std::unique_ptr<crypto::GpuEncryptor> gpu;
  if (options.device != EncryptDevice::kCpu) {
    Status usable = Status::OK();
    auto take = [&](auto created) {
      usable = created.status();
      if (created.ok()) gpu = std::move(created).value();
    };
    if (djn != nullptr) {
      take(crypto::GpuDjnEncryptor::Create(key, *djn, options.gpu_driver, threads,
                                           options.gpu_kernel));
    } else if (sk != nullptr) {
      take(crypto::GpuCrtEncryptor::Create(*sk, options.gpu_driver, threads, options.gpu_kernel));
    } else {
      usable = Status::NotSupported(
          "standard mode runs on a GPU with the secret key only, not with the public key");
    }
    if (!usable.ok() && options.device == EncryptDevice::kGpu) {
      return usable.WithContext("--device gpu");
    }
    stats.gpu = usable.ok() ? "" : usable.message();
    stats.on_gpu = gpu != nullptr;
  }
  // Two batches in flight: while the threads (or the GPU) encrypt one, this thread writes the
  // one before and reads and encodes the next (declared before `encrypting`, whose destructor
  // waits).
  const size_t batch_records =
      gpu != nullptr ? std::max<size_t>(1, options.gpu_batch_records) : kBatchRecords;
  std::vector<PendingRecord> batches[2] = {std::vector<PendingRecord>(batch_records),
                                           std::vector<PendingRecord>(batch_records)};
  size_t counts[2] = {0, 0};
  uint64_t records = 0;
  auto write = [&](std::vector<PendingRecord>& batch, size_t count) -> Status {
    for (size_t r = 0; r < count; ++r) {
      CS_RETURN_IF_ERROR(writer.Append(batch[r].public_values, batch[r].ciphertexts, batch[r].r));
      batch[r].r = 0;
    }
    records += count;
    if (options.progress) options.progress(records);
    return Status::OK();
  };
  std::future<Status> encrypting;
  for (int current = 0;; current = 1 - current) {
    std::vector<PendingRecord>& batch = batches[current];
    size_t& count = counts[current];
    count = 0;
    while (!eof && count < batch_records) {
      CS_RETURN_IF_ERROR(reader.Next(&row, &eof));
      if (eof) break;
      if (row.size() != header.size()) {
        return Status::InvalidArgument(csv_path + " line " + std::to_string(reader.line()) +
                                       ": expected " + std::to_string(header.size()) +
                                       " fields, found " + std::to_string(row.size()) +
                                       " (run clean first)");
      }
      if (records + counts[1 - current] + count >= schema.max_records) {
        return Status::InvalidArgument(csv_path + " line " + std::to_string(reader.line()) +
                                       ": dataset larger than its schema allows (max_records=" +
                                       std::to_string(schema.max_records) + ")");
      }
      PendingRecord& rec = batch[count];
      rec.r = RandomTagValue();
      Status s = encoder->Encode(row, &rec.plaintexts, &rec.public_values, &tags, rec.r);
      if (!s.ok()) return s.WithContext(csv_path + " line " + std::to_string(reader.line()));
      ++count;
    }
    // The batch before is encrypted: start this one, then write that one meanwhile.
    const bool previous = encrypting.valid();
    if (previous) CS_RETURN_IF_ERROR(encrypting.get());
    if (count > 0) {
      encrypting = std::async(std::launch::async, EncryptBatch, &batch, count, threads,
                              public_only.get(), sk, djn.get(), gpu.get());
    }
    if (previous) {
      CS_RETURN_IF_ERROR(write(batches[1 - current], counts[1 - current]));
      counts[1 - current] = 0;
    }
    if (count == 0) break;
  }
  if (options.clean) {
    if (options.clean->rows_written != records) {
      return Status::InvalidArgument(
          "the clean report counts " + std::to_string(options.clean->rows_written) +
          " rows written, but " + csv_path + " holds " + std::to_string(records) +
          " records: it is the report of another clean run");
    }
    writer.SetRowsRead(options.clean->rows_read);
  }
  CS_RETURN_IF_ERROR(writer.Commit());
  stats.records = records;
  if (gpu != nullptr) stats.gpu_steps = gpu->steps().ToString();
  stats.ciphertexts_per_record = layout.num_ciphertexts();
  stats.packing_density = layout.density();
  return stats;
}

}  // namespace cipherstat
