#include "engine/streaming.h"

#include <map>
#include <nlohmann/json.hpp>

#include "crypto/hex.h"
#include "engine/mapreduce.h"
#include "util/file.h"
#include "util/json.h"

namespace cipherstat {

namespace {
constexpr char kPlanFormat[] = "cipherstat-streaming-plan";
// 1 carried no dataset location: the segments were the job's input.
constexpr int kPlanVersion = 2;
constexpr char kRangeTag[] = "range";
}  // namespace

std::string StreamingPlanToJson(const StreamingPlan& plan) {
  nlohmann::json j;
  j["format"] = kPlanFormat;
  j["version"] = kPlanVersion;
  j["sql"] = plan.sql;
  j["manifest"] = plan.manifest_json;
  j["dataset"] = plan.dataset;
  j["storage"] = plan.storage;
  return j.dump();
}

Result<StreamingPlan> StreamingPlanFromJson(const std::string& json) {
  auto parsed = ParseFormat(json, kPlanFormat, "cipherstat streaming plan", kPlanVersion);
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& j = *parsed;
  try {
    return StreamingPlan{j.at("sql").get<std::string>(), j.at("manifest").get<std::string>(),
                         j.at("dataset").get<std::string>(), j.at("storage").get<StorageConfig>()};
  } catch (const nlohmann::json::exception&) {
    return Status::Corruption("not a cipherstat streaming plan");
  }
}

Result<StreamingContext> LoadStreamingContext(const std::string& plan_file,
                                              const std::string& key_file) {
  StreamingContext c;
  CS_ASSIGN_OR_RETURN(std::string plan_text, ReadFile(plan_file, 64u << 20));
  auto shipped = StreamingPlanFromJson(plan_text);
  if (!shipped.ok()) return shipped.status().WithContext(plan_file);
  c.shipped = std::move(shipped).value();
  Dataset& d = c.dataset;
  d.path = c.shipped.dataset;
  CS_ASSIGN_OR_RETURN(d.storage, StorageFor(d.path, c.shipped.storage));
  d.manifest_json = c.shipped.manifest_json;
  auto manifest = ManifestFromJson(d.manifest_json);
  if (!manifest.ok()) return manifest.status().WithContext(plan_file + " manifest");
  d.manifest = std::move(manifest).value();
  CS_ASSIGN_OR_RETURN(std::string key_text, ReadFile(key_file, 1 << 20));
  auto pk = crypto::PublicKeyFromJson(key_text);
  if (!pk.ok()) return pk.status().WithContext(key_file);
  d.public_key = std::move(pk).value();
  if (d.public_key.Fingerprint() != d.manifest.key_fingerprint) {
    return Status::InvalidArgument(key_file + " does not match the manifest's key fingerprint");
  }
  auto layout = Layout::FromJson(d.manifest.layout_json);
  if (!layout.ok()) return layout.status().WithContext(plan_file + " manifest");
  d.layout = std::move(layout).value();
  CS_ASSIGN_OR_RETURN(c.plan, MakePlan(c.shipped.sql, d.manifest.catalog, d.layout));
  return c;
}

namespace {

constexpr char kStatsKey[] = "#stats";
constexpr char kErrorKey[] = "!error";

std::string GroupKey(const std::vector<std::string>& values) {
  std::string key = "g";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) key += '.';
    key += crypto::HexEncode(values[i]);
  }
  return key;
}

Result<std::vector<std::string>> ParseGroupKey(std::string_view key, size_t columns) {
  std::vector<std::string> values;
  if (columns == 0) {
    if (key != "g") return Status::Corruption("group key for a query without GROUP BY");
    return values;
  }
  key.remove_prefix(1);
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    std::string_view part = key.substr(start, dot == std::string_view::npos ? dot : dot - start);
    auto v = crypto::HexDecode(part);
    if (!v) return Status::Corruption("bad group key");
    values.push_back(std::move(*v));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (values.size() != columns) return Status::Corruption("group key has the wrong arity");
  return values;
}

// Tabs and newlines would break the line protocol.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

