#include "pipeline/release.h"

#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "crypto/hash.h"
#include "pipeline/ledger.h"
#include "report/format.h"
#include "store/storage.h"
#include "util/file.h"

namespace cipherstat::pipeline {

namespace {

std::string Short(const std::string& fingerprint) { return fingerprint.substr(0, 16) + "…"; }

}  // namespace

Result<LoadedResult> ParseResult(const std::string& text, const std::string& source,
                                 const crypto::PublicKey& pk) {
  LoadedResult out;
  out.source = source;
  out.sha256 = Sha256Hex(text);
  // The header first: a result under another key is named as such, not as bad ciphertexts.
  auto header = EncryptedResultFromJson(text, nullptr);
  if (!header.ok()) return header.status().WithContext(source);
  if (header->key_fingerprint != pk.Fingerprint()) {
    return Status::InvalidArgument("wrong key: " + source + " was computed under key " +
                                   Short(header->key_fingerprint) + ", this key is " +
                                   Short(pk.Fingerprint()));
  }
  auto result = EncryptedResultFromJson(text, &pk);
  if (!result.ok()) return result.status().WithContext(source);
  out.result = std::move(result).value();
  return out;
}

Result<LoadedResult> ReadResult(const std::string& path, const crypto::PublicKey& pk) {
  CS_ASSIGN_OR_RETURN(std::string text, ReadAnyFile(path, 1u << 30));
  return ParseResult(text, path, pk);
}

namespace {

// The decryptor that answers from sums decrypted beforehand (plain[k] is sums[k]'s plaintext).
SumDecryptor FromDecrypted(const std::vector<crypto::Ciphertext>& sums,
                           std::vector<crypto::BigInt> plain) {
  auto by_ciphertext = std::make_shared<std::map<std::string, crypto::BigInt>>();
  for (size_t k = 0; k < sums.size(); ++k)
    (*by_ciphertext)[sums[k].value.ToHex()] = std::move(plain[k]);
  return SumDecryptor([by_ciphertext](const crypto::Ciphertext& c) -> Result<crypto::BigInt> {
    auto it = by_ciphertext->find(c.value.ToHex());
    if (it == by_ciphertext->end()) return Status::Corruption("result: a sum was not decrypted");
    return it->second;
  });
}

}  // namespace

// All of the result's sums at once: DecryptBatch runs their exponentiations eight at a time.
Result<SumDecryptor> OwnerDecryptor::Prepare(const LoadedResult& loaded,
                                             const DatasetFacts& facts) {
  CS_ASSIGN_OR_RETURN(const std::vector<crypto::Ciphertext> sums,
                      CiphertextsToDecrypt(sk_.public_key(), facts, loaded.result));
  CS_ASSIGN_OR_RETURN(std::vector<crypto::BigInt> plain, crypto::DecryptBatch(sk_, sums));
  return FromDecrypted(sums, std::move(plain));
}

Result<SumDecryptor> CustodianDecryptor::Prepare(const LoadedResult& loaded,
                                                 const DatasetFacts& facts) {
  const crypto::ThresholdPublic& pub = folder_.pub;
  CS_ASSIGN_OR_RETURN(const std::vector<crypto::Ciphertext> sums,
                      CiphertextsToDecrypt(pub.pk, facts, loaded.result));
  std::vector<crypto::PartialFile> files;
  std::set<int> custodians;
  for (const std::string& path : partial_paths_) {
    CS_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 1u << 30));
    CS_ASSIGN_OR_RETURN(crypto::PartialFile file, crypto::OpenPartialFile(text, combiner_, path));
    if (file.result_sha256 != loaded.sha256) {
      return Status::InvalidArgument(path + ": made for a different result (digest " +
                                     Short(file.result_sha256) + ", this result is " +
                                     Short(loaded.sha256) + ")");
    }
    if (file.key_fingerprint != loaded.result.key_fingerprint) {
      return Status::InvalidArgument(path + ": made with a share of another key");
    }
    if (file.partials.size() != sums.size()) {
      return Status::Corruption(path + ": holds " + std::to_string(file.partials.size()) +
                                " partial decryptions, the result needs " +
                                std::to_string(sums.size()) +
                                " (its sums and the sealed "
                                "schema's key)");
    }
    if (!custodians.insert(file.custodian).second) {
      return Status::InvalidArgument(path + ": a second partial from custodian " +
                                     std::to_string(file.custodian));
    }
    for (size_t k = 0; k < sums.size(); ++k) {
      Status s = crypto::VerifyPartial(pub, sums[k], file.partials[k]);
      if (!s.ok()) return s.WithContext(path + " (sum " + std::to_string(k) + ")");
    }
    files.push_back(std::move(file));
  }
  if (static_cast<int>(files.size()) < pub.threshold) {
    return Status::InvalidArgument(
        "not enough partial decryptions: " + std::to_string(pub.threshold) + " of " +
        std::to_string(pub.parties) + " custodians are needed, " + std::to_string(files.size()) +
        " given; nothing was decrypted");
  }
  std::vector<crypto::BigInt> plain;
  for (size_t k = 0; k < sums.size(); ++k) {
    std::vector<const crypto::PartialDecryption*> ps;
    for (const crypto::PartialFile& f : files) ps.push_back(&f.partials[k]);
    CS_ASSIGN_OR_RETURN(crypto::BigInt m, crypto::CombinePartials(pub, ps));
    plain.push_back(std::move(m));
  }
  custodians_.clear();
  for (int c : custodians) custodians_ += (custodians_.empty() ? "" : ",") + std::to_string(c);
  return FromDecrypted(sums, std::move(plain));
}

