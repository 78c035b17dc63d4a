#include "crypto/threshold.h"

#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "crypto/flat_json.h"
#include "crypto/secure_memory.h"
#include "util/json.h"

namespace cipherstat::crypto {

namespace {

constexpr char kPublicFormat[] = "cipherstat-threshold-public";
constexpr char kShareFormat[] = "cipherstat-threshold-share";
constexpr int kVersion = 1;
constexpr int kPrimeReps = 64;          // Miller–Rabin rounds for p' and p once sieved
constexpr size_t kChallengeBytes = 32;  // BLAKE2b-256 Fiat–Shamir challenge
constexpr char kProofDomain[] = "cipherstat threshold-paillier partial-decryption proof v1";

// Odd primes below 2^16 for sieving safe-prime candidates (p' and 2p'+1 both).
const std::vector<unsigned long>& SievePrimes() {
  static const std::vector<unsigned long> primes = OddPrimesBelow(1ul << 16);
  return primes;
}

BigInt Factorial(int k) {
  BigInt out;
  mpz_fac_ui(out.get(), static_cast<unsigned long>(k));
  return out;
}

// Appends x as a 4-byte length and big-endian bytes: an unambiguous hash input.
void Absorb(crypto_generichash_state* state, const BigInt& x) {
  const size_t bytes = (x.bits() + 7) / 8;
  const std::string raw = x.ToBytes(bytes);
  const unsigned char len[4] = {
      static_cast<unsigned char>(bytes >> 24), static_cast<unsigned char>(bytes >> 16),
      static_cast<unsigned char>(bytes >> 8), static_cast<unsigned char>(bytes)};
  crypto_generichash_update(state, len, sizeof len);
  crypto_generichash_update(state, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

BigInt Challenge(const PublicKey& pk, int index, const BigInt& c4, const BigInt& ci2,
                 const BigInt& v, const BigInt& vi, const BigInt& a, const BigInt& b) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kChallengeBytes);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kProofDomain),
                            sizeof kProofDomain);
  Absorb(&state, pk.n());
  Absorb(&state, BigInt(static_cast<unsigned long>(index)));
  for (const BigInt* x : {&c4, &ci2, &v, &vi, &a, &b}) Absorb(&state, *x);
  unsigned char digest[kChallengeBytes];
  crypto_generichash_final(&state, digest, sizeof digest);
  return BigInt::FromBytes(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

// Bits of the proof's random exponent r: |n²| + 2·|e|, so that z = r + e·Δs_i is
// statistically independent of Δs_i (Shoup 2000, Section 3).
size_t NonceBits(const PublicKey& pk) { return pk.n_squared().bits() + 2 * 8 * kChallengeBytes; }

BigInt RandomBits(size_t bits) {
  BigInt bound;
  mpz_setbit(bound.get(), bits);
  return RandomBelow(bound);
}

bool IsSafePrime(const BigInt& p) {
  if (mpz_probab_prime_p(p.get(), kPrimeReps) == 0) return false;
  BigInt half;
  mpz_sub_ui(half.get(), p.get(), 1);
  mpz_tdiv_q_2exp(half.get(), half.get(), 1);
  return mpz_probab_prime_p(half.get(), kPrimeReps) > 0;
}

Status CheckCounts(int parties, int threshold) {
  if (parties < 2 || parties > kMaxCustodians) {
    return Status::InvalidArgument("custodians must be between 2 and " +
                                   std::to_string(kMaxCustodians) + ", not " +
                                   std::to_string(parties));
  }
  if (threshold < 1 || threshold > parties) {
    return Status::InvalidArgument("threshold must be between 1 and the number of custodians (" +
                                   std::to_string(parties) + "), not " + std::to_string(threshold));
  }
  return Status::OK();
}

Result<BigInt> PositiveHexField(const nlohmann::json& j, const char* field,
                                const std::string& what) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) {
    return Status::Corruption(what + ": missing or non-string field '" + field + "'");
  }
  auto v = BigInt::FromHex(it->get<std::string>());
  if (!v.ok() || mpz_sgn(v->get()) <= 0) {
    return Status::Corruption(what + ": field '" + field + "' is not a positive hex number");
  }
  return v;
}

Result<int> IntOf(const nlohmann::json& j, const char* field, const std::string& what) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number_unsigned() || it->get<uint64_t>() > 1000) {
    return Status::Corruption(what + ": field '" + field + "' is not a small unsigned integer");
  }
  return static_cast<int>(it->get<uint64_t>());
}

