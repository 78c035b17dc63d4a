// Authenticated sums: the owner can tell an honest aggregate from a forged one.
//
// Paillier is malleable: with the public key anyone can add to an encrypted sum, drop a record
// from it or add one twice. So every packed plaintext ends in a tag slot (SlotKind::kTag,
// encoding/layout.h) holding a secret linear function of the plaintext's data slots plus a
// secret multiple of a per-record random, all modulo the prime p = 2^127 − 1:
//
//   tag_k(record i) = Σ_j α_j · m_ij  +  β_k · r_i   (mod p)
//
// over the data slots j of ciphertext k (m_ij < 2^128 is what record i puts in slot j). α_j
// and β_k are derived from the owner's 256-bit TagKey; r_i is drawn from libsodium for each
// record at encryption and never stored, only summed: the owner keeps, sealed in the dataset's
// manifest, R_v = Σ r_i over the records of each combination v of public values (the
// manifest's public tuples, store/dataset.h). Tags are linear, so the honest sum of ciphertext
// k over a set S of records carries T = Σ_j α_j·M_j + β_k·R_S, where M_j are the slot sums and
// R_S = Σ_{v in S} R_v. The owner knows S from the query alone — a WHERE and a GROUP BY on
// public columns select whole tuples — and checks T for every sum it decrypts (Check).
//
// What it guarantees, in the line of Agrawal–Boneh (2009) and Catalano–Fiore (2013)
// homomorphic MACs: a party holding the public key and every ciphertext, but not the TagKey
// or the R_v, who outputs plaintext sums that differ from the honest ones, or that are a
// combination of records other than exactly S (a record dropped, duplicated, moved to another
// group, taken from another dataset, or one record alone), passes Check with probability about
// 1/p per attempt and per carry pattern its edit can cause. The argument, and its assumptions
// (Paillier's semantic security hides the tags; α, β and the r_i are uniform, BLAKE2b-derived
// α and β modelled as random), are in ARCHITECTURE.md, "Verifiable results".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/bigint.h"
#include "util/status.h"

namespace cipherstat {

class Layout;

// An element of Z_p, p = 2^127 − 1, always fully reduced.
__extension__ typedef unsigned __int128 TagValue;

inline constexpr int kTagPrimeBits = 127;
// The widest data slot: its values are below 2^126 < p, so two values of a slot differ by less
// than p, and a change to a slot is never invisible to the tag (a multiple of p would be).
inline constexpr int kMaxDataSlotBits = 126;
inline constexpr TagValue kTagPrime = (static_cast<TagValue>(1) << 127) - 1;

// Field arithmetic modulo kTagPrime, in constant time (no branch or index on the operands).
TagValue TagReduce(TagValue x);  // any x < 2^128
TagValue TagAdd(TagValue a, TagValue b);
TagValue TagMul(TagValue a, TagValue b);
// A uniform element from libsodium (a record's r).
TagValue RandomTagValue();
// 32 lowercase hex digits, and back (Corruption naming `what` on anything else or x >= p).
std::string TagValueToHex(TagValue x);
Result<TagValue> TagValueFromHex(const std::string& hex, const std::string& what);

// The owner's secret for one dataset: 32 random bytes, wiped on destruction.
class TagKey {
 public:
  static TagKey Generate();
  static Result<TagKey> FromHex(const std::string& hex);
  std::string Hex() const;
  TagKey(const TagKey& other) = default;
  TagKey& operator=(const TagKey& other) = default;
  ~TagKey();

  // The coefficient named by `label` and `index` ("alpha", slot; "beta", ciphertext).
  TagValue Derive(const char* label, uint32_t index) const;

 private:
  TagKey() = default;
  std::array<unsigned char, 32> bytes_{};
};

// Tags records and checks sums for one layout under one key.
class Authenticator {
 public:
  Authenticator(const TagKey& key, const Layout& layout);
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;
  ~Authenticator();

  // α of layout slot `slot` (0 for a tag slot).
  TagValue alpha(size_t slot) const { return alpha_[slot]; }
  // β_k · r: the random part of ciphertext k's tag.
  TagValue RandomPart(int ciphertext, TagValue r) const;

  // Checks one decrypted sum of ciphertext `ciphertext` over records whose randoms sum to
  // `randoms` (Σ R_v mod p): no bits outside the slots, and the tag. False on any mismatch.
  bool Check(int ciphertext, const crypto::BigInt& plaintext, TagValue randoms) const;

 private:
  const Layout& layout_;
  std::vector<TagValue> alpha_;  // per layout slot
  std::vector<TagValue> beta_;   // per ciphertext
};

}  // namespace cipherstat