namespace {

// The smallest cell this release shows: the owner's signed policy, unless `rules` asks for
// another the decryptor may choose.
Result<uint64_t> MinCell(const ReleaseRules& rules, const DatasetFacts& facts,
                         const Decryptor& decryptor) {
  if (!rules.min_cell) return facts.min_cell;
  if (*rules.min_cell < facts.min_cell && !decryptor.holds_owner_key()) {
    return Status::InvalidArgument(
        "--min-cell " + std::to_string(*rules.min_cell) + " is below the owner's signed policy (" +
        std::to_string(facts.min_cell) +
        " records, set by encrypt --min-cell): only the owner's own key may release under a "
        "weaker one");
  }
  return *rules.min_cell;
}

}  // namespace

Result<Released> OpenResult(const LoadedResult& loaded, Decryptor& decryptor,
                            const ReleaseRules& rules, const audit::Trail* ledger) {
  Released out;
  CS_ASSIGN_OR_RETURN(out.facts,
                      ResultFacts(loaded.result, decryptor.owner(), rules.allow_unsigned));
  // Nothing is decrypted for a result that is not the shape its query gives.
  CS_ASSIGN_OR_RETURN(const std::vector<ExpectedGroup> expected,
                      CheckResultShape(out.facts, loaded.result));
  // The ledger first: a release over the privacy budget decrypts nothing.
  ReleaseOptions cells = rules.cells;
  CS_ASSIGN_OR_RETURN(cells.min_cell, MinCell(rules, out.facts, decryptor));
  std::optional<Ledger> releases;
  if (ledger != nullptr) {
    CS_ASSIGN_OR_RETURN(std::string folder, LedgerFolder(*ledger));
    CS_ASSIGN_OR_RETURN(releases, Ledger::Open(folder, DatasetLedgerId(out.facts)));
    cells.earlier = releases->releases();
    if (cells.epsilon) CS_RETURN_IF_ERROR(releases->CheckBudget(*cells.epsilon, rules.dp_budget));
  } else if (cells.epsilon) {
    return Status::InvalidArgument("a differentially private release needs a release ledger");
  }
  CS_ASSIGN_OR_RETURN(SumDecryptor decrypt, decryptor.Prepare(loaded, out.facts));
  CS_ASSIGN_OR_RETURN(const OwnerSecrets secrets,
                      OpenFactsSecrets(decryptor.public_key(), out.facts, decrypt));
  out.schema = secrets.schema;
  CS_ASSIGN_OR_RETURN(out.table, DecodeResult(decryptor.public_key(), out.facts, secrets, expected,
                                              loaded.result, decrypt, cells));
  if (releases) {
    CS_ASSIGN_OR_RETURN(out.ledger_entry, releases->Record(out.table, loaded.sha256));
  }
  return out;
}

Result<ResultTable> DecryptResult(const crypto::SecretKey& sk, const crypto::VerifyKey& owner,
                                  const EncryptedResult& result, const ReleaseOptions& options,
                                  bool allow_unsigned) {
  if (sk.public_key().Fingerprint() != result.key_fingerprint) {
    return Status::InvalidArgument("wrong key: the result was computed under key " +
                                   Short(result.key_fingerprint) + ", this key is " +
                                   Short(sk.public_key().Fingerprint()));
  }
  OwnerDecryptor decryptor(sk, owner);
  CS_ASSIGN_OR_RETURN(Released released,
                      OpenResult({"result", "", result}, decryptor,
                                 {options, options.min_cell, allow_unsigned, std::nullopt},
                                 /*ledger=*/nullptr));
  return std::move(released.table);
}

Status ReleaseResult(const LoadedResult& loaded, Decryptor& decryptor, const ReleaseRules& rules,
                     const Output& output, const audit::Trail& trail,
                     const std::function<void(const std::string&)>& warn) {
  CS_ASSIGN_OR_RETURN(Released released, OpenResult(loaded, decryptor, rules, &trail));
  if (!released.facts.signed_by_owner) {
    warn(loaded.source + " comes from a dataset the owner did not sign");
  }
  const std::string text = RenderTable(released.table, output.format, &released.schema);
  return Publish(trail,
                 audit::EventOf(decryptor.action())
                     .Key(decryptor.public_key().Fingerprint())
                     .Dataset(released.facts.content_sha256)
                     .ResultDigest(loaded.sha256)
                     .Query(loaded.result.sql)
                     .Detail(decryptor.detail_prefix() + "released as " + output.format + " to " +
                             (IsStdout(output.path) ? "stdout" : output.path) + ", cells under " +
                             std::to_string(released.table.min_cell) + " records suppressed; " +
                             released.ledger_entry),
                 text, output.path, output.force);
}

}  // namespace cipherstat::pipeline