// A value that must be a unit mod n² (v, v_i): anything else would make the proofs meaningless.
Status CheckUnit(const PublicKey& pk, const BigInt& x, const std::string& what) {
  if (!ValidateCiphertext(pk, Ciphertext{x}).ok()) {
    return Status::Corruption(what + " is not in Z*_{n²}");
  }
  return Status::OK();
}

}  // namespace

BigInt RandomSafePrime(size_t bits) {
  const std::vector<unsigned long>& sieve = SievePrimes();
  std::vector<unsigned char> buf((bits - 1 + 7) / 8);
  BigInt half, p;
  for (;;) {
    // p' of bits−1 bits with its top two bits set (so p = 2p'+1 has the top two of `bits`).
    randombytes_buf(buf.data(), buf.size());
    mpz_import(half.get(), buf.size(), 1, 1, 1, 0, buf.data());
    mpz_tdiv_r_2exp(half.get(), half.get(), bits - 1);
    mpz_setbit(half.get(), bits - 2);
    mpz_setbit(half.get(), bits - 3);
    mpz_setbit(half.get(), 0);
    bool sieved = true;
    for (unsigned long sp : sieve) {
      // sp | p' or sp | 2p'+1 (⇔ p' ≡ (sp−1)/2 mod sp).
      const unsigned long r = mpz_fdiv_ui(half.get(), sp);
      if (r == 0 || r == (sp - 1) / 2) {
        sieved = false;
        break;
      }
    }
    if (!sieved) continue;
    mpz_mul_2exp(p.get(), half.get(), 1);
    mpz_add_ui(p.get(), p.get(), 1);
    // A single base-2 Fermat test on p first: the cheapest filter for the pair.
    BigInt two(2), pm1, t;
    mpz_sub_ui(pm1.get(), p.get(), 1);
    mpz_powm(t.get(), two.get(), pm1.get(), p.get());
    if (mpz_cmp_ui(t.get(), 1) != 0) continue;
    if (mpz_probab_prime_p(half.get(), kPrimeReps) == 0) continue;
    if (mpz_probab_prime_p(p.get(), kPrimeReps) == 0) continue;
    break;
  }
  sodium_memzero(buf.data(), buf.size());
  return p;
}

Result<ThresholdKey> DealThresholdKey(const BigInt& p, const BigInt& q, int parties, int threshold,
                                      bool allow_small) {
  CS_RETURN_IF_ERROR(CheckCounts(parties, threshold));
  if (p == q || p.bits() != q.bits()) {
    return Status::InvalidArgument("threshold key: p and q must be distinct and of equal length");
  }
  if (!IsSafePrime(p) || !IsSafePrime(q)) {
    return Status::InvalidArgument("threshold key: p and q must be safe primes");
  }
  BigInt n;
  mpz_mul(n.get(), p.get(), q.get());
  if (!allow_small && !IsSupportedKeyBits(static_cast<int>(n.bits()))) {
    return Status::InvalidArgument("threshold key: unsupported modulus size " +
                                   std::to_string(n.bits()));
  }
  ThresholdKey key;
  ThresholdPublic& pub = key.pub;
  pub.pk = PublicKey(n);
  pub.parties = parties;
  pub.threshold = threshold;
  pub.delta = Factorial(parties);

  // m = p'q'; d ≡ 0 mod m, d ≡ 1 mod n: d = m·(m⁻¹ mod n).
  BigInt m, t, d, nm;
  mpz_sub_ui(m.get(), p.get(), 1);
  mpz_tdiv_q_2exp(m.get(), m.get(), 1);
  mpz_sub_ui(t.get(), q.get(), 1);
  mpz_tdiv_q_2exp(t.get(), t.get(), 1);
  mpz_mul(m.get(), m.get(), t.get());
  if (mpz_invert(t.get(), m.get(), n.get()) == 0) {
    return Status::InvalidArgument("threshold key: m is not invertible mod n");
  }
  mpz_mul(d.get(), m.get(), t.get());
  mpz_mul(nm.get(), n.get(), m.get());
  mpz_mod(d.get(), d.get(), nm.get());

  // f(X) = d + a_1 X + … + a_{t−1} X^{t−1} over Z_{nm}.
  std::vector<BigInt> coefficients;
  coefficients.push_back(d);
  for (int i = 1; i < threshold; ++i) coefficients.push_back(RandomBelow(nm));

  // v = r² for r uniform in Z*_{n²}: a square, a generator of the squares w.h.p.
  BigInt r = RandomUnit(pub.pk.n_squared());
  mpz_powm_ui(pub.v.get(), r.get(), 2, pub.pk.n_squared().get());

  for (int i = 1; i <= parties; ++i) {
    KeyShare share;
    share.index = i;
    share.parties = parties;
    share.threshold = threshold;
    share.pk = pub.pk;
    share.delta = pub.delta;
    share.v = pub.v;
    // Horner: s_i = f(i) mod nm.
    BigInt s;
    for (size_t k = coefficients.size(); k-- > 0;) {
      mpz_mul_ui(s.get(), s.get(), static_cast<unsigned long>(i));
      mpz_add(s.get(), s.get(), coefficients[k].get());
      mpz_mod(s.get(), s.get(), nm.get());
    }
    share.secret = s;
    BigInt exponent;
    mpz_mul(exponent.get(), pub.delta.get(), s.get());
    mpz_powm_sec(share.verification.get(), pub.v.get(), exponent.get(), pub.pk.n_squared().get());
    pub.verification.push_back(share.verification);
    key.shares.push_back(std::move(share));
  }
  // p, q, m, d and the coefficients are BigInts: their limbs are wiped when freed here.
  return key;
}

