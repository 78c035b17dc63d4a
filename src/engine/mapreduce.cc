#include "engine/mapreduce.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "store/signed_manifest.h"
#include "util/file.h"

namespace cipherstat {

Mapper::Mapper(const crypto::PublicKey& pk, const Plan& plan)
    : pk_(pk),
      plan_(plan),
      modulus_(std::make_shared<const crypto::MontgomeryModulus>(pk.n_squared())) {}

namespace {

// Big-endian fixed-width bytes → the k + 1 little-endian limbs at `limbs` of an integer in
// (0, n²).
Status ReadIntoRange(const crypto::PublicKey& pk, const crypto::MontgomeryModulus& mont,
                     std::string_view bytes_view, mp_limb_t* limbs) {
  const size_t bytes = pk.ciphertext_bytes();
  if (bytes_view.size() != bytes) return Status::Corruption("ciphertext of the wrong length");
  const auto* b = reinterpret_cast<const unsigned char*>(bytes_view.data());
  const size_t k = mont.limbs();
  std::fill(limbs, limbs + k + 1, mp_limb_t{0});
  // The last 8 bytes are limb 0, and so on; a short leading group is the top limb.
  static_assert(std::endian::native == std::endian::little, "limbs are read little-endian");
  const size_t full = bytes / 8, top = bytes % 8;
  if (full + (top != 0 ? 1 : 0) > k + 1) {
    return Status::Corruption("ciphertext: value outside Z*_{n^2}");
  }
  for (size_t i = 0; i < full; ++i) {
    uint64_t word;
    std::memcpy(&word, b + bytes - 8 * (i + 1), 8);
    limbs[i] = __builtin_bswap64(word);
  }
  for (size_t j = 0; j < top; ++j) limbs[full] = limbs[full] << 8 | b[j];
  const mp_limb_t* n2 = mpz_limbs_read(pk.n_squared().get());
  if (limbs[k] != 0 || mpn_cmp(limbs, n2, static_cast<mp_size_t>(k)) >= 0 ||
      mpn_zero_p(limbs, static_cast<mp_size_t>(k))) {
    return Status::Corruption("ciphertext: value outside Z*_{n^2}");
  }
  return Status::OK();
}

}  // namespace

Status Mapper::AddRecord(const RecordView& record) {
  ++records_read_;
  if (record.public_values.size() != plan_.public_columns.size()) {
    return Status::Corruption("expected " + std::to_string(plan_.public_columns.size()) +
                              " public values, found " +
                              std::to_string(record.public_values.size()));
  }
  if (!PassesFilters(plan_, record.public_values)) return Status::OK();
  ++records_matched_;
  key_.resize(plan_.group_public.size());
  for (size_t k = 0; k < key_.size(); ++k)
    key_[k].assign(record.public_values[static_cast<size_t>(plan_.group_public[k])]);
  // Read the whole record before touching any sum, so a bad ciphertext leaves no trace of the
  // record (no half-added record, no empty group).
  const size_t stride = modulus_->limbs() + 1;
  record_limbs_.resize(plan_.ciphertexts.size() * stride);
  for (size_t i = 0; i < plan_.ciphertexts.size(); ++i) {
    const size_t column = static_cast<size_t>(plan_.ciphertexts[i]);
    Status s = column < record.ciphertexts.size()
                   ? ReadIntoRange(pk_, *modulus_, record.ciphertexts[column],
                                   record_limbs_.data() + i * stride)
                   : Status::Corruption("missing");
    if (!s.ok()) return s.WithContext("ciphertext " + std::to_string(column));
  }
  auto it = groups_.find(key_);
  if (it == groups_.end()) {
    it = groups_.emplace(key_, RunningGroup()).first;
    it->second.group.key = key_;
    it->second.sums.assign(plan_.ciphertexts.size(), crypto::ProductAccumulator(modulus_));
  }
  RunningGroup& group = it->second;
  for (size_t i = 0; i < plan_.ciphertexts.size(); ++i) {
    group.sums[i].MultiplyLimbs(record_limbs_.data() + i * stride);
  }
  ++group.group.records;
  return Status::OK();
}

void Mapper::Merge(Mapper&& other) {
  records_read_ += other.records_read_;
  records_matched_ += other.records_matched_;
  for (auto& [key, group] : other.groups_) {
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      groups_.emplace(key, std::move(group));
      continue;
    }
    it->second.group.records += group.group.records;
    for (size_t i = 0; i < group.sums.size(); ++i) it->second.sums[i].Merge(group.sums[i]);
  }
  other.groups_.clear();
}

std::vector<EncryptedGroup> Mapper::TakeGroups() {
  std::vector<EncryptedGroup> out;
  for (auto& [key, state] : groups_) {
    EncryptedGroup group = std::move(state.group);
    group.sums.clear();
    for (const crypto::ProductAccumulator& sum : state.sums)
      group.sums.push_back(crypto::Ciphertext{sum.Finish()});
    out.push_back(std::move(group));
  }
  groups_.clear();
  return out;
}

