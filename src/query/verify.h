// Verifying a result: it must be the honest aggregate, for its own query, over exactly the
// records the query selects, or nothing of it is released.
//
// Two checks, both against what the owner signed (store/signed_manifest.h), never against the
// compute party's claims:
//
// 1. The shape, before anything is decrypted (CheckResultShape), by every party that decrypts
//    or helps to: the plan is re-derived from the result's SQL under the signed catalog and
//    layout, and the result must sum exactly the plan's ciphertexts, in exactly the groups an
//    honest engine produces from the signed public tuples (keys, order, record counts), with
//    one sum per ciphertext. A result replayed under another query's text, two results merged,
//    a group list truncated or reordered, raw record ciphertexts posing as groups: refused here.
// 2. The sums, after decryption (CheckSums), by whoever holds the sealed verifier (the owner,
//    or the combiner of a threshold key): each decrypted plaintext must carry the tag of an
//    honest sum over its group's records (encoding/authenticator.h). A shifted slot, a record
//    dropped or moved between groups, a single record padded to look like a group, ciphertexts
//    of another dataset under the same key: refused here.
//
// Every refusal is Corruption and starts with "result failed verification: ".
#pragma once

#include <string>
#include <vector>

#include "encoding/authenticator.h"
#include "query/plan.h"
#include "store/dataset.h"
#include "store/result_file.h"
#include "store/signed_manifest.h"
#include "util/status.h"

namespace cipherstat {

// A group an honest engine produces: its key, its records and the public tuples they come
// from (indices into DatasetFacts::public_tuples).
struct ExpectedGroup {
  std::vector<std::string> key;
  uint64_t records = 0;
  std::vector<size_t> tuples;
};

// The groups `plan` produces over `tuples`, in result order (sorted by key); a group exists
// when at least one record passes the filters with its key.
std::vector<ExpectedGroup> ExpectedGroups(const Plan& plan, const std::vector<PublicTuple>& tuples);

// Check 1. Returns the groups the result must hold.
Result<std::vector<ExpectedGroup>> CheckResultShape(const DatasetFacts& facts,
                                                    const EncryptedResult& result);

// Check 2, for one group's decrypted sums (indexed like plan.ciphertexts), with the sealed
// tuple randoms (OwnerSecrets::tuple_randoms); the message names the group by its key.
Status CheckSums(const Authenticator& tags, const Plan& plan, const ExpectedGroup& expected,
                 const std::vector<TagValue>& tuple_randoms,
                 const std::vector<crypto::BigInt>& plaintexts);

}  // namespace cipherstat