Result<ThresholdKey> GenerateThresholdKey(int bits, int parties, int threshold, bool allow_small) {
  CS_RETURN_IF_ERROR(CheckCounts(parties, threshold));
  if (!allow_small && !IsSupportedKeyBits(bits)) {
    return Status::InvalidArgument("unsupported key size " + std::to_string(bits));
  }
  if (bits < 512 || bits % 2 != 0) return Status::InvalidArgument("key size too small");
  BigInt p = RandomSafePrime(static_cast<size_t>(bits / 2));
  BigInt q;
  do {
    q = RandomSafePrime(static_cast<size_t>(bits / 2));
  } while (q == p);
  return DealThresholdKey(p, q, parties, threshold, allow_small);
}

PartialDecryption PartialDecrypt(const KeyShare& share, const Ciphertext& c) {
  const BigInt& n2 = share.pk.n_squared();
  PartialDecryption out;
  out.index = share.index;
  BigInt x;  // Δ·s_i, the secret exponent
  mpz_mul(x.get(), share.delta.get(), share.secret.get());
  BigInt two_x;
  mpz_mul_2exp(two_x.get(), x.get(), 1);
  mpz_powm_sec(out.value.get(), c.value.get(), two_x.get(), n2.get());

  // Proof that log_{c⁴}(c_i²) = log_v(v_i) = x.
  BigInt c4, ci2, a, b;
  mpz_powm_ui(c4.get(), c.value.get(), 4, n2.get());
  mpz_powm_ui(ci2.get(), out.value.get(), 2, n2.get());
  BigInt r = RandomBits(NonceBits(share.pk));
  mpz_powm_sec(a.get(), c4.get(), r.get(), n2.get());
  mpz_powm_sec(b.get(), share.v.get(), r.get(), n2.get());
  out.challenge = Challenge(share.pk, share.index, c4, ci2, share.v, share.verification, a, b);
  mpz_mul(out.response.get(), out.challenge.get(), x.get());
  mpz_add(out.response.get(), out.response.get(), r.get());
  return out;
}

