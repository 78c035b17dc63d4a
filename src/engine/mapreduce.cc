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

Mapper::Mapper(const crypto::PublicKey& pk, const Plan& plan, size_t ciphertexts_per_record)
    : pk_(pk),
      plan_(plan),
      ciphertexts_per_record_(ciphertexts_per_record),
      modulus_(std::make_shared<const crypto::MontgomeryModulus>(pk.n_squared())) {}

namespace {

// Standard base64 alphabet → 6-bit value, 0xff for anything else. Ciphertexts are public,
// so a table lookup (not libsodium's constant-time decoder, 5× slower) is fine here.
struct Base64Table {
  unsigned char value[256];
  constexpr Base64Table() : value() {
    for (int i = 0; i < 256; ++i) value[i] = 0xff;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
      value[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  }
};
constexpr Base64Table kBase64;

// Decodes unpadded base64 of exactly `bytes` bytes; rejects other lengths, characters
// outside the alphabet and non-zero unused trailing bits (so every value has one spelling).
bool DecodeBase64Exact(std::string_view in, unsigned char* out, size_t bytes) {
  if (in.size() != (bytes * 4 + 2) / 3) return false;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t o = 0, i = 0;
  for (; i + 4 <= in.size(); i += 4, o += 3) {
    const uint32_t a = kBase64.value[p[i]], b = kBase64.value[p[i + 1]],
                   c = kBase64.value[p[i + 2]], d = kBase64.value[p[i + 3]];
    if ((a | b | c | d) & 0x80) return false;
    const uint32_t v = a << 18 | b << 12 | c << 6 | d;
    out[o] = static_cast<unsigned char>(v >> 16);
    out[o + 1] = static_cast<unsigned char>(v >> 8);
    out[o + 2] = static_cast<unsigned char>(v);
  }
  const size_t rest = in.size() - i;  // 0, 2 or 3 characters
  if (rest == 1) return false;
  if (rest >= 2) {
    uint32_t v = 0;
    for (size_t j = 0; j < rest; ++j) {
      const uint32_t x = kBase64.value[p[i + j]];
      if (x & 0x80) return false;
      v = v << 6 | x;
    }
    if (rest == 2) {
      if (v & 0xf) return false;
      out[o] = static_cast<unsigned char>(v >> 4);
    } else {
      if (v & 0x3) return false;
      out[o] = static_cast<unsigned char>(v >> 10);
      out[o + 1] = static_cast<unsigned char>(v >> 2);
    }
  }
  return true;
}

// Base64 → the k + 1 little-endian limbs at `limbs` of an integer in (0, n²); `raw` is scratch.
Status DecodeIntoRange(const crypto::PublicKey& pk, const crypto::MontgomeryModulus& mont,
                       std::string_view base64, std::string* raw, mp_limb_t* limbs) {
  const size_t bytes = pk.ciphertext_bytes();
  raw->resize(bytes);
  unsigned char* b = reinterpret_cast<unsigned char*>(raw->data());
  if (!DecodeBase64Exact(base64, b, bytes)) {
    return Status::Corruption("ciphertext field is not valid base64 of the right length");
  }
  const size_t k = mont.limbs();
  std::fill(limbs, limbs + k + 1, mp_limb_t{0});
  // Big-endian bytes: the last 8 are limb 0, and so on; a short leading group is the top limb.
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

Status Mapper::AddLine(std::string_view line) {
  Status split =
      SplitRecordLine(line, plan_.public_columns.size(), ciphertexts_per_record_, &fields_);
  if (!split.ok()) {
    ++records_read_;
    return split;
  }
  return AddRecord(fields_);
}

Status Mapper::AddRecord(const RecordLine& fields) {
  ++records_read_;
  if (!PassesFilters(plan_, fields.public_values)) return Status::OK();
  ++records_matched_;
  key_.resize(plan_.group_public.size());
  for (size_t k = 0; k < key_.size(); ++k)
    key_[k].assign(fields.public_values[static_cast<size_t>(plan_.group_public[k])]);
  // Decode the whole line before touching any sum, so a bad field leaves no trace of the line
  // (no half-added record, no empty group).
  const size_t stride = modulus_->limbs() + 1;
  line_limbs_.resize(plan_.ciphertexts.size() * stride);
  for (size_t i = 0; i < plan_.ciphertexts.size(); ++i) {
    const size_t field = static_cast<size_t>(plan_.ciphertexts[i]);
    Status s = DecodeIntoRange(pk_, *modulus_, fields.ciphertext_fields[field], &raw_,
                               line_limbs_.data() + i * stride);
    if (!s.ok()) return s.WithContext("ciphertext " + std::to_string(field));
  }
  auto it = groups_.find(key_);
  if (it == groups_.end()) {
    it = groups_.emplace(key_, RunningGroup()).first;
    it->second.group.key = key_;
    it->second.sums.assign(plan_.ciphertexts.size(), crypto::ProductAccumulator(modulus_));
  }
  RunningGroup& group = it->second;
  for (size_t i = 0; i < plan_.ciphertexts.size(); ++i) {
    group.sums[i].MultiplyLimbs(line_limbs_.data() + i * stride);
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

namespace {

// Streams one segment through a mapper, checking its size, line count and the digests of the
// columns the plan reads.
Status MapSegment(const Dataset& dataset, const SegmentInfo& segment, const Plan& plan,
                  Mapper* mapper, std::atomic<uint64_t>* done) {
  return ReadSegment(dataset, segment, plan.ciphertexts, [&](const RecordLine& fields) {
    done->fetch_add(1, std::memory_order_relaxed);
    return mapper->AddRecord(fields);
  });
}

}  // namespace

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
  const auto& segments = dataset.manifest.segments;
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min<int>(threads, static_cast<int>(segments.size())));
  const size_t per_record = static_cast<size_t>(dataset.layout.num_ciphertexts());

  std::vector<Mapper> mappers;
  for (int t = 0; t < threads; ++t) mappers.emplace_back(dataset.public_key, plan, per_record);
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
      if (i >= segments.size()) break;
      Status s = MapSegment(dataset, segments[i], plan, &mappers[static_cast<size_t>(t)], &done);
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
  if (mappers.empty()) return result;  // a dataset with no segments has no records
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
