#include "pipeline/ledger.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "util/file.h"
#include "util/json.h"
#include "util/time.h"

namespace cipherstat::pipeline {

namespace {

using json = nlohmann::json;

// A row counts as released when any of its aggregate cells is shown.
bool Shown(const ResultTable& table, size_t row) {
  for (size_t c = 0; c < table.rows[row].size() && c < table.column_info.size(); ++c) {
    if (table.column_info[c].aggregate != Aggregate::kNone &&
        table.rows[row][c].kind != Cell::Kind::kSuppressed) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::string> LedgerFolder(const audit::Trail& trail) {
  CS_ASSIGN_OR_RETURN(std::string log, trail.LogPath());
  std::filesystem::path folder = std::filesystem::path(log).parent_path();
  return (folder.empty() ? std::filesystem::path(".") : folder).string() + "/ledger";
}

std::string DatasetLedgerId(const DatasetFacts& facts) {
  return Sha256Hex(facts.key_fingerprint + "\n" + Sha256Hex(facts.sealed_schema.key_ciphertext) +
                   Sha256Hex(facts.sealed_schema.nonce) + Sha256Hex(facts.sealed_schema.box));
}

Result<Ledger> Ledger::Open(const std::string& folder, const std::string& dataset_id) {
  Ledger ledger;
  ledger.path_ = folder + "/" + dataset_id + ".jsonl";
  if (!PathExists(ledger.path_)) return ledger;
  CS_ASSIGN_OR_RETURN(ledger.text_, ReadFile(ledger.path_, size_t{256} << 20));
  size_t start = 0;
  int line = 0;
  while (start < ledger.text_.size()) {
    const size_t end = ledger.text_.find('\n', start);
    if (end == std::string::npos) {
      return Status::Corruption(ledger.path_ +
                                ": the last line is cut short; the ledger is "
                                "damaged (restore it from a backup)");
    }
    const std::string text = ledger.text_.substr(start, end - start);
    start = end + 1;
    ++line;
    auto damaged = [&](const std::string& why) {
      return Status::Corruption(ledger.path_ + " line " + std::to_string(line) + ": " + why +
                                "; the ledger is damaged (restore it from a backup)");
    };
    const json entry = json::parse(text, nullptr, false);
    if (!entry.is_object() || !entry.contains("release") || !entry["release"].is_number_integer() ||
        !entry.contains("prev") || !entry["prev"].is_string() || !entry.contains("rows") ||
        !entry["rows"].is_array()) {
      return damaged("not a ledger entry");
    }
    if (entry["release"].get<int64_t>() != line) return damaged("release numbers out of order");
    if (entry["prev"].get<std::string>() != ledger.last_hash_) {
      return damaged("it does not follow the line before (an entry was changed or removed)");
    }
    EarlierRelease release;
    release.number = line;
    for (const json& row : entry["rows"]) {
      if (!row.is_object() || !row.contains("where") || !row["where"].is_array() ||
          !row.contains("records") || !row["records"].is_number_unsigned()) {
        return damaged("a row is malformed");
      }
      RowPopulation population;
      for (const json& p : row["where"]) {
        if (!p.is_string()) return damaged("a row is malformed");
        population.predicates.push_back(p.get<std::string>());
      }
      population.records = row["records"].get<uint64_t>();
      release.rows.push_back(std::move(population));
    }
    if (entry.contains("epsilon")) {
      const auto epsilon = entry["epsilon"].is_string()
                               ? Rational::FromString(entry["epsilon"].get<std::string>())
                               : std::nullopt;
      const auto budget = entry.contains("budget") && entry["budget"].is_string()
                              ? Rational::FromString(entry["budget"].get<std::string>())
                              : std::nullopt;
      if (!epsilon || !budget) return damaged("its privacy budget is malformed");
      ledger.spent_ = ledger.spent_ + *epsilon;
      ledger.budget_ = budget;
    }
    ledger.releases_.push_back(std::move(release));
    ledger.last_hash_ = Sha256Hex(text);
  }
  return ledger;
}

Status Ledger::CheckBudget(const Rational& epsilon, std::optional<Rational> budget) {
  if (budget) budget_ = std::move(budget);
  if (!budget_) budget_ = Rational::Integer(kDefaultPrivacyBudget);
  if (spent_ + epsilon <= *budget_) return Status::OK();
  return Status::InvalidArgument(
      "privacy budget exhausted: this dataset has spent epsilon " + spent_.ToString() + " of its " +
      budget_->ToString() + " in " + path_ + ", and this release needs " + epsilon.ToString() +
      "; nothing was decrypted (raising it, with --dp-budget, is the data owner's decision)");
}

Result<std::string> Ledger::Record(const ResultTable& table, const std::string& result_sha256) {
  EarlierRelease release;
  release.number = static_cast<int>(releases_.size()) + 1;
  json rows = json::array();
  for (size_t r = 0; r < table.rows.size() && r < table.populations.size(); ++r) {
    if (!Shown(table, r)) continue;
    const RowPopulation& p = table.populations[r];
    rows.push_back({{"where", p.predicates}, {"records", p.records}});
    release.rows.push_back(p);
  }
  nlohmann::ordered_json entry;
  entry["release"] = release.number;
  entry["time"] = UtcNow();
  entry["result_sha256"] = result_sha256;
  entry["sql"] = table.sql;
  entry["min_cell"] = table.min_cell;
  entry["rows"] = std::move(rows);
  std::optional<Rational> spent;
  if (table.epsilon) {
    if (!budget_) budget_ = Rational::Integer(kDefaultPrivacyBudget);
    spent = spent_ + *table.epsilon;
    entry["epsilon"] = table.epsilon->ToString();
    entry["budget"] = budget_->ToString();
  }
  entry["prev"] = last_hash_;
  // Group keys come from the data: replace invalid UTF-8 rather than throw.
  const std::string line = entry.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::filesystem::path folder = std::filesystem::path(path_).parent_path();
  // Only the ledger folder itself: a missing audit folder is the audit log's to report.
  std::error_code ignored;
  if (std::filesystem::create_directory(folder, ignored)) {
    std::filesystem::permissions(folder, std::filesystem::perms::owner_all, ignored);
  }
  CS_RETURN_IF_ERROR(WriteFileAtomic(path_, text_ + line + "\n", kPrivateFile, true)
                         .WithContext("release ledger"));
  text_ += line + "\n";
  last_hash_ = Sha256Hex(line);
  releases_.push_back(std::move(release));
  if (spent) spent_ = *spent;
  return "ledger release " + std::to_string(releases_.back().number) + ", sha256 " +
         last_hash_.substr(0, 16) + "…";
}

}  // namespace cipherstat::pipeline