Status VerifyPartial(const ThresholdPublic& pub, const Ciphertext& c,
                     const PartialDecryption& partial) {
  const std::string what = "partial decryption of custodian " + std::to_string(partial.index);
  if (partial.index < 1 || partial.index > pub.parties) {
    return Status::Corruption(what + ": no such custodian (there are " +
                              std::to_string(pub.parties) + ")");
  }
  const BigInt& n2 = pub.pk.n_squared();
  if (!ValidateCiphertext(pub.pk, Ciphertext{partial.value}).ok()) {
    return Status::Corruption(what + ": value is not in Z*_{n²}");
  }
  // z is bounded by the honest prover's range: r < 2^B and e·Δs_i < 2^{256}·Δ·nm.
  if (mpz_sgn(partial.response.get()) < 0 || partial.response.bits() > NonceBits(pub.pk) + 2 ||
      mpz_sgn(partial.challenge.get()) < 0 || partial.challenge.bits() > 8 * kChallengeBytes) {
    return Status::Corruption(what + ": proof values out of range");
  }
  const BigInt& vi = pub.verification[static_cast<size_t>(partial.index - 1)];
  BigInt c4, ci2, a, b, t;
  mpz_powm_ui(c4.get(), c.value.get(), 4, n2.get());
  mpz_powm_ui(ci2.get(), partial.value.get(), 2, n2.get());
  BigInt neg_e;
  mpz_neg(neg_e.get(), partial.challenge.get());
  // a = (c⁴)^z · (c_i²)^{−e}, b = v^z · v_i^{−e}  (public exponents: mpz_powm).
  mpz_powm(a.get(), c4.get(), partial.response.get(), n2.get());
  mpz_powm(t.get(), ci2.get(), neg_e.get(), n2.get());
  mpz_mul(a.get(), a.get(), t.get());
  mpz_mod(a.get(), a.get(), n2.get());
  mpz_powm(b.get(), pub.v.get(), partial.response.get(), n2.get());
  mpz_powm(t.get(), vi.get(), neg_e.get(), n2.get());
  mpz_mul(b.get(), b.get(), t.get());
  mpz_mod(b.get(), b.get(), n2.get());
  if (Challenge(pub.pk, partial.index, c4, ci2, pub.v, vi, a, b) != partial.challenge) {
    return Status::Corruption(what +
                              ": proof of correct decryption fails (made with another share, "
                              "for another ciphertext, or altered)");
  }
  return Status::OK();
}

Result<BigInt> CombinePartials(const ThresholdPublic& pub,
                               const std::vector<const PartialDecryption*>& partials) {
  std::vector<const PartialDecryption*> used;
  std::set<int> seen;
  for (const PartialDecryption* p : partials) {
    if (static_cast<int>(used.size()) == pub.threshold) break;
    if (seen.insert(p->index).second) used.push_back(p);
  }
  if (static_cast<int>(used.size()) < pub.threshold) {
    return Status::InvalidArgument(
        "not enough partial decryptions: " + std::to_string(pub.threshold) + " of " +
        std::to_string(pub.parties) + " custodians are needed, " + std::to_string(used.size()) +
        " distinct given");
  }
  const BigInt& n2 = pub.pk.n_squared();
  BigInt acc(1), lambda, num, den, t, exp;
  for (const PartialDecryption* pi : used) {
    // λ_i = Δ · Π_{j≠i} j / (j − i): an integer because Δ = N! absorbs the denominator.
    mpz_set(num.get(), pub.delta.get());
    mpz_set_ui(den.get(), 1);
    for (const PartialDecryption* pj : used) {
      if (pj == pi) continue;
      mpz_mul_si(num.get(), num.get(), pj->index);
      mpz_mul_si(den.get(), den.get(), pj->index - pi->index);
    }
    mpz_divexact(lambda.get(), num.get(), den.get());
    mpz_mul_2exp(exp.get(), lambda.get(), 1);
    // Negative exponents invert c_i, which exists because c_i is in Z*_{n²}.
    mpz_powm(t.get(), pi->value.get(), exp.get(), n2.get());
    mpz_mul(acc.get(), acc.get(), t.get());
    mpz_mod(acc.get(), acc.get(), n2.get());
  }
  // acc = (1+n)^{4Δ²M}: M = L(acc) · (4Δ²)⁻¹ mod n.
  const BigInt& n = pub.pk.n();
  mpz_sub_ui(acc.get(), acc.get(), 1);
  if (!mpz_divisible_p(acc.get(), n.get())) {
    return Status::Corruption("combined partial decryptions do not decrypt (inconsistent shares)");
  }
  mpz_divexact(acc.get(), acc.get(), n.get());
  BigInt four_delta2;
  mpz_mul(four_delta2.get(), pub.delta.get(), pub.delta.get());
  mpz_mul_2exp(four_delta2.get(), four_delta2.get(), 2);
  if (mpz_invert(t.get(), four_delta2.get(), n.get()) == 0) {
    return Status::Corruption("4Δ² is not invertible mod n");
  }
  BigInt m;
  mpz_mul(m.get(), acc.get(), t.get());
  mpz_mod(m.get(), m.get(), n.get());
  return m;
}

// --- Serialization -----------------------------------------------------------------------

std::string ThresholdPublicToJson(const ThresholdPublic& pub) {
  nlohmann::ordered_json j;
  j["format"] = kPublicFormat;
  j["version"] = kVersion;
  j["n"] = pub.pk.n().ToHex();
  j["parties"] = pub.parties;
  j["threshold"] = pub.threshold;
  j["v"] = pub.v.ToHex();
  nlohmann::ordered_json vks = nlohmann::ordered_json::array();
  for (const BigInt& vi : pub.verification) vks.push_back(vi.ToHex());
  j["verification"] = std::move(vks);
  return j.dump(1) + "\n";
}

