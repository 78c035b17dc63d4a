#include "engine/mapreduce.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "util/file.h"

namespace cipherstat {

Mapper::Mapper(const crypto::PublicKey& pk, const Plan& plan, size_t ciphertexts_per_record)
    : pk_(pk), plan_(plan), ciphertexts_per_record_(ciphertexts_per_record) {}

Status Mapper::AddLine(std::string_view line) {
  ++records_read_;
  CS_RETURN_IF_ERROR(
      SplitRecordLine(line, plan_.public_columns.size(), ciphertexts_per_record_, &fields_));
  if (!PassesFilters(plan_, fields_.public_values)) return Status::OK();
  ++records_matched_;
  std::vector<std::string> key;
  key.reserve(plan_.group_public.size());
  for (int idx : plan_.group_public)
    key.emplace_back(fields_.public_values[static_cast<size_t>(idx)]);
  auto it = groups_.find(key);
  const bool fresh = it == groups_.end();
  if (fresh) {
    it = groups_.emplace(key, EncryptedGroup()).first;
    it->second.key = key;
  }
  EncryptedGroup& group = it->second;
  for (size_t i = 0; i < plan_.ciphertexts.size(); ++i) {
    const size_t field = static_cast<size_t>(plan_.ciphertexts[i]);
    auto c = DecodeCiphertextField(pk_, fields_.ciphertext_fields[field]);
    if (!c.ok()) {
      // A group created for this line must not outlive it half-built (no sums): Merge and
      // TakeGroups expect every group to hold one sum per plan ciphertext.
      if (fresh) groups_.erase(it);
      return c.status().WithContext("ciphertext " + std::to_string(field));
    }
    if (fresh) {
      group.sums.push_back(std::move(c).value());
    } else {
      crypto::AddInPlace(pk_, &group.sums[i], *c);
    }
  }
  ++group.records;
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
    it->second.records += group.records;
    for (size_t i = 0; i < group.sums.size(); ++i) {
      crypto::AddInPlace(pk_, &it->second.sums[i], group.sums[i]);
    }
  }
  other.groups_.clear();
}

std::vector<EncryptedGroup> Mapper::TakeGroups() {
  std::vector<EncryptedGroup> out;
  for (auto& [key, group] : groups_) out.push_back(std::move(group));
  groups_.clear();
  return out;
}

namespace {

// Streams one segment through a mapper, checking its size and checksum.
Status MapSegment(const Dataset& dataset, const SegmentInfo& segment, Mapper* mapper,
                  std::atomic<uint64_t>* done) {
  const std::string path = dataset.SegmentPath(segment);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IOError(path + ": cannot open segment listed in the manifest");
  struct stat st;
  if (::fstat(::fileno(f), &st) != 0 || static_cast<uint64_t>(st.st_size) != segment.bytes) {
    std::fclose(f);
    return Status::Corruption(path + ": size differs from the manifest (" +
                              std::to_string(segment.bytes) +
                              " bytes expected): truncated or altered");
  }
  Sha256 hash;
  std::string pending;  // a line not yet complete
  std::vector<char> buf(1 << 16);
  uint64_t line_number = 0;
  Status status;
  size_t n;
  while (status.ok() && (n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    std::string_view chunk(buf.data(), n);
    hash.Update(chunk);
    size_t start = 0;
    while (status.ok()) {
      size_t nl = chunk.find('\n', start);
      if (nl == std::string_view::npos) {
        pending.append(chunk.substr(start));
        break;
      }
      ++line_number;
      std::string_view line;
      if (pending.empty()) {
        line = chunk.substr(start, nl - start);
      } else {
        pending.append(chunk.substr(start, nl - start));
        line = pending;
      }
      status = mapper->AddLine(line);
      if (!status.ok()) status = status.WithContext(path + " line " + std::to_string(line_number));
      pending.clear();
      start = nl + 1;
      done->fetch_add(1, std::memory_order_relaxed);
    }
  }
  std::fclose(f);
  CS_RETURN_IF_ERROR(status);
  if (!pending.empty()) return Status::Corruption(path + ": last line is incomplete");
  if (hash.FinishHex() != segment.sha256) {
    return Status::Corruption(path +
                              ": SHA-256 differs from the manifest: the segment was altered");
  }
  if (line_number != segment.records) {
    return Status::Corruption(path + ": holds " + std::to_string(line_number) +
                              " records, the manifest says " + std::to_string(segment.records));
  }
  return Status::OK();
}

}  // namespace

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
  std::atomic<int> finished{0};
  std::mutex error_mu;
  Status first_error;
  auto worker = [&](int t) {
    while (!failed.load()) {
      size_t i = next.fetch_add(1);
      if (i >= segments.size()) break;
      Status s = MapSegment(dataset, segments[i], &mappers[static_cast<size_t>(t)], &done);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (first_error.ok()) first_error = s;
        failed = true;
      }
    }
    finished.fetch_add(1);
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  if (options.progress) {
    while (finished.load() < threads) {
      options.progress(done.load(), dataset.manifest.record_count);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    options.progress(done.load(), dataset.manifest.record_count);
  }
  for (auto& th : pool) th.join();
  if (!first_error.ok()) return first_error;

  for (size_t t = 1; t < mappers.size(); ++t) mappers[0].Merge(std::move(mappers[t]));
  EncryptedResult result;
  result.sql = plan.sql;
  result.dataset_name = dataset.manifest.name;
  result.dataset_records = dataset.manifest.record_count;
  result.key_fingerprint = dataset.manifest.key_fingerprint;
  result.manifest_sha256 = dataset.manifest_sha256;
  result.schema = dataset.manifest.schema;
  result.layout_json = dataset.manifest.layout_json;
  result.manifest_signature = dataset.manifest_signature;
  result.engine = "local";
  if (mappers.empty()) {  // a dataset with no segments has no records
    result.ciphertexts = plan.ciphertexts;
    return result;
  }
  result.records_read = mappers[0].records_read();
  result.records_matched = mappers[0].records_matched();
  result.ciphertexts = plan.ciphertexts;
  result.groups = mappers[0].TakeGroups();
  if (result.records_read != dataset.manifest.record_count) {
    return Status::Corruption("read " + std::to_string(result.records_read) +
                              " records but the manifest lists " +
                              std::to_string(dataset.manifest.record_count));
  }
  return result;
}

}  // namespace cipherstat