std::vector<ChunkRange> SplitIntoRanges(const Manifest& manifest, uint64_t records_per_range) {
  std::vector<ChunkRange> ranges;
  for (size_t s = 0; s < manifest.segments.size(); ++s) {
    const auto& chunks = manifest.segments[s].chunks;
    ChunkRange range{s, 0, 0, 0};
    for (size_t c = 0; c < chunks.size(); ++c) {
      if (range.chunks > 0 && range.records + chunks[c].records > records_per_range) {
        ranges.push_back(range);
        range = ChunkRange{s, c, 0, 0};
      }
      ++range.chunks;
      range.records += chunks[c].records;
    }
    if (range.chunks > 0) ranges.push_back(range);
  }
  return ranges;
}

Status MapRange(const Dataset& dataset, const ChunkRange& range, Mapper* mapper,
                std::atomic<uint64_t>* done) {
  if (range.segment >= dataset.manifest.segments.size()) {
    return Status::InvalidArgument("no segment " + std::to_string(range.segment));
  }
  return ReadChunks(dataset, dataset.manifest.segments[range.segment], range.first_chunk,
                    range.chunks, mapper->plan().ciphertexts, [&](const RecordView& record) {
                      if (done != nullptr) done->fetch_add(1, std::memory_order_relaxed);
                      return mapper->AddRecord(record);
                    });
}

EncryptedResult ResultHeader(const Dataset& dataset, const Plan& plan, std::string engine) {
  EncryptedResult result;
  result.sql = plan.sql;
  result.dataset_name = dataset.manifest.name;
  result.dataset_records = dataset.manifest.record_count;
  result.key_fingerprint = dataset.manifest.key_fingerprint;
  result.manifest_sha256 = dataset.manifest_sha256;
  result.catalog = dataset.manifest.catalog;
  result.layout_json = dataset.manifest.layout_json;
  result.sealed_schema = dataset.manifest.sealed_schema;
  result.manifest_signature = dataset.manifest_signature;
  if (dataset.manifest_signature.empty())
    result.manifest_content = SignedManifestContent(dataset.manifest);
  result.engine = std::move(engine);
  result.ciphertexts = plan.ciphertexts;
  return result;
}

Result<EncryptedResult> RunLocal(const Dataset& dataset, const Plan& plan,
                                 const LocalOptions& options) {
  // One chunk a unit: threads stay busy to the end whatever the segments' sizes.
  const std::vector<ChunkRange> ranges = SplitIntoRanges(dataset.manifest, 1);
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min<int>(threads, static_cast<int>(ranges.size())));

  std::vector<Mapper> mappers;
  for (int t = 0; t < threads; ++t) mappers.emplace_back(dataset.public_key, plan);
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  int finished = 0;  // guarded by finished_mu; the progress loop wakes when it changes
  std::mutex finished_mu;
  std::condition_variable finished_cv;
  std::mutex error_mu;
  Status first_error;
  auto worker = [&](int t) {
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= ranges.size()) break;
      Status s = MapRange(dataset, ranges[i], &mappers[static_cast<size_t>(t)], &done);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (first_error.ok()) first_error = s;
        failed = true;
      }
    }
    {
      std::lock_guard<std::mutex> lock(finished_mu);
      ++finished;
    }
    finished_cv.notify_all();
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  if (options.progress) {
    std::unique_lock<std::mutex> lock(finished_mu);
    while (finished < threads) {
      options.progress(done.load(), dataset.manifest.record_count);
      finished_cv.wait_for(lock, std::chrono::milliseconds(200));
    }
    options.progress(done.load(), dataset.manifest.record_count);
  }
  for (auto& th : pool) th.join();
  if (!first_error.ok()) return first_error;

  for (size_t t = 1; t < mappers.size(); ++t) mappers[0].Merge(std::move(mappers[t]));
  EncryptedResult result = ResultHeader(dataset, plan, "local");
  result.records_read = mappers[0].records_read();
  result.records_matched = mappers[0].records_matched();
  result.groups = mappers[0].TakeGroups();
  // The gcd half of the Z*_{n²} check, once per sum (see Mapper).
  for (const EncryptedGroup& group : result.groups) {
    for (const crypto::Ciphertext& sum : group.sums) {
      Status valid = crypto::ValidateCiphertext(dataset.public_key, sum);
      if (!valid.ok()) {
        return Status::Corruption("an encrypted sum is " + valid.message() +
                                  ": a segment holds a ciphertext outside Z*_{n^2}");
      }
    }
  }
  if (result.records_read != dataset.manifest.record_count) {
    return Status::Corruption("read " + std::to_string(result.records_read) +
                              " records but the manifest lists " +
                              std::to_string(dataset.manifest.record_count));
  }
  return result;
}

}  // namespace cipherstat