Result<ThresholdPublic> ThresholdPublicFromJson(std::string_view json, bool allow_small) {
  const std::string what = "threshold public key";
  auto parsed = ParseFormat(json, kPublicFormat, "cipherstat threshold public key", kVersion);
  if (!parsed.ok()) return parsed.status().WithContext(what);
  const nlohmann::json& j = *parsed;
  ThresholdPublic pub;
  CS_ASSIGN_OR_RETURN(BigInt n, PositiveHexField(j, "n", what));
  CS_ASSIGN_OR_RETURN(PublicKey pk, PublicKeyFromJson(PublicKeyToJson(PublicKey(n)), allow_small));
  pub.pk = std::move(pk);
  CS_ASSIGN_OR_RETURN(pub.parties, IntOf(j, "parties", what));
  CS_ASSIGN_OR_RETURN(pub.threshold, IntOf(j, "threshold", what));
  CS_RETURN_IF_ERROR(CheckCounts(pub.parties, pub.threshold).WithContext(what));
  pub.delta = Factorial(pub.parties);
  CS_ASSIGN_OR_RETURN(pub.v, PositiveHexField(j, "v", what));
  CS_RETURN_IF_ERROR(CheckUnit(pub.pk, pub.v, what + ": v"));
  auto vks = j.find("verification");
  if (vks == j.end() || !vks->is_array() || vks->size() != static_cast<size_t>(pub.parties)) {
    return Status::Corruption(what + ": 'verification' must list one key per custodian");
  }
  for (size_t i = 0; i < vks->size(); ++i) {
    const auto& e = (*vks)[i];
    auto vi = e.is_string() ? BigInt::FromHex(e.get<std::string>()) : Result<BigInt>(BigInt());
    if (!vi.ok()) return Status::Corruption(what + ": verification key " + std::to_string(i + 1));
    CS_RETURN_IF_ERROR(
        CheckUnit(pub.pk, *vi, what + ": verification key " + std::to_string(i + 1)));
    pub.verification.push_back(std::move(vi).value());
  }
  return pub;
}

std::string KeyShareToJson(const KeyShare& share) {
  // Built by hand (like SecretKeyToJson): no JSON library copies of the secret.
  WipedString s(mpz_sizeinbase(share.secret.get(), 16) + 2, '\0');
  mpz_get_str(s.data(), 16, share.secret.get());
  s.resize(std::char_traits<char>::length(s.data()));
  WipedString out;
  out += "{\"format\":\"";
  out += kShareFormat;
  out += "\",\"version\":" + std::to_string(kVersion);
  out += ",\"index\":" + std::to_string(share.index);
  out += ",\"parties\":" + std::to_string(share.parties);
  out += ",\"threshold\":" + std::to_string(share.threshold);
  out += ",\"n\":\"" + share.pk.n().ToHex() + "\"";
  out += ",\"v\":\"" + share.v.ToHex() + "\"";
  out += ",\"vi\":\"" + share.verification.ToHex() + "\"";
  out += ",\"s\":\"";
  out += s;
  out += "\"}";
  return std::string(out.data(), out.size());
}