void WritePartial(const crypto::PublicKey& pk, const EncryptedGroup& g, std::ostream& out) {
  out << GroupKey(g.key) << '\t' << g.records;
  for (const auto& c : g.sums) out << '\t' << EncodeCiphertextField(pk, c);
  out << '\n';
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

Result<uint64_t> ParseCount(std::string_view s) {
  if (s.empty() || s.size() > 19) return Status::Corruption("bad count");
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Status::Corruption("bad count");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// Merges partial lines by key; shared by the reducer and the client's output parser.
class PartialMerger {
 public:
  explicit PartialMerger(const StreamingContext& c) : c_(c) {}

  Status Add(std::string_view line) {
    if (line.empty()) return Status::OK();
    auto fields = SplitTabs(line);
    if (fields[0] == kErrorKey) {
      errors_.emplace_back(line.substr(std::min(line.size(), sizeof(kErrorKey))));
      return Status::OK();
    }
    if (fields[0] == kStatsKey) {
      if (fields.size() != 3) return Status::Corruption("bad #stats line");
      CS_ASSIGN_OR_RETURN(uint64_t read, ParseCount(fields[1]));
      CS_ASSIGN_OR_RETURN(uint64_t matched, ParseCount(fields[2]));
      read_ += read;
      matched_ += matched;
      return Status::OK();
    }
    if (fields[0].empty() || fields[0][0] != 'g' ||
        fields.size() != 2 + c_.plan.ciphertexts.size()) {
      return Status::Corruption("bad partial line");
    }
    CS_ASSIGN_OR_RETURN(auto key, ParseGroupKey(fields[0], c_.plan.group_public.size()));
    CS_ASSIGN_OR_RETURN(uint64_t records, ParseCount(fields[1]));
    auto it = groups_.find(key);
    const bool fresh = it == groups_.end();
    if (fresh) {
      it = groups_.emplace(key, EncryptedGroup()).first;
      it->second.key = key;
    }
    it->second.records += records;
    for (size_t i = 0; i < c_.plan.ciphertexts.size(); ++i) {
      CS_ASSIGN_OR_RETURN(crypto::Ciphertext sum,
                          DecodeCiphertextField(c_.dataset.public_key, fields[2 + i]));
      if (fresh) {
        it->second.sums.push_back(std::move(sum));
      } else {
        crypto::AddInPlace(c_.dataset.public_key, &it->second.sums[i], sum);
      }
    }
    return Status::OK();
  }

  void Write(std::ostream& out) const {
    for (const std::string& e : errors_) out << kErrorKey << '\t' << e << '\n';
    out << kStatsKey << '\t' << read_ << '\t' << matched_ << '\n';
    for (const auto& [key, group] : groups_) WritePartial(c_.dataset.public_key, group, out);
  }

  const std::vector<std::string>& errors() const { return errors_; }
  uint64_t read() const { return read_; }
  uint64_t matched() const { return matched_; }
  std::map<std::vector<std::string>, EncryptedGroup>& groups() { return groups_; }

 private:
  const StreamingContext& c_;
  std::map<std::vector<std::string>, EncryptedGroup> groups_;
  std::vector<std::string> errors_;
  uint64_t read_ = 0, matched_ = 0;
};

}  // namespace

std::string RangeLine(const Manifest& manifest, const ChunkRange& range) {
  return std::string(kRangeTag) + '\t' + manifest.segments[range.segment].name + '\t' +
         std::to_string(range.first_chunk) + '\t' + std::to_string(range.chunks) + '\n';
}

Result<ChunkRange> ParseRangeLine(const Manifest& manifest, std::string_view line) {
  std::vector<std::string_view> fields = SplitTabs(line);
  if (fields.size() == 5 && ParseCount(fields[0]).ok()) {
    fields.erase(fields.begin());  // the byte offset NLineInputFormat puts first
  }
  const std::string bad = "bad chunk range line '" + QuoteInput(std::string(line)) + "'";
  if (fields.size() != 4 || fields[0] != kRangeTag) return Status::InvalidArgument(bad);
  ChunkRange range;
  auto first = ParseCount(fields[2]), chunks = ParseCount(fields[3]);
  if (!first.ok() || !chunks.ok()) return Status::InvalidArgument(bad);
  range.first_chunk = *first;
  range.chunks = *chunks;
  size_t s = 0;
  while (s < manifest.segments.size() && manifest.segments[s].name != fields[1]) ++s;
  if (s == manifest.segments.size()) {
    return Status::InvalidArgument(bad + ": no such segment in the manifest");
  }
  range.segment = s;
  const auto& segment_chunks = manifest.segments[s].chunks;
  if (range.chunks == 0 || range.first_chunk >= segment_chunks.size() ||
      range.chunks > segment_chunks.size() - range.first_chunk) {
    return Status::InvalidArgument(bad + ": the segment has " +
                                   std::to_string(segment_chunks.size()) + " chunks");
  }
  for (size_t c = range.first_chunk; c < range.first_chunk + range.chunks; ++c)
    range.records += segment_chunks[c].records;
  return range;
}

Status RunStreamingMap(const StreamingContext& context, std::istream& in, std::ostream& out,
                       std::ostream& counters) {
  const Dataset& dataset = context.dataset;
  Mapper mapper(dataset.public_key, context.plan);
  std::string error;
  uint64_t expected = 0;  // the records of the ranges named
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto range = ParseRangeLine(dataset.manifest, line);
    if (range.ok()) expected += range->records;
    if (!error.empty()) continue;  // keep reading: Streaming wants all input consumed
    Status s = range.status();
    if (s.ok()) s = MapRange(dataset, *range, &mapper);
    // Storage that failed to answer is worth another attempt (the task fails, Hadoop retries
    // it); data that failed its checks is not, and becomes an !error line.
    if (s.code() == Status::Code::kIOError) return s;
    if (!s.ok()) error = s.ToString();
  }
  counters << "reporter:counter:cipherstat,records_read," << mapper.records_read() << '\n';
  if (!error.empty()) {
    counters << "reporter:counter:cipherstat,records_rejected," << expected << '\n';
    counters << "reporter:status:" << OneLine(error) << '\n';
    out << kErrorKey << '\t' << OneLine(error) << '\n';
    return out.good() ? Status::OK() : Status::IOError("cannot write map output");
  }
  counters << "reporter:counter:cipherstat,records_matched," << mapper.records_matched() << '\n';
  counters << "reporter:counter:cipherstat,records_rejected,0\n";  // shown even when none
  out << kStatsKey << '\t' << mapper.records_read() << '\t' << mapper.records_matched() << '\n';
  for (const EncryptedGroup& g : mapper.TakeGroups()) WritePartial(dataset.public_key, g, out);
  out.flush();
  return out.good() ? Status::OK() : Status::IOError("cannot write map output");
}

Status RunStreamingReduce(const StreamingContext& context, std::istream& in, std::ostream& out) {
  PartialMerger merger(context);
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    Status s = merger.Add(line);
    if (!s.ok()) return s.WithContext("reduce input line " + std::to_string(n));
  }
  merger.Write(out);
  out.flush();
  return out.good() ? Status::OK() : Status::IOError("cannot write reduce output");
}

Result<StreamingOutput> ParseStreamingOutput(const StreamingContext& context,
                                             const std::vector<std::string>& texts) {
  PartialMerger merger(context);
  for (const std::string& text : texts) {
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      std::string_view line(text.data() + start,
                            (nl == std::string::npos ? text.size() : nl) - start);
      Status s = merger.Add(line);
      if (!s.ok()) return s.WithContext("job output");
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  if (!merger.errors().empty()) {
    std::string message = merger.errors()[0];
    if (merger.errors().size() > 1) {
      message += " (and " + std::to_string(merger.errors().size() - 1) + " more)";
    }
    return Status::Corruption(message);
  }
  StreamingOutput out;
  out.records_read = merger.read();
  out.records_matched = merger.matched();
  for (auto& [key, group] : merger.groups()) out.groups.push_back(std::move(group));
  return out;
}

}  // namespace cipherstat
