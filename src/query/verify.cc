#include "query/verify.h"

#include <map>

namespace cipherstat {

namespace {

Status Failed(const std::string& what) {
  return Status::Corruption("result failed verification: " + what);
}

// A group's key as messages name it; a forged result's keys are quoted, not echoed.
std::string KeyText(const std::vector<std::string>& key) {
  if (key.empty()) return "the whole dataset";
  std::string out;
  for (const std::string& v : key)
    out += (out.empty() ? "" : ", ") + (v.empty() ? "NULL" : QuoteInput(v, 40));
  return "group (" + out + ")";
}

}  // namespace

std::vector<ExpectedGroup> ExpectedGroups(const Plan& plan,
                                          const std::vector<PublicTuple>& tuples) {
  std::map<std::vector<std::string>, ExpectedGroup> groups;
  for (size_t t = 0; t < tuples.size(); ++t) {
    const std::vector<std::string>& values = tuples[t].values;
    const std::vector<std::string_view> views(values.begin(), values.end());
    if (!PassesFilters(plan, views)) continue;
    std::vector<std::string> key;
    for (int index : plan.group_public) key.push_back(values[static_cast<size_t>(index)]);
    ExpectedGroup& g = groups[key];
    g.key = std::move(key);
    g.records += tuples[t].records;
    g.tuples.push_back(t);
  }
  std::vector<ExpectedGroup> out;
  for (auto& [key, g] : groups) out.push_back(std::move(g));
  return out;
}

Result<std::vector<ExpectedGroup>> CheckResultShape(const DatasetFacts& facts,
                                                    const EncryptedResult& result) {
  CS_ASSIGN_OR_RETURN(const Layout layout, Layout::FromJson(facts.layout_json));
  auto plan = MakePlan(result.sql, facts.catalog, layout);
  if (!plan.ok()) return Failed("its query cannot be planned: " + plan.status().message());
  if (plan->ciphertexts != result.ciphertexts) {
    return Failed("it summed other ciphertexts than its query needs");
  }
  std::vector<ExpectedGroup> expected = ExpectedGroups(*plan, facts.public_tuples);
  if (result.groups.size() != expected.size()) {
    return Failed("it holds " + std::to_string(result.groups.size()) + " groups, its query over " +
                  "the signed dataset gives " + std::to_string(expected.size()));
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    const EncryptedGroup& g = result.groups[i];
    if (g.key != expected[i].key) {
      return Failed("group " + std::to_string(i + 1) + " is " + KeyText(g.key) +
                    ", its query over the signed dataset gives " + KeyText(expected[i].key) +
                    " there");
    }
    if (g.records != expected[i].records) {
      return Failed(KeyText(g.key) + " claims " + std::to_string(g.records) +
                    " records, the signed dataset has " + std::to_string(expected[i].records));
    }
    if (g.sums.size() != plan->ciphertexts.size()) {
      return Failed(KeyText(g.key) + " has " + std::to_string(g.sums.size()) +
                    " sums, its query needs " + std::to_string(plan->ciphertexts.size()));
    }
  }
  return expected;
}

Status CheckSums(const Authenticator& tags, const Plan& plan, const ExpectedGroup& expected,
                 const std::vector<TagValue>& tuple_randoms,
                 const std::vector<crypto::BigInt>& plaintexts) {
  if (plaintexts.size() != plan.ciphertexts.size()) {
    return Failed(KeyText(expected.key) + " has " + std::to_string(plaintexts.size()) +
                  " sums, its query needs " + std::to_string(plan.ciphertexts.size()));
  }
  TagValue randoms = 0;
  for (size_t t : expected.tuples) randoms = TagAdd(randoms, tuple_randoms[t]);
  for (size_t i = 0; i < plan.ciphertexts.size(); ++i) {
    if (!tags.Check(plan.ciphertexts[i], plaintexts[i], randoms)) {
      return Failed("the sum of ciphertext " + std::to_string(plan.ciphertexts[i]) + " in " +
                    KeyText(expected.key) +
                    " is not the sum of that group's records (a changed value, a record added, "
                    "dropped or taken from elsewhere, or the wrong key)");
    }
  }
  return Status::OK();
}

}  // namespace cipherstat