Result<KeyShare> KeyShareFromJson(std::string_view json, bool allow_small) {
  const std::string what = "key share";
  CS_ASSIGN_OR_RETURN(FlatJsonObject obj, FlatJsonObject::Parse(json));
  auto field = [&](const char* name, bool is_string) -> Result<std::string_view> {
    const FlatJsonField* f = obj.Find(name);
    if (f == nullptr || f->is_string != is_string) {
      return Status::Corruption(what + ": missing or mistyped field '" + name + "'");
    }
    return f->value;
  };
  auto integer = [&](const char* name) -> Result<int> {
    CS_ASSIGN_OR_RETURN(std::string_view digits, field(name, false));
    if (digits.empty() || digits.size() > 4) {
      return Status::Corruption(what + ": field '" + name + "' out of range");
    }
    return std::stoi(std::string(digits));
  };
  auto hex = [&](const char* name) -> Result<BigInt> {
    CS_ASSIGN_OR_RETURN(std::string_view text, field(name, true));
    auto v = BigInt::FromHex(text);
    if (!v.ok() || mpz_sgn(v->get()) <= 0) {
      return Status::Corruption(what + ": field '" + name + "' is not a positive hex number");
    }
    return v;
  };
  CS_ASSIGN_OR_RETURN(std::string_view format, field("format", true));
  if (format != kShareFormat) return Status::Corruption(what + ": not a cipherstat key share");
  CS_ASSIGN_OR_RETURN(int version, integer("version"));
  if (version != kVersion) return Status::NotSupported(what + ": unsupported version");
  KeyShare share;
  CS_ASSIGN_OR_RETURN(share.index, integer("index"));
  CS_ASSIGN_OR_RETURN(share.parties, integer("parties"));
  CS_ASSIGN_OR_RETURN(share.threshold, integer("threshold"));
  CS_RETURN_IF_ERROR(CheckCounts(share.parties, share.threshold).WithContext(what));
  if (share.index < 1 || share.index > share.parties) {
    return Status::Corruption(what + ": index out of range");
  }
  CS_ASSIGN_OR_RETURN(BigInt n, hex("n"));
  CS_ASSIGN_OR_RETURN(share.pk, PublicKeyFromJson(PublicKeyToJson(PublicKey(n)), allow_small));
  share.delta = Factorial(share.parties);
  CS_ASSIGN_OR_RETURN(share.v, hex("v"));
  CS_ASSIGN_OR_RETURN(share.verification, hex("vi"));
  CS_ASSIGN_OR_RETURN(share.secret, hex("s"));
  CS_RETURN_IF_ERROR(CheckUnit(share.pk, share.v, what + ": v"));
  CS_RETURN_IF_ERROR(CheckUnit(share.pk, share.verification, what + ": vi"));
  return share;
}

Status WriteShareKeystore(const std::string& path, const KeyShare& share, const VerifyKey& owner,
                          const CombinerPublicKey& combiner, const Passphrase& passphrase,
                          KdfLimits limits) {
  KeystoreInfo header;
  header.kind = "share";
  header.fingerprint = share.pk.Fingerprint();
  header.verify_key = owner.Hex();
  header.combiner_key = combiner.Hex();
  header.share_index = static_cast<uint32_t>(share.index);
  header.share_threshold = static_cast<uint32_t>(share.threshold);
  header.share_parties = static_cast<uint32_t>(share.parties);
  header.limits = limits;
  std::string json = KeyShareToJson(share);
  Status s = WriteSealedKeystore(path, header, json, passphrase);
  sodium_memzero(json.data(), json.size());
  return s;
}

Status CheckShareKeystore(const std::string& path, const KeystoreInfo& info) {
  if (info.kind != "share") {
    return Status::InvalidArgument(path + ": not a custodian's key share (a keystore of kind '" +
                                   info.kind + "')");
  }
  if (info.combiner_key.empty()) {
    return Status::NotSupported(
        path +
        ": dealt before partial decryptions were sealed to a combiner (it names none); "
        "the owner must deal a new threshold key with `cipherstat keygen --custodians`");
  }
  return Status::OK();
}

Result<OpenedShare> ReadShareKeystore(const std::string& path, const Passphrase& passphrase,
                                      bool allow_small) {
  CS_ASSIGN_OR_RETURN(KeystoreInfo pre, ReadKeystoreInfo(path));
  CS_RETURN_IF_ERROR(CheckShareKeystore(path, pre));
  KeystoreInfo info;
  CS_ASSIGN_OR_RETURN(auto plain, OpenSealedKeystore(path, passphrase, &info));
  OpenedShare out;
  auto share = KeyShareFromJson(plain->view(), allow_small);
  // Authenticated but unusable: damaged when sealed. Reported, never echoed.
  if (!share.ok()) {
    return Status::Corruption(path + ": sealed share is invalid (" + share.status().message() +
                              ")");
  }
  out.share = std::move(share).value();
  if (out.share.pk.Fingerprint() != info.fingerprint ||
      out.share.index != static_cast<int>(info.share_index) ||
      out.share.threshold != static_cast<int>(info.share_threshold) ||
      out.share.parties != static_cast<int>(info.share_parties)) {
    return Status::Corruption(path + ": sealed share does not match the keystore header");
  }
  CS_ASSIGN_OR_RETURN(out.owner, VerifyKey::FromHex(info.verify_key, path));
  CS_ASSIGN_OR_RETURN(out.combiner, CombinerPublicKey::FromHex(info.combiner_key, path));
  return out;
}

}  // namespace cipherstat::crypto
