// t-of-n threshold Paillier decryption with a trusted dealer.
//
// The scheme is Damgård & Jurik, "A Generalisation, a Simplification and Some Applications of
// Paillier's Probabilistic Public-Key System", PKC 2001, Section 4, with s = 1 (plain
// Paillier); it follows Shoup, "Practical Threshold Signatures", EUROCRYPT 2000, and Fouque,
// Poupard & Stern, "Sharing Decryption in the Context of Voting or Lotteries", FC 2000:
//   - n = p·q with safe primes p = 2p'+1, q = 2q'+1; m = p'·q'.
//   - d ≡ 0 (mod m), d ≡ 1 (mod n); f(X) = d + a_1 X + … + a_{t−1} X^{t−1} over Z_{nm} with
//     a_i uniform; custodian i (1..N) gets s_i = f(i) mod nm.
//   - Δ = N!; v a random square in Z*_{n²}; verification keys v_i = v^{Δ s_i} mod n².
//   - Partial decryption of c: c_i = c^{2Δ s_i} mod n² (mpz_powm_sec: s_i is the secret), with
//     a non-interactive proof that log_{c⁴}(c_i²) = log_v(v_i) (Chaum–Pedersen, Fiat–Shamir
//     with BLAKE2b-256 from libsodium; r has |n²| + 2·256 bits so z = r + e·Δs_i hides Δs_i).
//   - Any t valid partials S: c' = Π c_i^{2λ_i} with the integer Lagrange coefficients
//     λ_i = Δ·Π_{j∈S∖{i}} j/(j−i); then c' = (1+n)^{4Δ²M} and M = L(c')·(4Δ²)^{−1} mod n.
// No whole secret key exists after dealing; the dealer wipes p, q, d and the polynomial.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/bigint.h"
#include "crypto/combiner.h"
#include "crypto/keystore.h"
#include "crypto/paillier.h"
#include "crypto/signing.h"
#include "util/status.h"

namespace cipherstat::crypto {

inline constexpr int kMaxCustodians = 16;

// What everybody may know: the public key, N, t, v and every v_i.
struct ThresholdPublic {
  PublicKey pk;
  int parties = 0;
  int threshold = 0;
  BigInt delta;                      // N!
  BigInt v;                          // a square in Z*_{n²}
  std::vector<BigInt> verification;  // v_1 .. v_N (index i−1)
};

// One custodian's share. The secret s_i is wiped with the BigInt (crypto::Init's allocator).
struct KeyShare {
  int index = 0;  // 1..parties
  int parties = 0;
  int threshold = 0;
  PublicKey pk;
  BigInt delta;
  BigInt v;
  BigInt verification;  // v_index
  BigInt secret;        // s_index
};

struct ThresholdKey {
  ThresholdPublic pub;
  std::vector<KeyShare> shares;  // shares[i−1] is custodian i's
};

// Deals a fresh key: safe primes of bits/2 bits each (slow: see bench/threshold_bench.cc).
// REQUIRES: 2 <= parties <= kMaxCustodians, 1 <= threshold <= parties. bits must be a
// supported size unless allow_small (tests only).
Result<ThresholdKey> GenerateThresholdKey(int bits, int parties, int threshold,
                                          bool allow_small = false);
// Deals from given safe primes (tests; checked: prime, safe, distinct, equal length).
Result<ThresholdKey> DealThresholdKey(const BigInt& p, const BigInt& q, int parties, int threshold,
                                      bool allow_small = false);
// A uniformly random safe prime p = 2p'+1 of exactly `bits` bits, top two bits set.
BigInt RandomSafePrime(size_t bits);

// One partial decryption with its proof.
struct PartialDecryption {
  int index = 0;
  BigInt value;      // c_i
  BigInt challenge;  // e
  BigInt response;   // z
};

// REQUIRES: ValidateCiphertext(share.pk, c).ok().
PartialDecryption PartialDecrypt(const KeyShare& share, const Ciphertext& c);
// OK iff the proof shows `partial` is c^{2Δs_i} for the share behind v_index; else Corruption.
Status VerifyPartial(const ThresholdPublic& pub, const Ciphertext& c,
                     const PartialDecryption& partial);
// Combines verified partials from at least `threshold` distinct custodians (the first
// `threshold` are used). Fewer: InvalidArgument naming how many are needed. The caller has
// verified each partial (VerifyPartial); this function does not repeat it.
Result<BigInt> CombinePartials(const ThresholdPublic& pub,
                               const std::vector<const PartialDecryption*>& partials);

// --- Serialization -----------------------------------------------------------------------
// {"format":"cipherstat-threshold-public","version":1,"n":hex,"parties":N,"threshold":t,
//  "v":hex,"verification":[hex,...]}
std::string ThresholdPublicToJson(const ThresholdPublic& pub);
Result<ThresholdPublic> ThresholdPublicFromJson(std::string_view json, bool allow_small = false);
// The share as the keystore seals it: {"format":"cipherstat-threshold-share","version":1,
// "index":i,"parties":N,"threshold":t,"n":hex,"v":hex,"vi":hex,"s":hex}, in wiped memory.
std::string KeyShareToJson(const KeyShare& share);  // caller wipes the result
Result<KeyShare> KeyShareFromJson(std::string_view json, bool allow_small = false);

// A custodian's share sealed in a keystore of kind "share" (crypto/keystore.h). The header
// names the owner's verify key and the designated combiner's public key (crypto/combiner.h),
// both authenticated by the AEAD: a custodian checks the owner's signature on a result's
// manifest, and seals its partial decryptions, with keys it got from the dealer, never with
// ones a file on the way hands it.
Status WriteShareKeystore(const std::string& path, const KeyShare& share, const VerifyKey& owner,
                          const CombinerPublicKey& combiner, const Passphrase& passphrase,
                          KdfLimits limits = DefaultKdfLimits());
struct OpenedShare {
  KeyShare share;
  VerifyKey owner;
  CombinerPublicKey combiner;
};
// Whether the keystore whose header is `info` can be opened as a share, before its passphrase
// is asked for: another kind is InvalidArgument naming it; a share that names no combiner
// (dealt before partials were sealed) is NotSupported, saying to deal a new key.
Status CheckShareKeystore(const std::string& path, const KeystoreInfo& info);
// Refuses what CheckShareKeystore refuses before trying the passphrase.
Result<OpenedShare> ReadShareKeystore(const std::string& path, const Passphrase& passphrase,
                                      bool allow_small = false);

}  // namespace cipherstat::crypto
